"""Complaints as the dashboard and the digest count them: the cases one person may see, where each stands on the
working-day clock the chat uses, and the figures per pendamping and per kecamatan.

Every figure is a count of `CaseRow`s that a `Measure` picks, so a number on a page and the list behind it (and its
CSV) are the same rows by construction."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from statistics import median
from typing import NamedTuple

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session, aliased

from common.enums import ComplaintEventKind, ComplaintStatus, Level
from store.complaints import OPEN, CaseAccess, may_see
from store.models import Complaint, ComplaintEvent, Person, Region
from store.reports.scope import Scope
from store.workdays import add_working_days, as_utc, at, local


class Due(StrEnum):
    """Where an open case stands against the deadline of its current step."""

    OVERDUE = "overdue"
    TODAY = "today"
    NEXT_WORKING_DAY = "next-working-day"
    LATER = "later"
    NONE = "none"


class CaseRow(NamedTuple):
    """One case as the dashboard counts it (a tuple: thousands are made per page)."""

    id: int
    ticket: str
    category: str
    status: ComplaintStatus
    level: Level
    escalation_level: int
    timezone: str
    created_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    escalate_at: dt.datetime | None
    assignee_id: int | None
    # The family's pendamping, unless the case is about her; and the reporter's kecamatan.
    pendamping_id: int | None
    kecamatan_id: int | None
    reopened: bool
    # Where it stands on the clock, as of the moment the rows were read (see `due_at`).
    due: Due
    # Who may see it (store.complaints.may_see decides).
    access: CaseAccess

    # Every time above is aware UTC (see `all_cases`).

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def first_response_days(self) -> float | None:
        return _days(self.created_at, self.first_response_at)

    def resolution_days(self) -> float | None:
        return _days(self.created_at, self.resolved_at)


def due_at(status: str, escalate_at: dt.datetime | None, zone: str, now: dt.datetime) -> Due:
    """Overdue, due today or on the next working day, in the reporter's time zone, as the chat counts it."""
    if status not in OPEN or escalate_at is None:
        return Due.NONE
    deadline = escalate_at
    if deadline < now:
        return Due.OVERDUE
    day = local(deadline, zone).date()
    if day == local(now, zone).date():
        return Due.TODAY
    if day == _next_working_day(now, zone):
        return Due.NEXT_WORKING_DAY
    return Due.LATER


@cache
def _next_working_day_cached(today: dt.date, zone: str) -> dt.date:
    return local(add_working_days(at(today, dt.time(12), zone), 1, zone), zone).date()


def _next_working_day(now: dt.datetime, zone: str) -> dt.date:
    return _next_working_day_cached(local(now, zone).date(), zone)


def _met(done: dt.datetime | None, due: dt.datetime, now: dt.datetime) -> bool | None:
    """True/False once decided (done, or the deadline passed without it); None while it may still go either way."""
    if done is not None:
        return done <= due
    return False if now > due else None


