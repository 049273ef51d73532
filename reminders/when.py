"""Reading a meeting time as a ketua types it: "setiap Selasa minggu kedua jam 09.00 di balai RW",
"2 minggu sekali hari Kamis jam 14.00", "tanggal 8 Desember jam 9". Pure; the form offers buttons for the common
shapes, so this only has to be forgiving about spelling, not clever."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache

from common.enums import Recurrence
from content.words_schema import Words
from reminders.recurrence import LAST_WEEK

_TIME = re.compile(r"(?:\bjam|\bpukul|\bpkl\.?)\s*(\d{1,2})(?:[.:](\d{2}))?|\b(\d{1,2})[.:](\d{2})\b")
_BIWEEKLY = re.compile(r"\b(2|dua)\s+minggu(an)?\s+sekali\b|\b(tiap|setiap)\s+(2|dua)\s+minggu\b|\b2\s*mingguan\b")
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+([a-z]{3}[a-z]*)\.?(?:\s+(\d{4}))?")
_DATE_DIGITS = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b")
_PLACE_END = re.compile(r"\s(?=(?:hari|setiap|tiap|tanggal|tgl|besok|lusa)\b)", re.IGNORECASE)
_PLACE = re.compile(r"\s(?:bertempat\s+di|di|tempat)\s+(?!minggu\b)(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Patterns:
    """What reads weekday names and week ordinals, built from content/words.yml."""

    weekday: str
    nth: re.Pattern[str]
    weekly: re.Pattern[str]


def _alternatives(words: Iterable[str]) -> str:
    return "(" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) + ")"


@cache
def _patterns(words: Words) -> _Patterns:
    weekday = _alternatives(word for names in words.weekdays for word in names)
    ordinal = _alternatives(
        [*(word for names in words.weeks for word in names), *words.last_week, "1", "2", "3", "4", "5"]
    )
    nth = re.compile(weekday + r"\s+(?:di\s+)?minggu\s*(?:ke\s*-?\s*)?" + ordinal)
    weekly = re.compile(r"\b(tiap|setiap)\s+(minggu\b|hari\s+" + weekday + r"|" + weekday + r")|\bseminggu\s+sekali\b")
    return _Patterns(weekday, nth, weekly)


@dataclass(frozen=True)
class When:
    recurrence: Recurrence
    first_date: date
    local_time: time
    weekday: int | None = None
    week_of_month: int | None = None
    place: str = ""


def _weekday_after(today: date, weekday: int) -> date:
    """The next such day, today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _time(text: str) -> time | None:
    match = _TIME.search(text)
    if match is None:
        return None
    hour, minute = (match[1], match[2]) if match[1] else (match[3], match[4])
    h, m = int(hour), int(minute or 0)
    if ("sore" in text and h < 12) or ("malam" in text and 6 <= h < 12):
        h += 12
    return time(h, m) if h < 24 and m < 60 else None


def _date(text: str, today: date, words: Words) -> date | None:
    found: tuple[int, int, int | None] | None = None
    named = _DATE_WORDS.search(text)
    month = words.month(named[2]) if named else None
    if named and month is not None:
        found = (int(named[1]), month, int(named[3]) if named[3] else None)
    else:
        digits = _DATE_DIGITS.search(text)
        if digits:
            year = int(digits[3]) if digits[3] else None
            found = (int(digits[1]), int(digits[2]), year + 2000 if year is not None and year < 100 else year)
    if found is None:
        return None
    day, month, year = found
    try:
        when = date(year or today.year, month, day)
        if year is None and when < today:
            when = date(today.year + 1, month, day)
    except ValueError:
        return None
    return when


def _weekday_in(text: str, words: Words) -> int | None:
    """The weekday named, ignoring "minggu" where it means a week ("2 minggu sekali", "setiap minggu hari Kamis")."""
    cleaned = re.sub(r"\b(2|dua)\s+minggu(an)?\b|\bseminggu\b", " ", text)
    found = [m[1] for m in re.finditer(r"\b" + _patterns(words).weekday + r"\b", cleaned)]
    if len(found) > 1 and found[0] == "minggu":
        found.pop(0)
    return words.weekday(found[0]) if found else None


def parse_when(raw: str, today: date, words: Words) -> When | None:
    """None when the day or the time cannot be read; the form then asks again with an example. Weekday, week and
    month names come from content/words.yml."""
    work = " " + " ".join(raw.replace(",", " ").split()) + " "
    lowered = work.lower()
    time_match = _TIME.search(lowered)
    at = _time(lowered)
    if at is None or time_match is None:
        return None
    work = work[: time_match.start()] + " " + work[time_match.end() :]
    place = ""
    place_match = _PLACE.search(work)
    if place_match:
        # "di rumah Bu RT hari Senin": the place ends where the day starts.
        place = _PLACE_END.split(place_match[1], maxsplit=1)[0]
        rest = place_match[1][len(place) :]
        place = place.strip(" .")
        work = work[: place_match.start()] + " " + rest
    text = " " + " ".join(work.lower().split()) + " "
    patterns = _patterns(words)
    nth = patterns.nth.search(text)
    if nth:
        week = LAST_WEEK if nth[2] in words.last_week else words.week(nth[2])
        return When(Recurrence.MONTHLY, today, at, words.weekday(nth[1]), week, place)
    weekday = _weekday_in(text, words)
    if _BIWEEKLY.search(text) and weekday is not None:
        return When(Recurrence.BIWEEKLY, _weekday_after(today, weekday), at, weekday, None, place)
    if patterns.weekly.search(text) and weekday is not None:
        return When(Recurrence.WEEKLY, _weekday_after(today, weekday), at, weekday, None, place)
    on = _date(text, today, words)
    if on is not None:
        return When(Recurrence.ONCE, on, at, on.weekday(), None, place)
    for word, days in (("lusa", 2), ("besok", 1), ("hari ini", 0)):
        if word in text:
            return When(Recurrence.ONCE, today + timedelta(days=days), at, None, None, place)
    if weekday is not None:
        return When(Recurrence.ONCE, _weekday_after(today, weekday), at, weekday, None, place)
    return None
