"""The console channel: a conversation in the terminal (`sahabat chat`). Options are numbered."""

from __future__ import annotations

import sys
from typing import TextIO

from actions.replies import Reply
from bot.dialogue import Inbound, Router
from common.enums import Channel

CHANNEL = Channel.CONSOLE


def render(replies: list[Reply], intro: str) -> str:
    blocks = []
    for reply in replies:
        lines = [reply.text]
        if reply.options:
            lines.append(intro)
            lines += [f"{number}. {option.title}" for number, option in enumerate(reply.options, start=1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def converse(router: Router, sender: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read one message per line until end of input or "keluar"."""
    intro = router.content.strings.options_intro
    prompt = "anda> " if stdin.isatty() else ""
    while True:
        stdout.write(prompt)
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in {"keluar", "exit", "quit"}:
            break
        replies = router.handle(Inbound(CHANNEL, sender, line.rstrip("\n")))
        stdout.write(render(replies, intro) + "\n\n")
        stdout.flush()
