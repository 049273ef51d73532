"""What an action gets (a `Request`) and hands back: channel-neutral replies with at most ten options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from common.messages import MAX_OPTIONS, Option, Reply
from content.loader import Content
from content.schema import MenuItem
from store import groups
from store.models import ConversationState, Person
from store.reach import Channels

# Option and Reply live in common/messages.py (store/ and reminders/ build them too); actions import them from here.
__all__ = ["MAX_OPTIONS", "Action", "Option", "Reply", "Request", "menu_options", "with_menu"]


@dataclass
class Request:
    """One understood message: who sent it, what it means, and the unit of work to act in."""

    db: Session
    person: Person
    state: ConversationState
    content: Content
    text: str
    intent: str
    # Where messages she starts can go (store/reach.py): the channels this deployment configured.
    channels: Channels
    entities: dict[str, list[str]] = field(default_factory=dict)
    now: datetime = field(default_factory=datetime.now)
    # Set when the person asked to be forgotten: nothing more is stored for this message.
    erased: bool = False
    # Where this deployment's web pages are (SAHABAT_PUBLIC_URL): links the assistant sends start with it.
    public_url: str = ""
    # The catalogue topic the action answered: kept with the turn (SUMBER, `sahabat content report`).
    topic: str | None = None

    def entity(self, name: str) -> str | None:
        values = self.entities.get(name)
        return values[0] if values else None


class Action(Protocol):
    def __call__(self, request: Request) -> list[Reply]: ...


def menu_options(items: tuple[MenuItem, ...]) -> tuple[Option, ...]:
    return tuple(Option(item.title, item.payload) for item in items)


def with_menu(request: Request, text: str) -> list[Reply]:
    """The reply with the menu: ketua and pendamping get theirs, with broadcasts and meetings first."""
    strings = request.content.strings
    leads = groups.is_leader(request.db, request.person)
    return [Reply(text, menu_options(strings.leader_menu if leads else strings.main_menu))]
