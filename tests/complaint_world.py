"""A small PKH world for complaint tests: the test directory (two pendamping under koordinator Dewi in Bengkulu,
WIB; Yohanes in Papua, WIT, with no koordinator), a Dinas Sosial admin, and helpers to file and look."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from actions.replies import Reply
from bot.dialogue import Inbound, Router
from common.enums import Channel
from common.messages import Payload
from nlu.client import Parse
from store.db import Database
from store.directory import import_files
from store.models import ChannelIdentity, Complaint, OutboxMessage, Person, Region
from tests.dialog import shown

DATA = Path(__file__).parent / "data" / "directory"

# (channel, sender) of each person in the test directory.
NURHAYATI = (Channel.WHATSAPP, "6281234560002")  # anggota of Melati 1, pendamping Rina
SITI = (Channel.TELEGRAM, "7001")  # ketua of Melati 1
MARIA = (Channel.WHATSAPP, "6281234560005")  # ketua of Anggrek in Papua, pendamping Yohanes
RINA = (Channel.TELEGRAM, "5001")  # pendamping PD001, koordinator Dewi
AGUS = (Channel.WHATSAPP, "6281234567002")  # pendamping PD002, koordinator Dewi
DEWI = (Channel.TELEGRAM, "5003")  # koordinator KO01
YOHANES = (Channel.WHATSAPP, "6281234567004")  # pendamping PD003, no koordinator
ADMIN = (Channel.REST, "dinsos-kota-bengkulu")
NEIGHBOUR = (Channel.REST, "ibu-tetangga")  # lives in Pasar Bengkulu, no pendamping on file


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class NoNlu:
    """These tests speak in buttons and form answers; reaching the NLU would be a bug."""

    def parse(self, text: str) -> Parse:
        raise AssertionError(f"unexpected NLU call for {text!r}")


def build(database: Database) -> None:
    with database.session() as db:
        import_files(db, [DATA / "pendamping.csv", DATA / "anggota.csv"])
        admin = Person(name="Dinas Sosial Kota Bengkulu", role="admin")
        admin.identities.append(ChannelIdentity(channel=ADMIN[0], external_id=ADMIN[1]))
        kelurahan = db.scalar(select(Region).where(Region.name == "Pasar Bengkulu"))
        neighbour = Person(name="Ibu Tetangga", phone="6281234560099", region=kelurahan)
        neighbour.identities.append(ChannelIdentity(channel=NEIGHBOUR[0], external_id=NEIGHBOUR[1]))
        db.add_all([admin, neighbour])


def say(router: Router, who: tuple[Channel, str], text: str, message_id: str | None = None) -> str:
    return shown(answer(router, who, text, message_id))


def answer(router: Router, who: tuple[Channel, str], text: str, message_id: str | None = None) -> list[Reply]:
    return router.handle(Inbound(who[0], who[1], text, message_id=message_id))


def payload(intent: str, **entities: str) -> str:
    return Payload.of(intent, **entities).render()


def file(
    router: Router,
    who: tuple[Channel, str],
    category: str,
    story: str,
    since: str = "Minggu ini",
    secret: bool = False,
) -> str:
    """Files a complaint through the buttons and answers; returns its ticket."""
    assert "Ceritakan" in say(router, who, payload("file_complaint", complaint_type=category))
    assert "Sejak kapan" in say(router, who, story)
    assert "Ringkasan" in say(router, who, since)
    saved = say(router, who, "kirim rahasia" if secret else "kirim")
    assert "Nomor tiket: ADU-" in saved, saved
    return saved.split("Nomor tiket: ")[1][:10]


def person(database: Database, who: tuple[Channel, str]) -> Person:
    with database.session() as db:
        identity = db.scalar(
            select(ChannelIdentity).where(ChannelIdentity.channel == who[0], ChannelIdentity.external_id == who[1])
        )
        assert identity is not None
        return identity.person


def complaint(database: Database, ticket: str) -> Complaint:
    with database.session() as db:
        found = db.scalar(select(Complaint).where(Complaint.ticket == ticket))
        assert found is not None
        return found


def outbox_to(database: Database, who: tuple[Channel, str]) -> list[str]:
    """Texts queued for one person, oldest first."""
    with database.session() as db:
        rows = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == who[0], OutboxMessage.recipient == who[1])
            .order_by(OutboxMessage.id)
        )
        return [row.body["text"] for row in rows]


def outbox_options(database: Database, who: tuple[Channel, str]) -> list[list[list[str]]]:
    with database.session() as db:
        rows = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == who[0], OutboxMessage.recipient == who[1])
            .order_by(OutboxMessage.id)
        )
        return [row.body.get("options", []) for row in rows]
