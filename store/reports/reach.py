"""Jangkauan: the families in view against those the assistant has talked with, is reaching, or cannot reach; per
group, kelurahan and channel.

How a person is reached (which channel) is asked in one place, `how_reached`, which is the reach rule everything
the assistant starts follows (store/reach.py); the digest asks it too."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from common.enums import Direction
from store.models import Group, Membership, Person, Region, Turn
from store.reach import Address, Channels, audience, reached_on
from store.reports.scope import Scope

ACTIVE_DAYS = 30


def how_reached(db: Session, person_ids: list[int], channels: Channels) -> dict[int, Address | None]:
    """How the assistant writes to each person on this deployment's channels: the channel and her id on it; None
    when none reaches her. BERHENTI is not applied here (the callers count or skip those people themselves)."""
    reach = audience(db, person_ids, channels, include_opted_out=True)
    found = {address.person_id: address for address in reach.reachable}
    return {pid: found.get(pid) for pid in person_ids}


@dataclass
class Tally:
    """One row of a Jangkauan table."""

    families: int = 0
    in_directory: int = 0
    talked: int = 0
    active: int = 0
    opted_out: int = 0
    unreachable: int = 0
    channels: Counter[str] = field(default_factory=Counter)


@dataclass
class ReachReport:
    total: Tally
    by_group: dict[int, Tally]
    group_names: dict[int, str]
    by_kelurahan: dict[int, Tally]
    kelurahan_names: dict[int, str]
    by_channel: Counter[str]


def _families(scope: Scope, now: dt.datetime, channels: Channels) -> Subquery:
    """One row per family in view with what each column of the tables counts (0 or 1) and her channel."""
    since = now - dt.timedelta(days=ACTIVE_DAYS)
    active = Person.id.in_(select(Turn.person_id).where(Turn.direction == Direction.IN, Turn.created_at >= since))
    return (
        select(
            Person.id,
            Person.region_id,
            _one(Person.in_directory.is_(True)).label("in_directory"),
            _one(Person.privacy_notice_at.is_not(None)).label("talked"),
            _one(active).label("active"),
            _one(Person.opted_out_at.is_not(None)).label("opted_out"),
            reached_on(channels).label("channel"),
        )
        .where(scope.families())
        .subquery()
    )


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _tallies(
    db: Session, key: ColumnElement[int] | InstrumentedAttribute[int], family: Subquery, query: Select[Any]
) -> dict[int, Tally]:
    """Tallies per `key`, counted by the database: one row per key and channel."""
    counted = query.add_columns(
        key,
        family.c.channel,
        func.count(),
        func.sum(family.c.in_directory),
        func.sum(family.c.talked),
        func.sum(family.c.active),
        func.sum(family.c.opted_out),
    ).group_by(key, family.c.channel)
    tallies: dict[int, Tally] = {}
    for row in db.execute(counted).tuples():
        group, channel, families, in_directory, talked, active, opted_out = row
        tally = tallies.setdefault(group, Tally())
        _add(tally, families, in_directory, talked, active, opted_out, channel)
    return tallies


def _add(
    tally: Tally, families: int, in_directory: int, talked: int, active: int, opted_out: int, channel: str | None
) -> None:
    tally.families += families
    tally.in_directory += in_directory
    tally.talked += talked
    tally.active += active
    tally.opted_out += opted_out
    if channel is None:
        tally.unreachable += families
    else:
        tally.channels[channel] += families


def reach_report(db: Session, scope: Scope, now: dt.datetime, channels: Channels) -> ReachReport:
    family = _families(scope, now, channels)
    by_kelurahan = _tallies(db, func.coalesce(family.c.region_id, 0), family, select().select_from(family))
    total = Tally()
    for tally in by_kelurahan.values():
        total.families += tally.families
        total.in_directory += tally.in_directory
        total.talked += tally.talked
        total.active += tally.active
        total.opted_out += tally.opted_out
        total.unreachable += tally.unreachable
        total.channels.update(tally.channels)
    group_rows = db.execute(select(Group.id, Group.name).where(scope.groups()).order_by(Group.name)).all()
    group_names = {row.id: row.name for row in group_rows}
    members = (
        select()
        .select_from(family)
        .join(Membership, Membership.person_id == family.c.id)
        .join(Group, Group.id == Membership.group_id)
        .where(scope.groups())
    )
    by_group = {group_id: Tally() for group_id in group_names}
    by_group.update(_tallies(db, Membership.group_id, family, members))
    region_ids = [r for r in by_kelurahan if r]
    kelurahan_names = dict(db.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).tuples().all())
    return ReachReport(total, by_group, group_names, by_kelurahan, kelurahan_names, total.channels)
