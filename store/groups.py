"""Groups and who leads them.

Leading is the only door to messaging others: a ketua leads the groups where her membership says "ketua", a
pendamping the groups whose `pendamping_id` is theirs. Every command that writes to other people (broadcasts,
meetings and their reminders) asks `led_by` and nothing else; where each member is then written to is the reach
rule's (store/reach.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from common.enums import STAFF_ROLES, MemberRole
from store.models import Group, Membership, Person, Region

DEFAULT_TIMEZONE = "Asia/Jakarta"
_CHUNK = 500


def by_code(db: Session, code: str) -> Group | None:
    return db.scalar(select(Group).where(Group.invite_code == code.strip().upper()))


def join(db: Session, group: Group, person: Person) -> bool:
    """Adds the person as an anggota; False if already a member (her role is kept)."""
    found = db.scalar(select(Membership).where(Membership.group_id == group.id, Membership.person_id == person.id))
    if found is not None:
        return False
    db.add(Membership(group_id=group.id, person_id=person.id, role=MemberRole.ANGGOTA))
    if person.region_id is None and group.region_id is not None:
        person.region_id = group.region_id  # her time zone, until the directory says better
    db.flush()
    return True


def groups_of(db: Session, person: Person) -> list[Group]:
    """Groups the person belongs to or facilitates."""
    member = select(Membership.group_id).where(Membership.person_id == person.id)
    query = select(Group).where(or_(Group.id.in_(member), Group.pendamping_id == person.id)).order_by(Group.id)
    return list(db.scalars(query))


def led_by(db: Session, person: Person) -> list[Group]:
    """Groups this person may message and schedule for: as their ketua, or as their pendamping."""
    led = select(Membership.group_id).where(Membership.person_id == person.id, Membership.role == MemberRole.KETUA)
    conditions: list[ColumnElement[bool]] = [Group.id.in_(led)]
    if person.role in STAFF_ROLES:
        conditions.append(Group.pendamping_id == person.id)
    return list(db.scalars(select(Group).where(or_(*conditions)).order_by(Group.id)))


def is_leader(db: Session, person: Person) -> bool:
    return bool(led_by(db, person))


def member_ids(db: Session, group_ids: Iterable[int]) -> list[int]:
    query = select(Membership.person_id).where(Membership.group_id.in_(list(group_ids))).distinct()
    return sorted(db.scalars(query))


def timezone_of(db: Session, person: Person, group: Group | None = None) -> str:
    """The person's local zone (her region's), else the group's, else WIB."""
    if person.region is not None:
        return person.region.timezone
    if group is not None and group.region_id is not None:
        region = db.get(Region, group.region_id)
        if region is not None:
            return region.timezone
    return DEFAULT_TIMEZONE


def members_by_group(db: Session, group_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each group's member ids, for many groups at once (reminders for every group meeting at the same hour)."""
    found: dict[int, list[int]] = {}
    ids = sorted(set(group_ids))
    for start in range(0, len(ids), _CHUNK):
        query = select(Membership.group_id, Membership.person_id).where(
            Membership.group_id.in_(ids[start : start + _CHUNK])
        )
        for group_id, person_id in db.execute(query.order_by(Membership.id)).tuples():
            found.setdefault(group_id, []).append(person_id)
    return found


def zones_of(db: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The time zone of each person who has a region (timezone_of for many people at once)."""
    ids = sorted(set(person_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(Person.id, Region.timezone).join(Region, Region.id == Person.region_id)
        found.update(db.execute(query.where(Person.id.in_(ids[start : start + _CHUNK]))).tuples().all())
    return found


def overview(db: Session) -> list[tuple[Group, int]]:
    """Every group with its member count, for `sahabat admin groups`."""
    counts = dict(
        db.execute(select(Membership.group_id, func.count(Membership.id)).group_by(Membership.group_id)).tuples().all()
    )
    return [(group, counts.get(group.id, 0)) for group in db.scalars(select(Group).order_by(Group.kind, Group.name))]
