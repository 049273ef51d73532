"""The reminder plan, kept in the database: each meeting's next wake-up in `meetings.remind_at` (indexed).

The scheduler (reminders/scheduler.py) owns the clock; this module does the work in batches of BATCH meetings, one
transaction and one UPDATE each, taking the lock per batch so a due reminder never waits for a long planning pass:

- `plan`: meetings whose `version` the scheduler has not planned (new, changed, cancelled) get a new `remind_at`; a
  changed meeting's queued reminders are cancelled (they would tell the old time) and the one due now is written.
- `fire`: every meeting whose `remind_at` comes within AHEAD writes its reminder (reminders.recurrence.plan
  decides: after downtime only the latest useful one, none for a meeting that has started), held in the outbox
  until its time by `not_before`, and moves `remind_at` on.

Most meetings share a rule ("Selasa minggu kedua jam 09.00 WIB") and differ in when it was set: one plan is computed
per canonical rule. A plan follows the reminder offsets of its time: after SAHABAT_REMINDER_OFFSETS changes, a
meeting follows the new ones from its next wake-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, DateTime, Integer, Row, Table, bindparam, func, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from common.enums import Recurrence
from content.loader import Content
from reminders import meetings, wording
from reminders.recurrence import Plan, Reminder, Rule, canonical_first_date, plan
from store import bulk
from store.db import Database
from store.models import Meeting
from store.reach import Channels
from store.workdays import as_utc

log = logging.getLogger(__name__)

BATCH = 5000
# Reminders are written this long before their time, each row held back until then (`not_before`): a burst of
# thousands at 09.00 is in the outbox by 09.00 however long writing it takes. Changes, BERHENTI and HAPUS DATA
# cancel pending rows, so one written ahead is cancelled like any other.
AHEAD = timedelta(seconds=60)
NOTHING = Plan(None, None)
_COLUMNS = (
    Meeting.id,
    Meeting.version,
    Meeting.scheduled_version,
    Meeting.remind_at,
    Meeting.cancelled_at.is_not(None).label("cancelled"),
    Meeting.recurrence,
    Meeting.first_date,
    Meeting.local_time,
    Meeting.timezone,
    Meeting.weekday,
    Meeting.week_of_month,
)
_CHANGED = or_(Meeting.scheduled_version.is_(None), Meeting.scheduled_version != Meeting.version)
_MEETINGS = cast(Table, Meeting.__table__)
_TABLE = _MEETINGS.c
# A meeting changed again meanwhile (another version) keeps its old plan until the next sync. Planning is not a
# change of the meeting: updated_at stays.
_KEEP = {"updated_at": _TABLE.updated_at}
_MOVE = (
    update(_MEETINGS)
    .where(_TABLE.id == bindparam("meeting"), _TABLE.version == bindparam("planned"))
    .values(
        remind_at=bindparam("wake_at", type_=_TABLE.remind_at.type), scheduled_version=bindparam("planned"), **_KEEP
    )
)
# PostgreSQL takes the whole batch as three arrays in one statement (an executemany there is a round trip a row).
_MOVE_ARRAYS = text(
    "UPDATE meetings AS m SET remind_at = v.wake_at, scheduled_version = v.planned"
    " FROM unnest(:meetings, :wakes, :planned) AS v(id, wake_at, planned)"
    # The id range lets PostgreSQL read only the batch's rows, not hash the whole table.
    " WHERE m.id = v.id AND m.version = v.planned AND m.id BETWEEN :low AND :high"
).bindparams(
    bindparam("meetings", type_=postgresql.ARRAY(Integer)),
    bindparam("wakes", type_=postgresql.ARRAY(DateTime(timezone=True))),
    bindparam("planned", type_=postgresql.ARRAY(Integer)),
)
RuleKey = tuple[Recurrence, date, str, str, int | None, int | None]


@dataclass
class Pass:
    """One planning or firing pass at one moment: meetings whose rules agree share one plan."""

    now: datetime
    offsets: tuple[timedelta, ...]
    plans: dict[tuple[object, ...], Plan] = field(default_factory=dict)
    written: int = 0
    planned: int = 0

    def __post_init__(self) -> None:
        self.before = (self.now - timedelta(days=2)).date()

    def plan_of(self, meeting_id: int, cancelled: bool, columns: RuleKey, moment: datetime) -> Plan:
        """The plan at `moment` (now, or the reminder time of a meeting written ahead)."""
        if cancelled:
            return NOTHING
        recurrence, first_date, local_time, timezone, weekday, week = columns
        first = canonical_first_date(recurrence, first_date, self.before)
        key = (recurrence, first, local_time, timezone, weekday, week, moment)
        found = self.plans.get(key)
        if found is None:
            found = self.plans[key] = self._plan(meeting_id, key[:-1], moment)
        return found

    def _plan(self, meeting_id: int, key: RuleKey, moment: datetime) -> Plan:
        recurrence, first, local_time, timezone, weekday, week = key
        try:
            rule = Rule(recurrence, first, wording.parse_clock(local_time), timezone, weekday, week)
        except (ValueError, KeyError):  # written into the database by hand: never planned, never retried in a loop
            log.exception("meeting %d has a rule that cannot be planned", meeting_id)
            return NOTHING
        return plan(rule, moment, self.offsets)


class Planner:
    def __init__(self, db: Database, content: Content, offsets: tuple[timedelta, ...], channels: Channels) -> None:
        self.db, self.content, self.offsets, self.channels = db, content, offsets, channels
        # Held for one batch at a time: planning and firing never change one meeting at once.
        self.lock = threading.Lock()

    def plan(self, now: datetime) -> int:
        """Plans the meetings changed since they were last planned; returns how many."""
        work = Pass(now, self.offsets)
        # Their ids first, then each batch by an id range: a range scan of the primary key, where paging through
        # "changed" with a LIMIT makes PostgreSQL scan and sort the whole table for every batch.
        with self.db.session() as db:
            ids = list(db.scalars(select(Meeting.id).where(_CHANGED).order_by(Meeting.id)))
        for start in range(0, len(ids), BATCH):
            low, high = ids[start], ids[min(start + BATCH, len(ids)) - 1]
            with self.lock, self.db.session() as db:
                query = select(*_COLUMNS).where(_CHANGED, Meeting.id.between(low, high))
                self._apply(db, db.connection().execute(query).all(), work)
        return work.planned

    def fire(self, now: datetime) -> int:
        """Writes the reminders of every meeting whose time comes within AHEAD (each row waits in the outbox for
        its time: `not_before`); returns how many outbox rows were written."""
        work, last = Pass(now, self.offsets), 0
        until = now + AHEAD
        while True:
            with self.lock, self.db.session() as db:
                query = select(*_COLUMNS).where(Meeting.remind_at <= until, Meeting.id > last).order_by(Meeting.id)
                rows = db.connection().execute(query.limit(BATCH)).all()
                if rows:
                    self._apply(db, rows, work, due=True)
            if len(rows) < BATCH:
                return work.written
            last = rows[-1].id

    def wake(self, meeting_id: int, now: datetime) -> int:
        """Plans one meeting now and writes its due reminder, whatever its `remind_at` says."""
        work = Pass(now, self.offsets)
        with self.lock, self.db.session() as db:
            self._apply(
                db, db.connection().execute(select(*_COLUMNS).where(Meeting.id == meeting_id)).all(), work, due=True
            )
        return work.written

    def next_wake(self, meeting_id: int | None = None) -> datetime | None:
        """When the scheduler must look next (for one meeting, or for any)."""
        where: ColumnElement[bool] = Meeting.id == meeting_id if meeting_id is not None else Meeting.id.is_not(None)
        with self.db.session() as db:
            found = db.scalar(select(func.min(Meeting.remind_at)).where(where))
        return None if found is None else as_utc(found)

    def _apply(self, db: Session, rows: Sequence[Row[Any]], work: Pass, due: bool = False) -> None:
        """One batch: cancel stale reminders of changed meetings, write the due ones, store the new plans."""
        to_write: list[tuple[int, Reminder]] = []
        moves: dict[tuple[datetime | None, int], list[int]] = {}
        for meeting_id, version, scheduled, remind_at, cancelled, *columns in rows:
            changed = scheduled != version
            remind_at = as_utc(remind_at) if remind_at is not None else None
            # Written ahead: planned as at its reminder time.
            moment = max(work.now, remind_at) if due and remind_at is not None else work.now
            planned = work.plan_of(meeting_id, cancelled, tuple(columns), moment)
            moved = planned.wake_at != remind_at
            if changed and scheduled is not None:
                meetings.cancel_pending(db, meeting_id)
            if planned.due is not None and (due or changed or moved):
                to_write.append((meeting_id, planned.due))
            if changed or moved:
                moves.setdefault((planned.wake_at, version), []).append(meeting_id)
                work.planned += changed
        if to_write:
            self._write(db, to_write, work)
        self._move(db, moves)

    @staticmethod
    def _move(db: Session, moves: dict[tuple[datetime | None, int], list[int]]) -> None:
        rows = [(meeting, wake_at, version) for (wake_at, version), ids in moves.items() for meeting in ids]
        if not rows:
            return
        if db.get_bind().dialect.name == "postgresql":
            meeting_ids, wakes, versions = (list(column) for column in zip(*rows, strict=True))
            values = {"meetings": meeting_ids, "wakes": wakes, "planned": versions}
            db.execute(_MOVE_ARRAYS, {**values, "low": min(meeting_ids), "high": max(meeting_ids)})
            return
        named = [{"meeting": meeting, "wake_at": wake_at, "planned": version} for meeting, wake_at, version in rows]
        bulk.executemany(db.connection(), _MOVE, named)

    def _write(self, db: Session, to_write: list[tuple[int, Reminder]], work: Pass) -> None:
        found = {m.id: m for m in db.scalars(select(Meeting).where(Meeting.id.in_([i for i, _ in to_write])))}
        pairs = [(found[i], reminder) for i, reminder in to_write if i in found]
        written = meetings.enqueue_reminders(db, self.content, pairs, work.now, self.channels)
        work.written += written
        log.info("reminders: %d meetings due, %d outbox rows written", len(pairs), written)
