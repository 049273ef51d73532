"""Meetings in the database → rules, next times and reminder rows in the outbox. Used by the scheduler's jobs and
by the chat actions; it never schedules anything itself (only reminders/scheduler.py does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from common.enums import MeetingAnswer, OutboxKind, OutboxStatus
from common.messages import Option, Reply
from content.loader import Content
from reminders import wording
from reminders.recurrence import Reminder, Rule, next_occurrence
from store import groups
from store.models import Group, Meeting, MeetingReply, OutboxMessage, Person

DEFAULT_OFFSETS = (timedelta(days=1), timedelta(hours=2))


def rule_of(meeting: Meeting) -> Rule:
    return Rule(
        meeting.recurrence,
        meeting.first_date,
        wording.parse_clock(meeting.local_time),
        meeting.timezone,
        meeting.weekday,
        meeting.week_of_month,
    )


def next_start(meeting: Meeting, now: datetime) -> datetime | None:
    return None if meeting.cancelled_at is not None else next_occurrence(rule_of(meeting), now)


def active(db: Session, group_ids: list[int]) -> list[Meeting]:
    query = select(Meeting).where(Meeting.group_id.in_(group_ids), Meeting.cancelled_at.is_(None)).order_by(Meeting.id)
    return list(db.scalars(query))


def changed(meeting: Meeting) -> None:
    """Every change goes through here: the scheduler re-plans meetings whose version it has not seen."""
    meeting.version = (meeting.version or 0) + 1


def reply_payload(meeting_id: int, occurrence: str, answer: MeetingAnswer) -> str:
    """ "hadir 12 2026-12-08": short enough for Telegram's 64-byte button data, and readable where shown."""
    return f"{'hadir' if answer == MeetingAnswer.HADIR else 'tidak hadir'} {meeting_id} {occurrence}"


def reminder_body(
    content: Content, meeting: Meeting, group: Group, reminder: Reminder, timezone: str, now: datetime
) -> Reply:
    words = content.strings.meetings
    start = wording.local(reminder.meeting_start, timezone)
    days_ahead = (start.date() - wording.local(now, timezone).date()).days
    on_day = wording.day_text(content, start.date())
    day = words.today if days_ahead == 0 else words.tomorrow.format(date=on_day) if days_ahead == 1 else on_day
    text = words.reminder.format(
        group=group.name, day=day, time=wording.time_text(content, start), place=meeting.place or "-"
    )
    if meeting.topic:
        text = text.replace("\n", "\n" + words.topic_line.format(topic=meeting.topic).strip() + "\n", 1)
    options = (
        Option(words.yes_button, reply_payload(meeting.id, reminder.occurrence, MeetingAnswer.HADIR)),
        Option(words.no_button, reply_payload(meeting.id, reminder.occurrence, MeetingAnswer.TIDAK)),
    )
    return Reply(text, options, meeting=meeting.id, occurrence=reminder.occurrence)


def enqueue_reminders(db: Session, content: Content, meeting: Meeting, reminder: Reminder, now: datetime) -> int:
    """One outbox row per reachable member who has not said BERHENTI, once per dedup key. Rows are added in bulk
    after one look-up of the keys already there: many groups meet at the same hour, so reminders come in bursts."""
    group = db.get(Group, meeting.group_id)
    if group is None:
        return 0
    reach = groups.audience(db, groups.member_ids(db, [group.id]))
    keys = {a.person_id: f"reminder:{meeting.id}:{reminder.key}:{reminder.kind}:{a.person_id}" for a in reach.reachable}
    existing = set(db.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(list(keys.values())))))
    query = select(Person).where(Person.id.in_(list(keys))).options(selectinload(Person.region))
    people = {p.id: p for p in db.scalars(query)}
    bodies: dict[str, dict[str, Any]] = {}  # members of one group mostly share a time zone
    rows = []
    for address in reach.reachable:
        if keys[address.person_id] in existing:
            continue
        timezone = groups.timezone_of(db, people[address.person_id], group)
        if timezone not in bodies:
            bodies[timezone] = reminder_body(content, meeting, group, reminder, timezone, now).as_body()
        rows.append(
            {
                "channel": address.channel,
                "recipient": address.external_id,
                "person_id": address.person_id,
                "kind": OutboxKind.REMINDER,
                "body": bodies[timezone],
                "dedup_key": keys[address.person_id],
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "not_before": now,
                "created_at": datetime.now(UTC),
            }
        )
    if rows:
        db.execute(insert(OutboxMessage), rows)
    return len(rows)


def cancel_pending(db: Session, meeting_id: int) -> int:
    """Reminder rows not yet sent for a meeting that changed or was cancelled: they would tell the old time."""
    result = db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == OutboxKind.REMINDER,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.dedup_key.like(f"reminder:{meeting_id}:%"),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def reply_counts(db: Session, meeting: Meeting, occurrence: str) -> tuple[int, int, int]:
    """(hadir, tidak bisa, belum menjawab) for one meeting date."""
    answers = dict(
        db.execute(
            select(MeetingReply.answer, func.count(MeetingReply.id))
            .where(MeetingReply.meeting_id == meeting.id, MeetingReply.occurrence == occurrence)
            .group_by(MeetingReply.answer)
        )
        .tuples()
        .all()
    )
    members = len(groups.member_ids(db, [meeting.group_id]))
    yes, no = answers.get(MeetingAnswer.HADIR, 0), answers.get(MeetingAnswer.TIDAK, 0)
    return yes, no, max(0, members - yes - no)
