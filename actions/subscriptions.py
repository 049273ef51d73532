"""Opting out of and back into messages the assistant starts (reminders, notices)."""

from __future__ import annotations

from sqlalchemy import update

from actions.replies import Reply, Request
from common.enums import OutboxKind, OutboxStatus
from store.models import OutboxMessage

# What BERHENTI ends: messages nobody asked for in this conversation (the staff's weekly digest too). Complaint
# updates keep coming.
OPT_OUT_KINDS = (OutboxKind.REMINDER, OutboxKind.BROADCAST, OutboxKind.DIGEST)


def stop(request: Request) -> list[Reply]:
    request.person.opted_out_at = request.now
    # Already queued reminders and notices stop too, not only the ones written from now on.
    request.db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.person_id == request.person.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.kind.in_(OPT_OUT_KINDS),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return [Reply(request.content.strings.stop)]


def restart(request: Request) -> list[Reply]:
    request.person.opted_out_at = None
    return [Reply(request.content.strings.restart)]
