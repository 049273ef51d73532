"""Shared by the group, meeting and broadcast tests: the imported directory, a router that needs no NLU (every
step is a command, a button payload or a form answer), and looks at the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.dialogue import Inbound, Router
from common.enums import Channel
from content.loader import Content
from nlu.client import FALLBACK_INTENT, Parse
from store.db import Database
from store.directory import import_files
from store.models import ChannelIdentity, OutboxMessage, Person
from tests.dialog import BOTH_CHANNELS

DATA = Path(__file__).parent / "data" / "directory"
# Tuesday 1 December 2026, 08.00 WIB: "Selasa minggu kedua" is the 8th.
NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)


class NoNlu:
    """Free text that reaches the NLU in these tests is a mistake of the test: answer with the fallback."""

    def parse(self, text: str) -> Parse:
        return Parse(text, FALLBACK_INTENT, 0.0)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def directory(database: Database) -> None:
    with database.session() as db:
        import_files(db, [DATA / "pendamping.csv", DATA / "anggota.csv"])


def router(database: Database, content: Content, clock: Clock | None = None) -> Router:
    return Router(database, content, NoNlu(), clock=clock or Clock(), channels=BOTH_CHANNELS)


def person_id(database: Database, name: str) -> int:
    with database.session() as db:
        found = db.scalar(select(Person.id).where(Person.name == name))
        assert found is not None, name
        return found


def add_identity(database: Database, name: str, channel: str, external_id: str) -> None:
    with database.session() as db:
        db.add(ChannelIdentity(person_id=person_id(database, name), channel=channel, external_id=external_id))


def outbox_rows(database: Database, kind: str | None = None) -> list[OutboxMessage]:
    with database.session() as db:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(db.scalars(query))


def recipients(database: Database, kind: str) -> Counter[int | None]:
    return Counter(row.person_id for row in outbox_rows(database, kind))


def writes_once(database: Database, content: Content, sender: str, channel: Channel) -> None:
    """Someone writes to the assistant (here "menu"): a WhatsApp number from the directory has then opted in."""
    router(database, content).handle(Inbound(channel, sender, "menu"))


def due_rows(database: Database, channel: str, now: datetime) -> list[OutboxMessage]:
    """Outbox rows a sender on `channel` could claim at `now` (pending, not held back), without claiming them."""
    with database.session() as db:
        query = select(OutboxMessage).where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == "pending",
            OutboxMessage.not_before <= now,
        )
        found = list(db.scalars(query))
        db.expunge_all()
        return found
