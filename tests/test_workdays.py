"""Working-day deadlines with a frozen clock: weekends and national holidays skipped, in WIB and WIT."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from store.workdays import add_working_days, is_working_day, working_days_between

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def local_day(moment: dt.datetime, zone: str) -> tuple[dt.date, dt.time]:
    shown = moment.astimezone(ZoneInfo(zone))
    return shown.date(), shown.time()


def test_christmas_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(dt.date(2026, 12, 25))  # Friday, Christmas
    assert not is_working_day(dt.date(2026, 11, 28))  # Saturday
    assert is_working_day(dt.date(2026, 11, 27))
    assert not is_working_day(dt.date(2026, 8, 17))  # Independence Day, a Monday


@pytest.mark.parametrize("zone", [WIB, WIT])
def test_filed_on_friday_the_weekend_is_skipped(zone: str) -> None:
    filed = at(zone, 2026, 11, 27, 16, 0)  # Friday afternoon
    assert local_day(add_working_days(filed, 2, zone), zone) == (dt.date(2026, 12, 1), dt.time(23, 59, 59))
    assert local_day(add_working_days(filed, 10, zone), zone)[0] == dt.date(2026, 12, 11)


@pytest.mark.parametrize("zone", [WIB, WIT])
def test_filed_before_christmas_the_holiday_and_weekend_are_skipped(zone: str) -> None:
    filed = at(zone, 2026, 12, 24, 10, 0)  # Thursday; Friday 25 is Christmas
    assert local_day(add_working_days(filed, 2, zone), zone)[0] == dt.date(2026, 12, 29)
    # 10 working days: 28-31 Dec; 1 Jan (New Year) and 5 Jan 2027 (Isra' Mi'raj) are holidays; 4, 6-8, 11-12 Jan.
    assert local_day(add_working_days(filed, 10, zone), zone)[0] == dt.date(2027, 1, 12)


def test_the_same_moment_is_a_different_day_in_wib_and_wit() -> None:
    moment = at(WIB, 2026, 12, 23, 23, 30)  # Wednesday night in Jakarta, already Thursday 01:30 in Jayapura
    wib = add_working_days(moment, 2, WIB)
    wit = add_working_days(moment, 2, WIT)
    assert local_day(wib, WIB)[0] == dt.date(2026, 12, 28)  # Thu 24, (Christmas, weekend), Mon 28
    assert local_day(wit, WIT)[0] == dt.date(2026, 12, 29)  # Mon 28, Tue 29
    # End of the day in each zone: Jayapura's day ends two hours before Jakarta's.
    assert wit - wib == dt.timedelta(days=1, hours=-2)


def test_a_complaint_filed_on_a_saturday_counts_from_monday() -> None:
    filed = at(WITA, 2026, 11, 28, 9, 0)
    assert local_day(add_working_days(filed, 1, WITA), WITA)[0] == dt.date(2026, 11, 30)


def test_working_days_between_counts_only_working_days() -> None:
    start = at(WIB, 2026, 12, 24, 10, 0)
    assert working_days_between(start, at(WIB, 2026, 12, 29, 9, 0), WIB) == 2
    assert working_days_between(start, start, WIB) == 0
