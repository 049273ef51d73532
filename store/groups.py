"""Groups, who leads them, and who can be reached in them.

Leading is the only door to messaging others: a ketua leads the groups where her membership says "ketua", a
pendamping the groups whose `pendamping_id` is theirs. Every command that writes to other people (broadcasts,
meetings and their reminders) asks `led_by` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from common.enums import STAFF_ROLES, Channel, Direction, MemberRole
from store.models import ChannelIdentity, Group, Membership, Person, Region, Turn

DEFAULT_TIMEZONE = "Asia/Jakarta"
# Channels the assistant cannot start a conversation on (it only answers there): no outbox sender drains them, so a
# row for one would stay pending for ever and a broadcast would never finish.
REPLY_ONLY_CHANNELS = {Channel.CONSOLE, Channel.REST}
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


@dataclass(frozen=True)
class Address:
    person_id: int
    channel: Channel
    external_id: str


@dataclass
class Audience:
    reachable: list[Address] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)


def audience(db: Session, person_ids: list[int], include_opted_out: bool = False) -> Audience:
    """Where each person can be written to: the channel she last wrote from (else her newest identity), skipping
    people who said BERHENTI and people no channel can reach (blocked the assistant, or never known on one)."""
    result = Audience()
    for start in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[start : start + _CHUNK]
        opted = set(db.scalars(select(Person.id).where(Person.id.in_(chunk), Person.opted_out_at.is_not(None))))
        last_used = {
            (pid, channel): at
            for pid, channel, at in db.execute(
                select(Turn.person_id, Turn.channel, func.max(Turn.id))
                .where(Turn.person_id.in_(chunk), Turn.direction == Direction.IN)
                .group_by(Turn.person_id, Turn.channel)
            )
        }
        identities: dict[int, list[ChannelIdentity]] = {}
        for identity in db.scalars(
            select(ChannelIdentity).where(
                ChannelIdentity.person_id.in_(chunk),
                ChannelIdentity.unreachable_at.is_(None),
                ChannelIdentity.channel.not_in(REPLY_ONLY_CHANNELS),
            )
        ):
            identities.setdefault(identity.person_id, []).append(identity)
        for pid in chunk:
            if pid in opted and not include_opted_out:
                result.opted_out.append(pid)
                continue
            options = identities.get(pid)
            if not options:
                result.unreachable.append(pid)
                continue
            best = max(options, key=lambda i: (last_used.get((pid, i.channel), 0), i.id))
            result.reachable.append(Address(pid, best.channel, best.external_id))
    return result


def overview(db: Session) -> list[tuple[Group, int]]:
    """Every group with its member count, for `sahabat admin groups`."""
    counts = dict(
        db.execute(select(Membership.group_id, func.count(Membership.id)).group_by(Membership.group_id)).tuples().all()
    )
    return [(group, counts.get(group.id, 0)) for group in db.scalars(select(Group).order_by(Group.kind, Group.name))]
