"""Dates, times and meeting rules in the words of content/strings.yml, in the reader's own time zone."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from common.enums import OutboxStatus, Recurrence
from content.loader import Content
from reminders.recurrence import LAST_WEEK, Rule
from store.models import Broadcast
from store.workdays import local


def zone_name(when: datetime) -> str:
    """WIB, WITA or WIT (the tz database's own abbreviations for Indonesia)."""
    return when.strftime("%Z")


def day_text(content: Content, day: date) -> str:
    words = content.strings.groups
    return words.date.format(
        weekday=words.weekdays[day.weekday()], day=day.day, month=content.strings.months[day.month - 1], year=day.year
    )


def date_text(content: Content, when: date | datetime, zone: str | None = None) -> str:
    """ "1 Desember 2026": a day, or the day a moment falls on in the reader's zone. The one date format."""
    day = local(when, zone).date() if isinstance(when, datetime) else when
    return f"{day.day} {content.strings.months[day.month - 1]} {day.year}"


def time_text(content: Content, when: datetime) -> str:
    return content.strings.groups.time.format(time=when.strftime("%H.%M"), zone=zone_name(when))


def moment_text(content: Content, when: datetime) -> tuple[str, str]:
    """("Selasa, 8 Desember 2026", "09.00 WIB") for an aware datetime already in the reader's zone."""
    return day_text(content, when.date()), time_text(content, when)


def rule_text(content: Content, rule: Rule) -> str:
    """The rule in words ("setiap hari Selasa minggu kedua, jam 09.00 WIB"), in the group's own zone."""
    words = content.strings.meetings
    sample = datetime.combine(rule.first_date, rule.local_time, tzinfo=rule.zone)
    at = time_text(content, sample)
    weekday = content.strings.groups.weekdays[rule.weekday if rule.weekday is not None else rule.first_date.weekday()]
    if rule.recurrence == Recurrence.MONTHLY:
        if rule.week_of_month == LAST_WEEK:
            return words.rule_monthly_last.format(weekday=weekday, time=at)
        if rule.week_of_month is None:
            raise ValueError("a monthly rule needs its week of the month")
        return words.rule_monthly.format(weekday=weekday, week=words.week_words[rule.week_of_month - 1], time=at)
    if rule.recurrence == Recurrence.BIWEEKLY:
        return words.rule_biweekly.format(weekday=weekday, time=at, date=day_text(content, rule.first_date))
    if rule.recurrence == Recurrence.WEEKLY:
        return words.rule_weekly.format(weekday=weekday, time=at)
    return words.rule_once.format(date=day_text(content, rule.first_date), time=at)


def parse_clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def progress_text(content: Content, broadcast: Broadcast, counts: Counter[str]) -> str:
    """What the sender's progress message says ("Pengumuman #7: terkirim 120/350")."""
    return content.strings.broadcasts.progress.format(
        number=broadcast.id, sent=counts.get(OutboxStatus.SENT, 0), total=broadcast.recipients
    )


def report_text(content: Content, broadcast: Broadcast, counts: Counter[str] | None = None) -> str:
    """The final report; `counts` from the outbox rows when the broadcast is not closed yet."""
    counts = counts if counts is not None else Counter(broadcast.counts)
    return content.strings.broadcasts.report.format(
        number=broadcast.id,
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        blocked=counts.get(OutboxStatus.BLOCKED, 0),
        unreachable=broadcast.skipped_unreachable,
        opted_out=broadcast.skipped_opted_out,
        cancelled=counts.get(OutboxStatus.CANCELLED, 0),
    )
