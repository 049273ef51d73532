"""The scheduler on real databases: reminders planned, moved, cancelled, caught up after downtime (or not, for a
meeting already past), BERHENTI/MULAI, and one leading process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from sqlalchemy import select

from common.enums import Channel, OutboxStatus
from content.loader import Content
from reminders.leader import LEASE
from reminders.scheduler import ReminderScheduler
from store.db import Database
from store.models import Group, Meeting, MeetingReply, OutboxMessage
from tests.dialog import BOTH_CHANNELS, contains, run_dialog
from tests.group_helpers import Clock, directory, due_rows, outbox_rows, person_id, recipients, router, writes_once
from tests.waiting import wait_until

# Tuesday 10 November 2026, 09.00 WIB = 02.00 UTC: "Selasa minggu kedua". In the past for the real clock, so
# APScheduler fires a job planned for it at once, as after downtime.
MEETING_DAY = date(2026, 11, 10)


def add_meeting(database: Database, **values: object) -> int:
    with database.session() as db:
        group = db.scalars(select(Group).where(Group.name == "Melati 1")).one()
        fields: dict[str, object] = {
            "recurrence": "once",
            "first_date": MEETING_DAY,
            "local_time": "09:00",
            "timezone": "Asia/Jakarta",
            "place": "balai RW",
            "topic": "",
            "version": 1,
        }
        meeting = Meeting(group_id=group.id, **{**fields, **values})
        db.add(meeting)
        db.flush()
        return meeting.id


def change(database: Database, meeting_id: int, **values: object) -> None:
    with database.session() as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting.version += 1


@pytest.fixture
def schedulers(database: Database, content: Content) -> Iterator[list[ReminderScheduler]]:
    """Schedulers made by a test, each stopped at the end. Nurhayati, imported with her WhatsApp number, has written
    once (opted in); Siti gets hers on Telegram."""
    directory(database)
    writes_once(database, content, "6281234560002", Channel.WHATSAPP)
    made: list[ReminderScheduler] = []
    yield made
    for scheduler in made:
        scheduler.stop()


def scheduler_at(
    made: list[ReminderScheduler], database: Database, content: Content, clock: Clock, lease: timedelta = LEASE
) -> ReminderScheduler:
    scheduler = ReminderScheduler(database, content, lease=lease, clock=clock, channels=BOTH_CHANNELS)
    made.append(scheduler)
    return scheduler


def planned_before_downtime(
    database: Database, content: Content, meeting: int, expected: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that ran before the downtime, three days before the meeting. Its APScheduler is paused, as the
    fake clock is in the real clock's past and a running one would fire the job at once; and APScheduler looks
    for due jobs once more while shutting down, which this stand-in for a dead process must not do."""
    before = ReminderScheduler(
        database, content, clock=Clock(datetime(2026, 11, 7, 1, tzinfo=UTC)), channels=BOTH_CHANNELS
    )
    before.scheduler.start(paused=True)
    before.sync()
    assert before.next_wake(meeting) == expected
    monkeypatch.setattr(before.scheduler, "_process_jobs", lambda: None)
    before.stop()


