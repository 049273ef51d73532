"""Opting out of and back into messages the assistant starts (reminders, notices)."""

from __future__ import annotations

from actions.replies import Reply, Request


def stop(request: Request) -> list[Reply]:
    request.person.opted_out_at = request.now
    return [Reply(request.content.strings.stop)]


def restart(request: Request) -> list[Reply]:
    request.person.opted_out_at = None
    return [Reply(request.content.strings.restart)]
