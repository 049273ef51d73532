"""Working days in Indonesia: weekends and national holidays (from the maintained `holidays` package) are skipped,
and the day boundary is the person's own time zone (WIB, WITA or WIT).

A deadline of N working days is the end of the Nth working day after the day the clock started, so it can be told
to a person as a date ("paling lambat Selasa, 1 Desember")."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_ZONE = "Asia/Jakarta"


@cache
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive value (SQLite gives back naive datetimes) is taken to be UTC already."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def local(moment: dt.datetime, zone: str | None) -> dt.datetime:
    return as_utc(moment).astimezone(ZoneInfo(zone or DEFAULT_ZONE))


def at(day: dt.date, clock: dt.time, zone: str | None) -> dt.datetime:
    """A local day and time in a zone, as an aware UTC moment."""
    return dt.datetime.combine(day, clock, tzinfo=ZoneInfo(zone or DEFAULT_ZONE)).astimezone(dt.UTC)


def add_working_days(start: dt.datetime, days: int, zone: str | None) -> dt.datetime:
    """The last moment (23:59:59 local) of the `days`-th working day after the local day of `start`, in UTC."""
    day = local(start, zone).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return at(day, dt.time(23, 59, 59), zone)


def working_days_between(start: dt.datetime, end: dt.datetime, zone: str | None) -> int:
    """Whole working days after the local day of `start` up to and including the local day of `end`."""
    first, last = local(start, zone).date(), local(end, zone).date()
    count = 0
    while first < last:
        first += dt.timedelta(days=1)
        count += is_working_day(first)
    return count
