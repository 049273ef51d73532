"""Whose families, groups and cases a staff member sees: a pendamping her own, a koordinator those of the pendamping
under her (and her own), Dinas Sosial (`admin`) everyone's. Complaints add one more rule on top, in one place:
`store.complaints.may_see` (a case is never shown to the person it is about)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from common.enums import STAFF_ROLES, Role
from store.models import Group, Membership, Person


@dataclass(frozen=True)
class Scope:
    person_id: int
    role: str
    # The staff whose families and groups are in view; None = all of them (Dinas Sosial).
    team: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.team is None

    def groups(self) -> ColumnElement[bool]:
        """A WHERE clause on `Group` for the groups in view."""
        return true() if self.team is None else Group.pendamping_id.in_(sorted(self.team))

    def families(self) -> ColumnElement[bool]:
        """A WHERE clause on `Person` for the families (KPM) in view: assigned to the team's pendamping, or members
        of the team's groups."""
        is_kpm = Person.role == Role.KPM
        if self.team is None:
            return is_kpm
        team = sorted(self.team)
        in_groups = select(Membership.person_id).join(Group).where(Group.pendamping_id.in_(team))
        return is_kpm & or_(Person.pendamping_id.in_(team), Person.id.in_(in_groups))


def scope_of(db: Session, person: Person) -> Scope | None:
    """None for anyone who is not staff: they have no dashboard."""
    if person.role not in STAFF_ROLES:
        return None
    if person.role == Role.ADMIN:
        return Scope(person.id, person.role, None)
    team = {person.id}
    if person.role == Role.KOORDINATOR:
        team |= set(db.scalars(select(Person.id).where(Person.supervisor_id == person.id)))
    return Scope(person.id, person.role, frozenset(team))


def team_members(db: Session, scope: Scope) -> list[Person]:
    """The pendamping (and koordinator) in view, by name: the rows of the per-pendamping tables."""
    query = select(Person).where(Person.role.in_([Role.PENDAMPING, Role.KOORDINATOR]))
    if scope.team is not None:
        query = query.where(Person.id.in_(sorted(scope.team)))
    return list(db.scalars(query.order_by(Person.name, Person.id)))