def _days(start: dt.datetime, end: dt.datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 86400


def visible_cases(
    db: Session, scope: Scope, now: dt.datetime, counted_since: dt.datetime | None = None, only_open: bool = False
) -> list[CaseRow]:
    """Every case this person may see, newest first. `counted_since`: only the cases a measure can count with that
    period (open, or come in since then; see `measures_of`); `only_open`: only open cases (what waits now)."""
    return visible(all_cases(db, now, scope.team, counted_since, only_open), scope)


def visible(cases: Iterable[CaseRow], scope: Scope) -> list[CaseRow]:
    """The cases of `all_cases` this person may see (store.complaints.may_see)."""
    return [c for c in cases if may_see(c.access, scope.person_id, scope.role, scope.team)]


def all_cases(
    db: Session,
    now: dt.datetime,
    team: frozenset[int] | None = None,
    counted_since: dt.datetime | None = None,
    only_open: bool = False,
) -> list[CaseRow]:
    """Every case, newest first, to be filtered by `visible` (the digest reads them once for everyone). With a
    `team`, only the cases that may concern it are read: handled by it or its families', or with watchers (the
    rule itself is still `may_see`, applied by `visible`)."""
    reporter, home = aliased(Person), aliased(Region)
    query = (
        select(
            Complaint.id,
            Complaint.ticket,
            Complaint.category,
            Complaint.status,
            Complaint.level,
            Complaint.escalation_level,
            Complaint.timezone,
            Complaint.created_at,
            Complaint.first_response_due,
            Complaint.resolution_due,
            Complaint.first_response_at,
            Complaint.resolved_at,
            Complaint.escalate_at,
            Complaint.assignee_id,
            # As text: nearly every list is empty, and "[]" needs no JSON parsing (thousands of rows per page).
            cast(Complaint.watcher_ids, String),
            cast(Complaint.hidden_ids, String),
            reporter.pendamping_id,
            home.parent_id,
        )
        .outerjoin(reporter, reporter.id == Complaint.reporter_id)
        .outerjoin(home, home.id == reporter.region_id)
        .order_by(Complaint.id.desc())
    )
    if team is not None:
        members = sorted(team)
        query = query.where(
            or_(
                Complaint.assignee_id.in_(members),
                reporter.pendamping_id.in_(members),
                cast(Complaint.watcher_ids, String) != "[]",
            )
        )
    if only_open:
        query = query.where(Complaint.status.in_(OPEN))
    elif counted_since is not None:
        query = query.where(or_(Complaint.status.in_(OPEN), Complaint.created_at >= counted_since))
    reopened = set(
        db.scalars(select(ComplaintEvent.complaint_id).where(ComplaintEvent.kind == ComplaintEventKind.REOPENED))
    )
    rows = []
    # Core rows (no ORM entities in the result), unpacked: the cheapest way through thousands of them.
    for (
        case_id,
        ticket,
        category,
        status,
        level,
        escalation_level,
        timezone,
        created_at,
        first_response_due,
        resolution_due,
        first_response_at,
        resolved_at,
        escalate_at,
        assignee_id,
        watchers,
        hidden_from,
        pendamping_id,
        kecamatan_id,
    ) in db.connection().execute(query):
        hidden = _ids(hidden_from)
        pendamping = None if pendamping_id in hidden else pendamping_id
        access = CaseAccess(assignee_id, level, _ids(watchers), hidden, pendamping)
        escalate_at = as_utc(escalate_at) if escalate_at else None
        rows.append(
            CaseRow(
                case_id,
                ticket,
                category,
                status,
                level,
                escalation_level,
                timezone,
                as_utc(created_at),
                as_utc(first_response_due),
                as_utc(resolution_due),
                as_utc(first_response_at) if first_response_at else None,
                as_utc(resolved_at) if resolved_at else None,
                escalate_at,
                assignee_id,
                pendamping,
                kecamatan_id,
                case_id in reopened,
                due_at(status, escalate_at, timezone, now),
                access,
            )
        )
    return rows


def _ids(listed: str) -> list[int]:
    """Person ids from a JSON list column read as text."""
    return [] if listed == "[]" else [int(i) for i in json.loads(listed)]


class Measure(StrEnum):
    """What a number counts; its value names it in URLs (`?measure=`) and CSV file names."""

    ALL = "all"
    OPEN = "open"
    OVERDUE = "overdue"
    DUE_TODAY = "due-today"
    DUE_NEXT = "due-next-working-day"
    FIRST_RESPONSE_DECIDED = "first-response-decided"
    FIRST_RESPONSE_MET = "first-response-met"
    FIRST_RESPONSE_MISSED = "first-response-missed"
    RESOLUTION_DECIDED = "resolution-decided"
    RESOLUTION_MET = "resolution-met"
    RESOLUTION_MISSED = "resolution-missed"
    ESCALATED_KOORDINATOR = "escalated-koordinator"
    ESCALATED_ADMIN = "escalated-admin"
    EVER_RESOLVED = "ever-resolved"
    REOPENED = "reopened"


# Measures about what is waiting now count every open case; the others count cases that came in in the period.
CURRENT = frozenset({Measure.OPEN, Measure.OVERDUE, Measure.DUE_TODAY, Measure.DUE_NEXT})


def measures_of(case: CaseRow, since: dt.datetime, now: dt.datetime) -> frozenset[Measure]:
    """Every measure that counts this case: what waits as of now, and, for a case that came in since `since`, how
    its deadlines went. The one definition of each number on the Pengaduan page."""
    found: list[Measure] = []
    if case.open:
        found.append(Measure.OPEN)
        found += _DUE_MEASURES.get(case.due, ())
    if case.created_at >= since:
        found.append(Measure.ALL)
        first = _met(case.first_response_at, case.first_response_due, now)
        if first is not None:
            found += (
                Measure.FIRST_RESPONSE_DECIDED,
                Measure.FIRST_RESPONSE_MET if first else Measure.FIRST_RESPONSE_MISSED,
            )
        resolution = _met(case.resolved_at, case.resolution_due, now)
        if resolution is not None:
            found += (Measure.RESOLUTION_DECIDED, Measure.RESOLUTION_MET if resolution else Measure.RESOLUTION_MISSED)
        if case.escalation_level > 0 and case.level in _ESCALATED:
            found.append(_ESCALATED[case.level])
        if case.reopened or case.resolved_at is not None:
            found.append(Measure.EVER_RESOLVED)
        if case.reopened:
            found.append(Measure.REOPENED)
    return frozenset(found)


_DUE_MEASURES = {
    Due.OVERDUE: (Measure.OVERDUE,),
    Due.TODAY: (Measure.DUE_TODAY,),
    Due.NEXT_WORKING_DAY: (Measure.DUE_NEXT,),
}
_ESCALATED: dict[str, Measure] = {
    Level.KOORDINATOR: Measure.ESCALATED_KOORDINATOR,
    Level.ADMIN: Measure.ESCALATED_ADMIN,
}


@dataclass(frozen=True)
class Selection:
    """Which cases a number stands for: a measure, optionally one pendamping or kecamatan (0 = none on file)."""

    measure: Measure = Measure.ALL
    pendamping: int | None = None
    kecamatan: int | None = None


def select_cases(cases: Iterable[CaseRow], selection: Selection, classes: Classes, now: dt.datetime) -> list[CaseRow]:
    found = [
        case
        for case in cases
        if selection.measure in classes[case.id]
        and (selection.pendamping is None or (case.pendamping_id or 0) == selection.pendamping)
        and (selection.kecamatan is None or (case.kecamatan_id or 0) == selection.kecamatan)
    ]
    if selection.measure in CURRENT:  # what waits: the most urgent first
        found.sort(key=lambda c: as_utc(c.escalate_at) if c.escalate_at else now)
    return found


@dataclass(frozen=True)
class Figures:
    """One row of the per-pendamping or per-kecamatan table (or the total)."""

    cases: int
    open: int
    overdue: int
    first_response_met: int
    first_response_decided: int
    resolution_met: int
    resolution_decided: int
    median_first_response_days: float | None
    median_resolution_days: float | None
    escalated_koordinator: int
    escalated_admin: int
    reopened: int
    ever_resolved: int

    @property
    def first_response_rate(self) -> float | None:
        return _rate(self.first_response_met, self.first_response_decided)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolution_met, self.resolution_decided)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.ever_resolved)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


