"""Meeting recurrence → meeting times → reminder times. Pure: no database, no clock of its own.

Meetings are kept in the group's local time (WIB Asia/Jakarta, WITA Asia/Makassar, WIT Asia/Jayapura) and turned
into instants here. A monthly rule ("Selasa minggu kedua") has no meeting in a month without that day: "minggu
kelima" skips months with only four Tuesdays rather than moving the meeting to another week nobody agreed to.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from common.enums import Recurrence

LAST_WEEK = -1
# How far ahead a monthly rule is searched: "minggu kelima" of a weekday occurs at least every few months.
_MONTHS_AHEAD = 24


@dataclass(frozen=True)
class Rule:
    recurrence: Recurrence
    first_date: date
    local_time: time
    timezone: str = "Asia/Jakarta"
    weekday: int | None = None  # 0 = Monday (Senin)
    week_of_month: int | None = None  # 1–5, or LAST_WEEK

    def __post_init__(self) -> None:
        if self.recurrence == Recurrence.MONTHLY and (self.weekday is None or self.week_of_month is None):
            raise ValueError("a monthly rule needs a weekday and a week of the month")
        if self.week_of_month is not None and self.week_of_month not in {1, 2, 3, 4, 5, LAST_WEEK}:
            raise ValueError(f"week of month {self.week_of_month} is not 1–5 or last")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def nth_weekday(year: int, month: int, weekday: int, week: int) -> date | None:
    """The week-th given weekday of a month (LAST_WEEK: the last one); None when the month has no such day."""
    days = calendar.monthrange(year, month)[1]
    if week == LAST_WEEK:
        last = date(year, month, days)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (week - 1)
    return date(year, month, day) if day <= days else None


def _local(rule: Rule, day: date) -> datetime:
    return datetime.combine(day, rule.local_time, tzinfo=rule.zone)


def _dates_from(rule: Rule, start: date) -> Iterator[date]:
    """Meeting dates on or after `start`, in order."""
    first = rule.first_date
    if rule.recurrence == Recurrence.ONCE:
        if first >= start:
            yield first
        return
    if rule.recurrence in (Recurrence.WEEKLY, Recurrence.BIWEEKLY):
        step = 7 if rule.recurrence == Recurrence.WEEKLY else 14
        skipped = max(0, (start - first).days)
        day = first + timedelta(days=-(-skipped // step) * step)
        while True:
            yield day
            day += timedelta(days=step)
    if rule.weekday is None or rule.week_of_month is None:
        raise ValueError("a monthly rule needs its weekday and week of the month")
    origin = max(first, start)
    year, month = origin.year, origin.month
    empty_months = 0
    while empty_months <= _MONTHS_AHEAD:
        found = nth_weekday(year, month, rule.weekday, rule.week_of_month)
        if found is not None and found >= origin:
            empty_months = 0
            yield found
        else:
            empty_months += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def occurrences(rule: Rule, after: datetime) -> Iterator[datetime]:
    """Meeting starts (aware, in the rule's zone) strictly after `after` (any aware datetime)."""
    local_after = after.astimezone(rule.zone)
    for day in _dates_from(rule, local_after.date() - timedelta(days=1)):
        start = _local(rule, day)
        if start > after:
            yield start


def next_occurrence(rule: Rule, after: datetime) -> datetime | None:
    return next(occurrences(rule, after), None)


@dataclass(frozen=True)
class Reminder:
    meeting_start: datetime  # aware, the group's zone
    kind: str  # the offset's name, e.g. "1440m"
    at: datetime  # UTC

    @property
    def key(self) -> str:
        """Names the reminder in dedup keys: the local start, so a meeting moved to another time is reminded
        again, with the new time."""
        return self.meeting_start.strftime("%Y-%m-%dT%H:%M")

    @property
    def occurrence(self) -> str:
        """The meeting's local date: names the occurrence in dedup keys and replies."""
        return self.meeting_start.date().isoformat()


def offset_name(offset: timedelta) -> str:
    return f"{int(offset.total_seconds() // 60)}m"


def reminders_for(start: datetime, offsets: tuple[timedelta, ...]) -> list[Reminder]:
    found = [Reminder(start, offset_name(o), (start - o).astimezone(UTC)) for o in offsets]
    return sorted(found, key=lambda r: r.at)


@dataclass(frozen=True)
class Plan:
    # At most one reminder: the latest one already due for the next meeting. After downtime the person gets one
    # useful reminder, not every one that was missed; a meeting already started gets none.
    due: Reminder | None
    # When to look again: the next reminder still ahead (None: the rule has no more meetings).
    wake_at: datetime | None


def plan(rule: Rule, now: datetime, offsets: tuple[timedelta, ...]) -> Plan:
    due: Reminder | None = None
    if not offsets:
        return Plan(None, None)
    for start in occurrences(rule, now):
        reminders = reminders_for(start, offsets)
        past = [r for r in reminders if r.at <= now]
        ahead = [r for r in reminders if r.at > now]
        if due is None and past:
            due = past[-1]
        if ahead:
            return Plan(due, ahead[0].at)
        # Every reminder of this meeting is due: look at the next meeting for a time to wake up.
    return Plan(due, None)


def canonical(rule: Rule, before: date) -> Rule:
    """The same meetings from `before` on, with the earliest first date that gives them: many meetings share a
    rule ("Selasa minggu kedua jam 09.00 WIB") and differ only in when it was set, so one plan serves them all.
    `before` must be at least a day before the earliest local date a plan looks at (UTC today − 2 days will do)."""
    return replace(rule, first_date=canonical_first_date(rule.recurrence, rule.first_date, before))


def canonical_first_date(recurrence: Recurrence, first_date: date, before: date) -> date:
    """`canonical`'s first date, from the columns alone (the scheduler keys its plans by them)."""
    if recurrence == Recurrence.ONCE or first_date >= before:
        return first_date
    if recurrence == Recurrence.MONTHLY:
        return before
    step = 7 if recurrence == Recurrence.WEEKLY else 14
    return first_date + timedelta(days=(before - first_date).days // step * step)