def test_reminders_follow_a_changed_and_a_cancelled_meeting(
    database: Database, content: Content, schedulers: list[ReminderScheduler]
) -> None:
    clock = Clock(datetime(2026, 12, 1, 1, tzinfo=UTC))
    meeting = add_meeting(database, recurrence="monthly", first_date=date(2026, 12, 1), weekday=1, week_of_month=2)
    scheduler = scheduler_at(schedulers, database, content, clock)
    assert scheduler.start()
    assert scheduler.next_wake(meeting) == datetime(2026, 12, 7, 2, tzinfo=UTC)  # the day before, 09.00 WIB
    change(database, meeting, local_time="13:00")
    assert scheduler.sync() == 1
    assert scheduler.next_wake(meeting) == datetime(2026, 12, 7, 6, tzinfo=UTC)
    # The day-before reminder is queued; then the ketua moves the meeting to 15.00: the queued reminder with the old
    # time is cancelled and the members get one with the new time a day before it.
    clock.now = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    scheduler.wake(meeting)
    assert [r.status for r in outbox_rows(database, "reminder")] == ["pending", "pending"]
    assert all("besok, Selasa, 8 Desember 2026, jam 13.00 WIB" in r.body["text"] for r in outbox_rows(database))
    change(database, meeting, local_time="15:00")
    scheduler.sync()
    assert [r.status for r in outbox_rows(database, "reminder")] == ["cancelled", "cancelled"]
    assert scheduler.next_wake(meeting) == datetime(2026, 12, 7, 8, tzinfo=UTC)
    clock.now = datetime(2026, 12, 7, 8, tzinfo=UTC)
    scheduler.wake(meeting)
    rows = outbox_rows(database, "reminder")
    assert [r.status for r in rows] == ["cancelled", "cancelled", "pending", "pending"]
    assert all("jam 15.00 WIB" in r.body["text"] for r in rows[2:])
    assert scheduler.next_wake(meeting) == datetime(2026, 12, 8, 6, tzinfo=UTC)  # two hours before 15.00
    change(database, meeting, cancelled_at=clock.now)
    scheduler.sync()
    assert scheduler.next_wake(meeting) is None
    assert [r.status for r in outbox_rows(database, "reminder")].count(OutboxStatus.PENDING) == 0


