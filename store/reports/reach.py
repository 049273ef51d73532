"""Jangkauan: the families in view against those the assistant has talked with, is reaching, or cannot reach; per
group, kelurahan and channel.

How a person is reached (which channel) is asked in one place, `how_reached`, which is the reach rule everything
the assistant starts follows (store/reach.py); the digest asks it too."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import Direction
from store.models import Group, Membership, Person, Region, Turn
from store.reach import Address, Channels, audience
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


@dataclass(frozen=True)
class _Family:
    id: int
    region_id: int | None
    in_directory: bool
    talked: bool
    active: bool
    opted_out: bool
    channel: str | None


def _families(db: Session, scope: Scope, now: dt.datetime, channels: Channels) -> list[_Family]:
    rows = db.execute(
        select(Person.id, Person.region_id, Person.in_directory, Person.privacy_notice_at, Person.opted_out_at)
        .where(scope.families())
        .order_by(Person.id)
    ).all()
    ids = [row.id for row in rows]
    since = now - dt.timedelta(days=ACTIVE_DAYS)
    active = set(
        db.scalars(select(Turn.person_id).where(Turn.direction == Direction.IN, Turn.created_at >= since).distinct())
    )
    reached = how_reached(db, ids, channels)
    return [
        _Family(
            row.id,
            row.region_id,
            row.in_directory,
            row.privacy_notice_at is not None,
            row.id in active,
            row.opted_out_at is not None,
            address.channel if (address := reached[row.id]) is not None else None,
        )
        for row in rows
    ]


def _add(tally: Tally, family: _Family) -> None:
    tally.families += 1
    tally.in_directory += family.in_directory
    tally.talked += family.talked
    tally.active += family.active
    tally.opted_out += family.opted_out
    tally.unreachable += family.channel is None
    if family.channel is not None:
        tally.channels[family.channel] += 1


def reach_report(db: Session, scope: Scope, now: dt.datetime, channels: Channels) -> ReachReport:
    families = _families(db, scope, now, channels)
    by_id = {f.id: f for f in families}
    total, by_group, by_kelurahan = Tally(), dict[int, Tally](), dict[int, Tally]()
    for family in families:
        _add(total, family)
        _add(by_kelurahan.setdefault(family.region_id or 0, Tally()), family)
    group_rows = db.execute(select(Group.id, Group.name).where(scope.groups()).order_by(Group.name)).all()
    group_names = {row.id: row.name for row in group_rows}
    members = db.execute(
        select(Membership.group_id, Membership.person_id).where(Membership.group_id.in_(list(group_names)))
    ).all()
    for group_id in group_names:
        by_group[group_id] = Tally()
    for group_id, person_id in members:
        member = by_id.get(person_id)
        if member is not None:
            _add(by_group[group_id], member)
    region_ids = [r for r in by_kelurahan if r]
    kelurahan_names = dict(db.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).tuples().all())
    return ReachReport(total, by_group, group_names, by_kelurahan, kelurahan_names, total.channels)
