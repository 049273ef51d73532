"""Meetings in the database → rules, next times and reminder rows in the outbox. Used by the scheduler's jobs and
by the chat actions; it never schedules anything itself (only reminders/scheduler.py does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from common.enums import MeetingAnswer, OutboxKind, OutboxStatus, lane_of
from common.messages import Option, Reply
from content.loader import Content
from reminders import wording
from reminders.recurrence import Reminder, Rule, next_occurrence
from store import bulk, groups, reach
from store.db import affected
from store.models import Group, Meeting, MeetingReply, OutboxMessage, Region
from store.reach import Address
from store.workdays import local

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
    start = local(reminder.meeting_start, timezone)
    days_ahead = (start.date() - local(now, timezone).date()).days
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


def enqueue_reminders(
    db: Session,
    content: Content,
    due: Sequence[tuple[Meeting, Reminder]],
    now: datetime,
    channels: reach.Channels,
) -> int:
    """One outbox row per member each due reminder reaches (store/reach.py: not after BERHENTI, only where she can
    be reached), once per dedup key. Many groups meet at the same hour, so reminders come in bursts: every look-up
    is made once for all the meetings due, and the rows go in with one bulk insert."""
    if not due:
        return 0
    group_of = {g.id: g for g in db.scalars(select(Group).where(Group.id.in_({m.group_id for m, _ in due})))}
    members = groups.members_by_group(db, group_of)
    everyone = sorted({pid for pids in members.values() for pid in pids})
    addresses = {a.person_id: a for a in reach.audience(db, everyone, channels).reachable}
    zones = groups.zones_of(db, addresses)
    group_zones = _group_zones(db, list(group_of.values()))
    wanted: list[tuple[str, Address, dict[str, Any], datetime]] = []
    bodies: dict[tuple[int, str], dict[str, Any]] = {}  # members of one group mostly share a time zone
    for meeting, reminder in due:
        group = group_of.get(meeting.group_id)
        if group is None:
            continue
        for pid in members.get(group.id, []):
            address = addresses.get(pid)
            if address is None:
                continue
            zone = zones.get(pid) or group_zones.get(group.id) or groups.DEFAULT_TIMEZONE
            at = max(now, reminder.at)  # written ahead: worded as at its time, sent from then on
            if (meeting.id, zone) not in bodies:
                bodies[meeting.id, zone] = reminder_body(content, meeting, group, reminder, zone, at).as_body()
            key = f"reminder:{meeting.id}:{reminder.key}:{reminder.kind}:{pid}"
            wanted.append((key, address, bodies[meeting.id, zone], at))
    existing = _existing_keys(db, [key for key, _, _, _ in wanted])
    written = datetime.now(UTC)
    rows = [
        {
            "channel": address.channel.value,
            "recipient": address.external_id,
            "person_id": address.person_id,
            "kind": OutboxKind.REMINDER.value,
            "lane": int(lane_of(OutboxKind.REMINDER)),
            "body": body,
            "dedup_key": key,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "parts_sent": 0,
            "not_before": at,
            "created_at": written,
        }
        for key, address, body, at in wanted
        if key not in existing
    ]
    bulk.executemany(db.connection(), _INSERT, rows)
    return len(rows)


_OUTBOX = cast(Table, OutboxMessage.__table__)
_COLUMNS = (
    "channel",
    "recipient",
    "person_id",
    "kind",
    "lane",
    "body",
    "dedup_key",
    "status",
    "attempts",
    "parts_sent",
    "not_before",
)
# Typed bindparams: bulk.executemany converts values with the columns' types.
_INSERT = insert(_OUTBOX).values(
    {name: bindparam(name, type_=_OUTBOX.c[name].type) for name in (*_COLUMNS, "created_at")}
)


def _group_zones(db: Session, found: list[Group]) -> dict[int, str]:
    regions = {g.region_id for g in found if g.region_id is not None}
    zone_of = dict(db.execute(select(Region.id, Region.timezone).where(Region.id.in_(regions))).tuples().all())
    return {g.id: zone_of[g.region_id] for g in found if g.region_id in zone_of}


def _existing_keys(db: Session, keys: list[str]) -> set[str]:
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(db.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(chunk))))
    return existing


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
    return affected(result)


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
