"""The dashboard counts in the database and reads only the cases a figure can count; these tests hold its numbers
to a straightforward Python computation over every row, on the small dashboard world, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from common.enums import Channel
from content.loader import Content
from store.db import Database
from store.models import Group, Membership, Person, Turn
from store.reports import complaints as report
from store.reports.reach import ACTIVE_DAYS, Tally, how_reached, reach_report
from store.reports.scope import scope_of
from tests.complaint_world import ADMIN, DEWI, RINA, YOHANES, person
from tests.dashboard_world import READ, World
from tests.dialog import BOTH_CHANNELS

EVERYONE = [RINA, DEWI, YOHANES, ADMIN]
Row = tuple[tuple[int, ...], Counter[str]]


def row_of(tally: Tally) -> Row:
    counts = (tally.families, tally.in_directory, tally.talked, tally.active, tally.opted_out, tally.unreachable)
    return counts, Counter({str(k): v for k, v in tally.channels.items() if v})


@pytest.fixture
def world(database: Database, content: Content) -> World:
    return World(database, content).build()


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("days", [1, 30, 365])
def test_complaint_figures_match_counting_every_case(world: World, who: tuple[Channel, str], days: int) -> None:
    since = READ - dt.timedelta(days=days)
    with world.database.session() as db:
        viewer = db.get(Person, person(world.database, who).id)
        assert viewer is not None
        scope = scope_of(db, viewer)
        assert scope is not None
        every = report.visible_cases(db, scope, READ)
        counted = report.visible_cases(db, scope, READ, counted_since=since)
        waiting = report.visible_cases(db, scope, READ, only_open=True)
    every_class = report.classify(every, since, READ)
    counted_class = report.classify(counted, since, READ)
    assert report.figures(counted, counted_class) == report.figures(every, every_class)
    for measure in report.Measure:
        expected = [c.ticket for c in every if measure in every_class[c.id]]
        assert [c.ticket for c in report.select_cases(counted, report.Selection(measure), counted_class, READ)] == [
            c.ticket for c in report.select_cases(every, report.Selection(measure), every_class, READ)
        ]
        assert sorted(c.ticket for c in counted if measure in counted_class[c.id]) == sorted(expected)
    assert {c.ticket for c in waiting} == {c.ticket for c in every if c.open}


@pytest.mark.parametrize("who", EVERYONE)
def test_jangkauan_matches_counting_every_family(world: World, who: tuple[Channel, str]) -> None:
    with world.database.session() as db:
        viewer = db.get(Person, person(world.database, who).id)
        assert viewer is not None
        scope = scope_of(db, viewer)
        assert scope is not None
        found = reach_report(db, scope, READ, BOTH_CHANNELS)
        families = list(db.scalars(select(Person).where(scope.families())))
        reached = how_reached(db, [f.id for f in families], BOTH_CHANNELS)
        since = READ - dt.timedelta(days=ACTIVE_DAYS)
        active = {
            t.person_id
            for t in db.scalars(db.query(Turn).statement)
            if t.direction == "in" and t.created_at.replace(tzinfo=dt.UTC) >= since
        }
        groups = {g.id for g in db.scalars(db.query(Group).where(scope.groups()).statement)}
        members = [
            (m.group_id, m.person_id) for m in db.scalars(db.query(Membership).statement) if m.group_id in groups
        ]

    def tally(people: list[Person]) -> Row:
        channels = Counter(str(a.channel) for p in people if (a := reached[p.id]) is not None)
        return (
            len(people),
            sum(bool(p.in_directory) for p in people),
            sum(p.privacy_notice_at is not None for p in people),
            sum(p.id in active for p in people),
            sum(p.opted_out_at is not None for p in people),
            sum(reached[p.id] is None for p in people),
        ), channels

    by_id = {p.id: p for p in families}
    assert row_of(found.total) == tally(families)
    assert set(found.by_group) == groups
    for group_id in groups:
        assert row_of(found.by_group[group_id]) == tally([by_id[p] for g, p in members if g == group_id and p in by_id])
    kelurahan = {p.region_id or 0 for p in families}
    assert set(found.by_kelurahan) == kelurahan
    for region in kelurahan:
        assert row_of(found.by_kelurahan[region]) == tally([p for p in families if (p.region_id or 0) == region])
