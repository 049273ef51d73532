"""Dialog tests: a list of (what the person says, what the answer must show), checked in one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actions.replies import Reply
from bot.dialogue import Inbound, Router
from common.enums import Channel
from store import reach

Check = Callable[[str], bool]
# A deployment with both Telegram and WhatsApp configured (and REST, always served): what most tests run as.
BOTH_CHANNELS = reach.configured([Channel.TELEGRAM, Channel.WHATSAPP, Channel.REST])


@dataclass(frozen=True)
class contains:
    fragments: tuple[str, ...]

    def __init__(self, *fragments: str) -> None:
        object.__setattr__(self, "fragments", fragments)

    def __call__(self, shown: str) -> bool:
        return all(f.lower() in shown.lower() for f in self.fragments)

    def __repr__(self) -> str:
        return f"contains{self.fragments!r}"


@dataclass(frozen=True)
class lacks:
    fragments: tuple[str, ...]

    def __init__(self, *fragments: str) -> None:
        object.__setattr__(self, "fragments", fragments)

    def __call__(self, shown: str) -> bool:
        return not any(f.lower() in shown.lower() for f in self.fragments)


def both(*checks: Check) -> Check:
    return lambda shown: all(check(shown) for check in checks)


def shown(replies: list[Reply]) -> str:
    """What a person sees: every reply's text and its numbered options."""
    parts = []
    for reply in replies:
        parts.append(reply.text)
        parts += [f"{n}. {o.title}" for n, o in enumerate(reply.options, start=1)]
    return "\n".join(parts)


def run_dialog(router: Router, sender: str, steps: list[tuple[str, Check]], channel: Channel = Channel.REST) -> None:
    for number, (said, check) in enumerate(steps, start=1):
        answer = shown(router.handle(Inbound(channel, sender, said)))
        assert check(answer), f"step {number}: {said!r} was answered with:\n{answer}\n(expected {check!r})"