Classes = dict[int, frozenset[Measure]]


def classify(cases: Iterable[CaseRow], since: dt.datetime, now: dt.datetime) -> Classes:
    """Which measures count each case (by id): decided once per page, then only counted."""
    return {case.id: measures_of(case, since, now) for case in cases}


def figures(cases: list[CaseRow], classes: Classes) -> Figures:
    """The figures of these cases (classified by `classify`)."""
    # Cases share a handful of measure sets: count the sets, then what is in them.
    counts: Counter[Measure] = Counter()
    for measures, times in Counter(classes[case.id] for case in cases).items():
        for measure in measures:
            counts[measure] += times
    recent = [c for c in cases if Measure.ALL in classes[c.id]]
    first = [d for c in recent if (d := c.first_response_days()) is not None]
    resolved = [d for c in recent if (d := c.resolution_days()) is not None]
    return Figures(
        cases=counts[Measure.ALL],
        open=counts[Measure.OPEN],
        overdue=counts[Measure.OVERDUE],
        first_response_met=counts[Measure.FIRST_RESPONSE_MET],
        first_response_decided=counts[Measure.FIRST_RESPONSE_DECIDED],
        resolution_met=counts[Measure.RESOLUTION_MET],
        resolution_decided=counts[Measure.RESOLUTION_DECIDED],
        median_first_response_days=median(first) if first else None,
        median_resolution_days=median(resolved) if resolved else None,
        escalated_koordinator=counts[Measure.ESCALATED_KOORDINATOR],
        escalated_admin=counts[Measure.ESCALATED_ADMIN],
        reopened=counts[Measure.REOPENED],
        ever_resolved=counts[Measure.EVER_RESOLVED],
    )


def by_key(cases: list[CaseRow], key: Callable[[CaseRow], int], classes: Classes) -> dict[int, Figures]:
    """Figures per pendamping (`lambda c: c.pendamping_id or 0`) or per kecamatan; 0 = none on file."""
    groups: dict[int, list[CaseRow]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return {k: figures(v, classes) for k, v in groups.items()}


def last_week(now: dt.datetime, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to Monday 00:00 of the week before this one, in the person's time zone, as UTC."""
    today = local(now, zone)
    monday = (today - dt.timedelta(days=today.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return (monday - dt.timedelta(days=7)).astimezone(dt.UTC), monday.astimezone(dt.UTC)


def deadlines_met_between(cases: list[CaseRow], start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(met, due) for the first-response and resolution deadlines that fell in [start, end): how many of the
    deadlines of that week were kept."""
    met = due = 0
    for case in cases:
        for done, deadline in (
            (case.first_response_at, case.first_response_due),
            (case.resolved_at, case.resolution_due),
        ):
            if start <= deadline < end:
                due += 1
                met += done is not None and done <= deadline
    return met, due
