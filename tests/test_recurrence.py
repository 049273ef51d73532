"""Meeting rules → meeting times → reminder times: month ends, fifth weeks, WIB/WITA/WIT, downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

import pytest

from common.enums import Recurrence
from content.loader import load_content
from reminders.recurrence import LAST_WEEK, Rule, canonical, nth_weekday, occurrences, plan
from reminders.when import parse_when

WORDS = load_content().words

OFFSETS = (timedelta(days=1), timedelta(hours=2))


def starts(rule: Rule, after: datetime, count: int) -> list[str]:
    return [s.strftime("%Y-%m-%d %H:%M %Z") for s in islice(occurrences(rule, after), count)]


def test_selasa_minggu_kedua_across_the_year_end() -> None:
    rule = Rule(Recurrence.MONTHLY, date(2026, 11, 1), time(9), "Asia/Jakarta", weekday=1, week_of_month=2)
    assert starts(rule, datetime(2026, 11, 1, tzinfo=UTC), 4) == [
        "2026-11-10 09:00 WIB",
        "2026-12-08 09:00 WIB",
        "2027-01-12 09:00 WIB",
        "2027-02-09 09:00 WIB",
    ]


def test_fifth_week_skips_months_without_one_and_last_week_never_does() -> None:
    fifth = Rule(Recurrence.MONTHLY, date(2026, 1, 1), time(9), weekday=1, week_of_month=5)
    # Tuesdays: March 2026 has five (31st), April none, June (30th) yes.
    assert starts(fifth, datetime(2026, 3, 1, tzinfo=UTC), 3)[:2] == ["2026-03-31 09:00 WIB", "2026-06-30 09:00 WIB"]
    last = Rule(Recurrence.MONTHLY, date(2026, 1, 1), time(9), weekday=1, week_of_month=LAST_WEEK)
    assert starts(last, datetime(2026, 3, 1, tzinfo=UTC), 3) == [
        "2026-03-31 09:00 WIB",
        "2026-04-28 09:00 WIB",
        "2026-05-26 09:00 WIB",
    ]
    assert nth_weekday(2027, 2, 0, 5) is None  # February 2027 has four Mondays


def test_every_two_weeks_runs_over_month_and_leap_day_boundaries() -> None:
    rule = Rule(Recurrence.BIWEEKLY, date(2028, 2, 17), time(14), "Asia/Makassar", weekday=3)
    assert starts(rule, datetime(2028, 2, 20, tzinfo=UTC), 3) == [
        "2028-03-02 14:00 WITA",
        "2028-03-16 14:00 WITA",
        "2028-03-30 14:00 WITA",
    ]


@pytest.mark.parametrize(
    ("zone", "utc_hour"), [("Asia/Jakarta", 2), ("Asia/Makassar", 1), ("Asia/Jayapura", 0)], ids=["WIB", "WITA", "WIT"]
)
def test_nine_o_clock_local_is_a_different_instant_in_each_zone(zone: str, utc_hour: int) -> None:
    rule = Rule(Recurrence.ONCE, date(2026, 12, 8), time(9), zone)
    (start,) = list(occurrences(rule, datetime(2026, 12, 1, tzinfo=UTC)))
    assert start.astimezone(UTC) == datetime(2026, 12, 8, utc_hour, tzinfo=UTC)


def test_an_early_meeting_in_wit_is_the_evening_before_in_utc() -> None:
    rule = Rule(Recurrence.WEEKLY, date(2026, 12, 1), time(7), "Asia/Jayapura", weekday=1)
    # Monday 22:30 UTC is already Tuesday 07:30 WIT: the 07:00 meeting of that Tuesday has passed.
    after = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    assert starts(rule, after, 1) == ["2026-12-15 07:00 WIT"]


def test_reminders_the_day_before_and_two_hours_before() -> None:
    rule = Rule(Recurrence.ONCE, date(2026, 12, 8), time(9), "Asia/Makassar")
    first = plan(rule, datetime(2026, 12, 1, tzinfo=UTC), OFFSETS)
    assert first.due is None and first.wake_at == datetime(2026, 12, 7, 1, tzinfo=UTC)
    at_first = plan(rule, first.wake_at, OFFSETS)
    assert at_first.due is not None and at_first.due.kind == "1440m" and at_first.due.occurrence == "2026-12-08"
    assert at_first.wake_at == datetime(2026, 12, 7, 23, tzinfo=UTC)


def test_after_downtime_only_the_latest_useful_reminder_is_due_and_none_for_a_past_meeting() -> None:
    rule = Rule(Recurrence.MONTHLY, date(2026, 11, 1), time(9), weekday=1, week_of_month=2)
    # Down from before the day-before reminder until an hour before the meeting: one reminder, the 2-hour one.
    during = plan(rule, datetime(2026, 12, 8, 1, tzinfo=UTC), OFFSETS)
    assert during.due is not None and (during.due.occurrence, during.due.kind) == ("2026-12-08", "120m")
    # Back only after the meeting started: nothing for it; the next wake-up is January's day-before reminder.
    after = plan(rule, datetime(2026, 12, 8, 3, tzinfo=UTC), OFFSETS)
    assert after.due is None and after.wake_at == datetime(2027, 1, 11, 2, tzinfo=UTC)


def test_a_one_off_meeting_in_the_past_plans_nothing() -> None:
    rule = Rule(Recurrence.ONCE, date(2026, 12, 8), time(9))
    assert plan(rule, datetime(2026, 12, 9, tzinfo=UTC), OFFSETS) == plan(rule, datetime(2027, 1, 1, tzinfo=UTC), ())


@pytest.mark.parametrize(
    ("said", "shape"),
    [
        ("setiap Selasa minggu kedua jam 09.00 di balai RW", ("monthly", 1, 2, "09:00", "balai RW")),
        ("Selasa minggu ke-2 jam 9", ("monthly", 1, 2, "09:00", "")),
        ("Rabu minggu terakhir pukul 10.30", ("monthly", 2, LAST_WEEK, "10:30", "")),
        ("2 minggu sekali hari Kamis jam 14.00 di rumah Bu Siti", ("biweekly", 3, None, "14:00", "rumah Bu Siti")),
        ("tiap minggu hari Jumat jam 8", ("weekly", 4, None, "08:00", "")),
        ("tanggal 8 Desember jam 9 di masjid", ("once", 1, None, "09:00", "masjid")),
        ("Sabtu jam 3 sore", ("once", 5, None, "15:00", "")),
        ("di rumah Bu RT jam 9 hari Senin", ("once", 0, None, "09:00", "rumah Bu RT")),
        ("Kamis jam 14.00 di rumah Bu Siti, tiap 2 minggu", ("biweekly", 3, None, "14:00", "rumah Bu Siti")),
    ],
)
def test_meeting_times_as_people_type_them(said: str, shape: tuple[object, ...]) -> None:
    when = parse_when(said, date(2026, 11, 25), WORDS)
    assert when is not None
    assert (when.recurrence, when.weekday, when.week_of_month, when.local_time.strftime("%H:%M"), when.place) == shape


@pytest.mark.parametrize("said", ["selasa", "jam 9", "kapan saja", "minggu kedua"])
def test_a_time_without_a_day_or_a_day_without_a_time_is_asked_again(said: str) -> None:
    assert parse_when(said, date(2026, 11, 25), WORDS) is None


@pytest.mark.parametrize(
    "rule",
    [
        Rule(Recurrence.WEEKLY, date(2025, 3, 4), time(9), "Asia/Jakarta"),
        Rule(Recurrence.BIWEEKLY, date(2025, 3, 11), time(7, 30), "Asia/Jayapura"),
        Rule(Recurrence.MONTHLY, date(2024, 1, 1), time(9), "Asia/Makassar", weekday=1, week_of_month=5),
        Rule(Recurrence.MONTHLY, date(2024, 1, 1), time(23, 30), "Asia/Jakarta", weekday=6, week_of_month=LAST_WEEK),
        Rule(Recurrence.ONCE, date(2026, 12, 3), time(9), "Asia/Jakarta"),
    ],
)
def test_a_canonical_rule_plans_the_same(rule: Rule) -> None:
    """Meetings sharing a rule share one plan (reminders/scheduler.py): the canonical rule must give the same plan
    at every moment from `before` + 2 days on, across month ends and the day boundary in every zone."""
    offsets = (timedelta(days=1), timedelta(hours=2))
    start = datetime(2026, 11, 20, tzinfo=UTC)
    same = canonical(rule, (start - timedelta(days=2)).date())
    assert same.first_date >= rule.first_date
    for hours in range(0, 24 * 70, 5):
        now = start + timedelta(hours=hours)
        assert plan(same, now, offsets) == plan(rule, now, offsets), now