def test_after_downtime_the_useful_reminder_is_sent_once(
    database: Database, content: Content, schedulers: list[ReminderScheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = add_meeting(database)
    planned_before_downtime(database, content, meeting, datetime(2026, 11, 9, 2, tzinfo=UTC), monkeypatch)
    # Down through the day-before reminder; back an hour before the meeting: one reminder, "hari ini".
    after = scheduler_at(schedulers, database, content, Clock(datetime(2026, 11, 10, 1, tzinfo=UTC)))
    assert after.start()
    wait_until(lambda: len(outbox_rows(database, "reminder")) == 2)
    wait_until(lambda: after.next_wake(meeting) is None)  # a one-off meeting: nothing more is planned, or written
    rows = outbox_rows(database, "reminder")
    assert len(rows) == 2 and all(":120m:" in r.dedup_key and "hari ini" in r.body["text"] for r in rows)
    (yes_title, yes), (no_title, no) = rows[0].body["options"]
    assert (yes_title, no_title) == ("Hadir", "Tidak bisa hadir")
    assert yes == f"hadir {meeting} 2026-11-10" and len(no.encode()) <= 64  # Telegram's limit for button data
    # Typing the answer instead of pressing the button answers the latest reminder.
    bot = router(database, content, Clock(datetime(2026, 11, 10, 1, 30, tzinfo=UTC)))
    run_dialog(bot, "7001", [("Tidak bisa hadir", contains("tidak bisa hadir"))], channel=Channel.TELEGRAM)
    with database.session() as db:
        assert db.scalar(select(MeetingReply.occurrence)) == "2026-11-10"


def test_after_downtime_a_meeting_already_past_gets_no_reminder(
    database: Database, content: Content, schedulers: list[ReminderScheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = add_meeting(database, recurrence="monthly", first_date=date(2026, 11, 1), weekday=1, week_of_month=2)
    planned_before_downtime(database, content, meeting, datetime(2026, 11, 9, 2, tzinfo=UTC), monkeypatch)
    after = scheduler_at(schedulers, database, content, Clock(datetime(2026, 11, 10, 3, tzinfo=UTC)))
    assert after.start()
    # The missed job runs, sends nothing, and plans December's day-before reminder.
    wait_until(lambda: after.next_wake(meeting) == datetime(2026, 12, 7, 2, tzinfo=UTC))
    assert outbox_rows(database) == []


def test_a_reminder_is_in_the_outbox_before_its_time_and_held_until_then(
    database: Database, content: Content, schedulers: list[ReminderScheduler]
) -> None:
    """Real time: a reminder due in two seconds is written ahead (a burst of thousands must be in the outbox by its
    time) and carries its time as not_before, so the outbox sender does not send it early."""
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    due_at = now + timedelta(seconds=2)
    add_meeting(database, first_date=start.astimezone(UTC).date(), local_time=start.strftime("%H:%M"), timezone="UTC")
    scheduler = ReminderScheduler(database, content, offsets=(start - due_at,), channels=BOTH_CHANNELS)
    schedulers.append(scheduler)
    assert scheduler.start()
    wait_until(lambda: len(outbox_rows(database, "reminder")) == 2)
    for row in outbox_rows(database, "reminder"):
        written, held = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (row.created_at, row.not_before))
        assert written <= due_at and held == due_at
    assert not due_rows(database, "telegram", due_at - timedelta(seconds=1))
    assert [r.recipient for r in due_rows(database, "telegram", due_at)] == ["7001"]


def test_berhenti_ends_reminders_and_mulai_brings_them_back(
    database: Database, content: Content, schedulers: list[ReminderScheduler]
) -> None:
    clock = Clock(datetime(2026, 12, 7, 3, tzinfo=UTC))
    meeting = add_meeting(database, recurrence="weekly", first_date=date(2026, 12, 1), weekday=1)
    scheduler = scheduler_at(schedulers, database, content, clock)
    nurhayati = person_id(database, "Nurhayati")
    assert scheduler.start()
    assert recipients(database, "reminder")[nurhayati] == 1  # the day-before reminder for 8 December
    bot = router(database, content, clock)
    run_dialog(bot, "6281234560002", [("BERHENTI", contains("tidak akan menerima", "MULAI"))], channel=Channel.WHATSAPP)
    with database.session() as db:  # her reminder still waiting in the outbox is cancelled too
        status = db.scalar(select(OutboxMessage.status).where(OutboxMessage.person_id == nurhayati))
        assert status == "cancelled"
    clock.now = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)  # two hours before
    scheduler.wake(meeting)
    assert recipients(database, "reminder")[nurhayati] == 1
    run_dialog(bot, "6281234560002", [("mulai", contains("menerima pengingat", "BERHENTI"))], channel=Channel.WHATSAPP)
    clock.now = datetime(2026, 12, 14, 3, tzinfo=UTC)
    scheduler.wake(meeting)
    assert recipients(database, "reminder")[nurhayati] == 2


def test_exactly_one_process_runs_the_scheduler(
    database: Database, content: Content, schedulers: list[ReminderScheduler]
) -> None:
    first = scheduler_at(schedulers, database, content, Clock())
    second = scheduler_at(schedulers, database, content, Clock())
    assert first.start() and first.leading
    assert not second.start() and not second.scheduler.running
    assert first.keep_lead() and not second.keep_lead()  # renewing keeps it
    first.stop()  # a clean stop gives the lease up at once
    assert second.keep_lead() and second.scheduler.running


def test_a_leader_that_cannot_renew_knows_it_before_another_takes_over(
    database: Database, content: Content, schedulers: list[ReminderScheduler]
) -> None:
    lease = timedelta(seconds=1)
    first = scheduler_at(schedulers, database, content, Clock(), lease=lease)
    second = scheduler_at(schedulers, database, content, Clock(), lease=lease)
    assert first.start()
    # The first stops renewing (its connection dropped, or the process was paused) and the second keeps trying.
    wait_until(second.keep_lead, timeout=5)
    assert not first.leading  # its own count ran out before the lease could pass on: never two leaders
    assert not first.keep_lead() and first.scheduler.state == STATE_PAUSED
    assert second.scheduler.state == STATE_RUNNING


def test_reminder_times_are_configurable() -> None:
    from bot.settings import Settings, parse_offsets

    assert Settings.from_env({}).reminder_offsets == (timedelta(days=1), timedelta(hours=2))
    assert Settings.from_env({"SAHABAT_REMINDER_OFFSETS": "30m, 1d"}).reminder_offsets == (
        timedelta(days=1),
        timedelta(minutes=30),
    )
    with pytest.raises(ValueError, match="2 jam"):
        parse_offsets("2 jam")
