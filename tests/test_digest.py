"""The weekly digest: Monday 07:00 in each person's own time zone, once, through the outbox; BERHENTI stops it.
On SQLite and PostgreSQL, with a frozen clock; expected words from content/dashboard.yml."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.dialogue import Inbound
from common.enums import OutboxKind, OutboxStatus
from content.dashboard_schema import DashboardChat
from content.loader import Content
from reminders.digest import run_digests
from reminders.wording import moment_text
from store.db import Database
from store.models import ChannelIdentity, Group, Meeting, OutboxMessage
from tests.complaint_world import AGUS, DEWI, NURHAYATI, RINA, YOHANES, person
from tests.dashboard_world import World
from tests.dialog import BOTH_CHANNELS

# Monday 30 November 2026: 07:00 WIB is 00:00 UTC; 07:00 WIT (Yohanes, Papua) was Sunday 22:00 UTC.
MONDAY_WIB = dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
MONDAY_WIT = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)
WEDNESDAY_MEETING = dt.date(2026, 12, 2)


@pytest.fixture
def world(database: Database, content: Content) -> World:
    built = World(database, content).build()
    # Agus and Yohanes were imported with a WhatsApp number only: a digest reaches them once they have written.
    for who in (AGUS, YOHANES):
        built.router.handle(Inbound(*who, "menu"))
    with database.session() as db:
        melati = db.scalar(select(Group).where(Group.name == "Melati 1"))
        assert melati is not None
        db.add(
            Meeting(
                group_id=melati.id, recurrence="once", first_date=WEDNESDAY_MEETING, local_time="09:00", place="Balai"
            )
        )
    return built


def words(content: Content) -> DashboardChat:
    assert content.dashboard is not None
    return content.dashboard.chat


def digests(database: Database) -> dict[int, list[OutboxMessage]]:
    with database.session() as db:
        found: dict[int, list[OutboxMessage]] = {}
        for row in db.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.DIGEST)):
            assert row.person_id is not None
            found.setdefault(row.person_id, []).append(row)
        return found


def run(world: World, now: dt.datetime) -> int:
    with world.database.session() as db:
        return run_digests(db, world.content, now, BOTH_CHANNELS)


def test_each_person_gets_it_at_seven_on_monday_in_her_own_time_zone_once(world: World) -> None:
    rina, agus, dewi, yohanes = (person(world.database, p).id for p in (RINA, AGUS, DEWI, YOHANES))
    assert run(world, MONDAY_WIT - dt.timedelta(minutes=1)) == 0
    assert run(world, MONDAY_WIT) == 1
    assert set(digests(world.database)) == {yohanes}
    assert run(world, MONDAY_WIB - dt.timedelta(minutes=1)) == 0
    assert run(world, MONDAY_WIB) == 3
    assert run(world, MONDAY_WIB + dt.timedelta(hours=5)) == 0  # the job runs all day: still once
    sent = digests(world.database)
    assert set(sent) == {rina, agus, dewi, yohanes} and all(len(rows) == 1 for rows in sent.values())
    assert person(world.database, NURHAYATI).id not in sent  # families get no digest
    assert run(world, MONDAY_WIB + dt.timedelta(days=1, hours=1)) == 0  # a missed Monday is not sent on Tuesday


def test_the_digest_counts_her_own_cases_and_meetings(world: World, content: Content) -> None:
    run(world, MONDAY_WIB)
    w = words(content)
    rina = digests(world.database)[person(world.database, RINA).id][0]
    # Where it goes is the reach rule (store/reach.py): she never wrote, so Telegram before WhatsApp.
    assert (rina.channel, rina.recipient) == RINA
    text = rina.body["text"]
    # Filed on the 23rd, answered by nobody: her one case is overdue and its deadline last week was missed.
    assert w.digest_rate.format(percent=0, met=0, due=1) in text
    assert text.startswith(w.digest.split("{name}")[0] + "Rina Wulandari")
    day, at = moment_text(content, dt.datetime.combine(WEDNESDAY_MEETING, dt.time(9), tzinfo=ZoneInfo("Asia/Jakarta")))
    assert w.digest_meeting.format(group="Melati 1", day=day, time=at) in text
    assert "/dasbor" in text
    dewi = digests(world.database)[person(world.database, DEWI).id][0].body["text"]
    assert w.digest_rate.format(percent=0, met=0, due=3) in dewi  # her case, Rina's and Agus's
    yohanes = digests(world.database)[person(world.database, YOHANES).id][0].body["text"]
    assert "Melati 1" not in yohanes


def test_berhenti_stops_the_digest_and_cancels_one_waiting(world: World) -> None:
    run(world, MONDAY_WIT)
    world.clock.now = MONDAY_WIT
    world.router.handle(Inbound(*YOHANES, "BERHENTI"))
    world.router.handle(Inbound(*RINA, "BERHENTI"))
    run(world, MONDAY_WIB)
    sent = digests(world.database)
    assert person(world.database, RINA).id not in sent
    [waiting] = sent[person(world.database, YOHANES).id]
    assert waiting.status == OutboxStatus.CANCELLED


def test_a_pendamping_whose_imported_number_never_wrote_is_not_sent_one(world: World) -> None:
    """WhatsApp business-initiated messages need her opt-in (store/reach.py): the number from pendamping.csv is not."""
    with world.database.session() as db:
        agus = person(world.database, AGUS).id
        db.execute(update(ChannelIdentity).where(ChannelIdentity.person_id == agus).values(opted_in_at=None))
    run(world, MONDAY_WIB)
    assert agus not in digests(world.database)
