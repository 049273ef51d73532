"""What an action hands back: channel-neutral replies with at most ten options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from content.loader import Content
from content.schema import MenuItem
from store import groups
from store.models import ConversationState, Person

MAX_OPTIONS = 10


@dataclass(frozen=True)
class Option:
    title: str
    # What choosing it sends back: "/intent" or "/intent{json entities}".
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    options: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        if len(self.options) > MAX_OPTIONS:
            raise ValueError(f"a reply carries at most {MAX_OPTIONS} options")

    def as_body(self) -> dict[str, Any]:
        """The JSON form kept in the database (an outbox row's body, an answer kept for a retry)."""
        return {"text": self.text, "options": [[option.title, option.payload] for option in self.options]}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Reply:
        options = tuple(Option(str(title), str(payload)) for title, payload in body.get("options", []))
        return cls(str(body["text"]), options)


@dataclass
class Request:
    """One understood message: who sent it, what it means, and the unit of work to act in."""

    db: Session
    person: Person
    state: ConversationState
    content: Content
    text: str
    intent: str
    entities: dict[str, list[str]] = field(default_factory=dict)
    now: datetime = field(default_factory=datetime.now)
    # Set when the person asked to be forgotten: nothing more is stored for this message.
    erased: bool = False
    # Where this deployment's web pages are (SAHABAT_PUBLIC_URL): links the assistant sends start with it.
    public_url: str = ""

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
