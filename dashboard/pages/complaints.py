"""Pengaduan, the home page: what waits (overdue first, then due today and on the next working day), the deadline
figures per pendamping and per kecamatan, and behind every number the list of its cases, also as CSV.

A number and its list come from the same `Selection` over the same rows (store/reports/complaints.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from dashboard.charts import Bar, bar_chart
from dashboard.web import PageRequest
from store.models import Person, Region
from store.reports import complaints as report
from store.reports.complaints import CaseRow, Figures, Measure, Selection
from store.workdays import local

DEFAULT_DAYS = 90
WAITING_SHOWN = 20
PAGE_SIZE = 100
NONE = 0  # "none on file" in a pendamping= or kecamatan= filter


@dataclass(frozen=True)
class Names:
    """Display names for the ids in case rows: staff, kecamatan, categories."""

    people: dict[int, str]
    regions: dict[int, str]
    categories: dict[str, str]

    def person(self, person_id: int | None, fallback: str) -> str:
        return self.people.get(person_id, fallback) if person_id else fallback


def names_for(request: PageRequest, cases: list[CaseRow], selection: Selection | None = None) -> Names:
    """Names for the ids in these rows (and in the filter, so a filter with no cases still says whose)."""
    people = {c.pendamping_id for c in cases} | {c.assignee_id for c in cases}
    regions = {c.kecamatan_id for c in cases if c.kecamatan_id}
    if selection is not None:
        people.add(selection.pendamping)
        regions.add(selection.kecamatan or 0)
    found = dict(
        request.db.execute(select(Person.id, Person.name).where(Person.id.in_([p for p in people if p]))).tuples().all()
    )
    kecamatan = dict(request.db.execute(select(Region.id, Region.name).where(Region.id.in_(regions))).tuples().all())
    rules = request.content.complaints
    categories = {c.id: c.title for c in rules.categories} if rules else {}
    return Names({k: v or "" for k, v in found.items()}, kecamatan, categories)


def link(measure: Measure, days: int, pendamping: int | None = None, kecamatan: int | None = None) -> str:
    # Written out rather than urlencoded: every value is a number or a measure's URL-safe name, and the home page
    # has over a thousand of these links.
    path = f"/dasbor/pengaduan/daftar?measure={measure.value}&days={days}"
    if pendamping is not None:
        path += f"&pendamping={pendamping}"
    if kecamatan is not None:
        path += f"&kecamatan={kecamatan}"
    return path


def home(request: PageRequest) -> web.StreamResponse:
    days, now = request.days(DEFAULT_DAYS), request.now
    since = now - _period(days)
    cases = report.visible_cases(request.db, request.viewer.scope, now, counted_since=since)
    classes = report.classify(cases, since, now)
    names = names_for(request, cases)
    waiting = {
        measure: report.select_cases(cases, Selection(measure), classes, now)
        for measure in (Measure.OVERDUE, Measure.DUE_TODAY, Measure.DUE_NEXT)
    }
    per_pendamping = _table(report.by_key(cases, lambda c: c.pendamping_id or NONE, classes), names.people)
    per_kecamatan = _table(report.by_key(cases, lambda c: c.kecamatan_id or NONE, classes), names.regions)
    words = request.renderer.words["complaints"]
    chart = bar_chart(
        words["chart_first_response"],
        [
            Bar(
                name or words["no_pendamping"],
                rate,
                f"{round(rate * 100)}%",
                link(Measure.FIRST_RESPONSE_MET, days, key),
            )
            for key, name, figures in per_pendamping
            if (rate := figures.first_response_rate) is not None
        ],
        maximum=1.0,
    )
    rules = request.content.complaints
    return request.page(
        "complaints.html",
        days=days,
        total=report.figures(cases, classes),
        waiting=waiting,
        shown=WAITING_SHOWN,
        per_pendamping=per_pendamping,
        per_kecamatan=per_kecamatan,
        chart=chart,
        names=names,
        link=link,
        Measure=Measure,
        first_response_days=rules.first_response_days if rules else 2,
        resolution_days=rules.resolution_days if rules else 10,
        statuses=rules.texts.statuses if rules else {},
        levels=rules.texts.levels if rules else {},
    )


def _period(days: int) -> dt.timedelta:
    return dt.timedelta(days=days)


def _table(by_key: dict[int, Figures], names: dict[int, str]) -> list[tuple[int, str, Figures]]:
    """Rows sorted by name, "none on file" last."""
    rows = [(key, names.get(key, "") if key else "", figures) for key, figures in by_key.items()]
    return sorted(rows, key=lambda row: (row[0] == NONE, row[1].lower(), row[0]))


def _selection(request: PageRequest) -> Selection | None:
    try:
        measure = Measure(request.query.get("measure", Measure.ALL.value))
    except ValueError:
        return None
    return Selection(measure, request.number("pendamping"), request.number("kecamatan"))


def _selected(request: PageRequest) -> tuple[Selection, int, list[CaseRow], Names] | None:
    selection = _selection(request)
    if selection is None:
        return None
    days = request.days(DEFAULT_DAYS)
    since = request.now - _period(days)
    only_open = selection.measure in report.CURRENT
    cases = report.visible_cases(request.db, request.viewer.scope, request.now, since, only_open)
    classes = report.classify(cases, since, request.now)
    chosen = report.select_cases(cases, selection, classes, request.now)
    return selection, days, chosen, names_for(request, chosen, selection)


def case_list(request: PageRequest) -> web.StreamResponse:
    found = _selected(request)
    if found is None:
        return request.not_found()
    selection, days, chosen, names = found
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(request.number("page") or 1, 1), pages)
    rules = request.content.complaints
    return request.page(
        "complaint_list.html",
        days=days,
        selection=selection,
        cases=chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        count=len(chosen),
        page=page,
        pages=pages,
        names=names,
        query=dict(request.query),
        urlencode=urlencode,
        statuses=rules.texts.statuses if rules else {},
        levels=rules.texts.levels if rules else {},
    )


def case_list_csv(request: PageRequest) -> web.StreamResponse:
    """The list as CSV: the same rows and columns as the page (no reporters, no stories: a file leaves the system)."""
    found = _selected(request)
    if found is None:
        return request.not_found()
    selection, _, chosen, names = found
    c = request.renderer.words["columns"]
    keys = ("ticket", "category", "status", "level", "handler", "deadline", "created", "pendamping", "kecamatan")
    rows = [[c[k] for k in keys], *(_case_cells(request, case, names) for case in chosen)]
    return _csv(f"pengaduan-{selection.measure.value}.csv", rows)


def _case_cells(request: PageRequest, case: CaseRow, names: Names) -> list[str]:
    rules, dash = request.content.complaints, request.renderer.words["common"]["dash"]
    statuses = rules.texts.statuses if rules else {}
    levels = rules.texts.levels if rules else {}
    deadline = local(case.escalate_at, case.timezone).date().isoformat() if case.escalate_at and case.open else ""
    return [
        case.ticket,
        names.categories.get(case.category, case.category),
        statuses.get(case.status, case.status),
        levels.get(case.level, case.level),
        names.person(case.assignee_id, dash),
        deadline,
        local(case.created_at, case.timezone).date().isoformat(),
        names.person(case.pendamping_id, dash),
        names.regions.get(case.kecamatan_id or NONE, dash),
    ]


def summary_csv(request: PageRequest) -> web.StreamResponse:
    """The per-pendamping and per-kecamatan tables of the home page, as they are shown."""
    days, now = request.days(DEFAULT_DAYS), request.now
    since = now - _period(days)
    cases = report.visible_cases(request.db, request.viewer.scope, now, counted_since=since)
    classes = report.classify(cases, since, now)
    names = names_for(request, cases)
    words, c = request.renderer.words["complaints"], request.renderer.words["columns"]
    header = [
        "",
        "",
        *(c[k] for k in ("cases", "open", "overdue", "first_response", "resolution")),
        *(c[k] for k in ("median_first_response", "median_resolution", "escalated", "reopened")),
    ]
    rows: list[list[str]] = [header]
    tables = (
        (
            words["per_pendamping"],
            words["no_pendamping"],
            report.by_key(cases, lambda r: r.pendamping_id or 0, classes),
            names.people,
        ),
        (
            words["per_kecamatan"],
            words["no_kecamatan"],
            report.by_key(cases, lambda r: r.kecamatan_id or 0, classes),
            names.regions,
        ),
    )
    for title, nobody, figures_by_key, labels in tables:
        for _, name, figures in _table(figures_by_key, labels):
            rows.append([title, name or nobody, *_figure_cells(figures)])
    return _csv(f"pengaduan-ringkasan-{days}-hari.csv", rows)


def _figure_cells(f: Figures) -> Iterator[str]:
    yield from (str(f.cases), str(f.open), str(f.overdue))
    yield f"{f.first_response_met}/{f.first_response_decided}"
    yield f"{f.resolution_met}/{f.resolution_decided}"
    yield from (_days(f.median_first_response_days), _days(f.median_resolution_days))
    yield from (str(f.escalated_koordinator + f.escalated_admin), f"{f.reopened}/{f.ever_resolved}")


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _csv(filename: str, rows: list[list[str]]) -> web.Response:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
