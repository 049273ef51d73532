"""Complaints: tickets, who may see a case, the people a case can go to, the history, and moving a case up."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from common.enums import STAFF_ROLES, ComplaintEventKind, ComplaintStatus, Level, MemberRole, OutboxKind, Role
from common.messages import Option, Reply
from store import outbox
from store.models import Complaint, ComplaintEvent, Membership, Person, Region
from store.reach import Channels
from store.workdays import add_working_days, as_utc

# No 0/O or 1/I: a ticket is read aloud and copied by hand.
TICKET_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TICKET_PREFIX = "ADU-"
OPEN = (ComplaintStatus.OPEN, ComplaintStatus.ACKNOWLEDGED)


@event.listens_for(ComplaintEvent, "before_update")
def _history_is_append_only(*_: Any) -> None:
    raise ValueError("complaint history is append-only")


def new_ticket(db: Session) -> str:
    """A ticket nobody has: 32^6 ≈ 10^9 codes, so a retry is rare but handled."""
    while True:
        ticket = TICKET_PREFIX + "".join(secrets.choice(TICKET_ALPHABET) for _ in range(6))
        if db.scalar(select(Complaint.id).where(Complaint.ticket == ticket)) is None:
            return ticket


def by_ticket(db: Session, ticket: str, for_update: bool = False) -> Complaint | None:
    """The complaint with this ticket, however it was typed ("adu 7k3q9x", "ADU7K3Q9X"). `for_update` locks the
    row (PostgreSQL) so a handler's action and the escalation job never change one case at the same moment."""
    normalized = ticket.strip().upper().replace(" ", "-")
    if not normalized.startswith(TICKET_PREFIX):
        normalized = TICKET_PREFIX + normalized.removeprefix("ADU")
    query = select(Complaint).where(Complaint.ticket == normalized)
    return db.scalar(query.with_for_update() if for_update else query)


def record(
    db: Session, complaint: Complaint, kind: ComplaintEventKind, actor_id: int | None, now: datetime, note: str = ""
) -> int:
    """Appends one line to the history; returns its id (used to name the notifications it causes)."""
    entry = ComplaintEvent(complaint=complaint, actor_id=actor_id, kind=kind, note=note, created_at=now)
    db.add(entry)
    complaint.updated_at = now
    db.flush()
    return entry.id


class CaseAccess(NamedTuple):
    """What decides who may see a case: its handlers, the people it is hidden from, and the family's pendamping.
    (A tuple: the dashboard makes one per case per page.)"""

    assignee_id: int | None
    level: str
    watcher_ids: Sequence[int]
    hidden_ids: Sequence[int]
    # The reporter's pendamping (None when the case is hidden from her, or the reporter is unknown).
    pendamping_id: int | None = None

    @classmethod
    def of(cls, complaint: Complaint) -> CaseAccess:
        reporter = complaint.reporter
        pendamping = reporter.pendamping_id if reporter is not None else None
        return cls(
            complaint.assignee_id,
            complaint.level,
            complaint.watcher_ids,
            complaint.hidden_ids,
            None if pendamping in complaint.hidden_ids else pendamping,
        )


def handles(case: CaseAccess, person_id: int, role: str) -> bool:
    """The assignee, a watcher, or Dinas Sosial staff for the admin queue; never a person the case is about."""
    if person_id in case.hidden_ids or role not in STAFF_ROLES:
        return False
    if case.assignee_id == person_id or person_id in case.watcher_ids:
        return True
    return role == Role.ADMIN and case.level == Level.ADMIN


def can_handle(complaint: Complaint, person: Person) -> bool:
    return handles(CaseAccess.of(complaint), person.id, person.role)


def may_see(case: CaseAccess, person_id: int, role: str, team: frozenset[int] | None) -> bool:
    """Who may see a case (the dashboard; chat shows only what one handles): whoever handles it, and the staff
    whose team it belongs to by its handler, a watcher or the family's pendamping (`team`: her own id, for a
    koordinator also her pendamping's; None = every team, Dinas Sosial). Never a person the case is about."""
    if person_id in case.hidden_ids or role not in STAFF_ROLES:
        return False
    if handles(case, person_id, role):
        return True
    if team is None:
        return role == Role.ADMIN
    return bool(team & {case.assignee_id, case.pendamping_id, *case.watcher_ids})


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.status in OPEN and complaint.escalate_at is not None and as_utc(complaint.escalate_at) < now


def inbox(db: Session, person: Person, now: datetime) -> list[Complaint]:
    """Open cases this person handles: overdue first, then by the deadline of the current step."""
    query = select(Complaint).where(Complaint.status.in_(OPEN))
    cases = [c for c in db.scalars(query) if can_handle(c, person)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(cases, key=lambda c: (not is_overdue(c, now), as_utc(c.escalate_at) if c.escalate_at else far))


def reported_by(db: Session, person: Person, statuses: Sequence[ComplaintStatus]) -> list[Complaint]:
    query = select(Complaint).where(Complaint.reporter_id == person.id, Complaint.status.in_(statuses))
    return list(db.scalars(query.order_by(Complaint.id)))


def region_chain(region: Region | None) -> list[int]:
    """The region's id and its parents' ids, nearest first (kelurahan, kecamatan, kabupaten, provinsi)."""
    ids = []
    while region is not None:
        ids.append(region.id)
        region = region.parent
    return ids


def region_koordinator(db: Session, region: Region | None, excluded: Iterable[int] = ()) -> Person | None:
    """A koordinator working in the same kecamatan as this region, else in the same kabupaten/kota."""
    if region is None:
        return None
    chain = region_chain(region)  # kelurahan, kecamatan, kabupaten, (provinsi)
    koordinators = [
        p for p in db.scalars(select(Person).where(Person.role == Role.KOORDINATOR)) if p.id not in excluded
    ]
    for level in chain[1:3]:
        for person in sorted(koordinators, key=lambda p: p.id):
            if level in region_chain(person.region):
                return person
    return None


def koordinator_for(db: Session, reporter: Person, excluded: Iterable[int] = ()) -> Person | None:
    """The koordinator of the reporter's pendamping, else one of the reporter's kecamatan or kabupaten."""
    excluded = set(excluded)
    supervisor = reporter.pendamping.supervisor if reporter.pendamping else None
    if supervisor is not None and supervisor.id not in excluded:
        return supervisor
    return region_koordinator(db, reporter.region, excluded)


def ketuas_of(db: Session, person: Person) -> list[Person]:
    groups = select(Membership.group_id).where(Membership.person_id == person.id)
    query = select(Person).join(Membership, Membership.person_id == Person.id)
    query = query.where(Membership.group_id.in_(groups), Membership.role == MemberRole.KETUA, Person.id != person.id)
    return list(db.scalars(query.distinct()))


def admins(db: Session) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.role == Role.ADMIN).order_by(Person.id)))


def handler_at(db: Session, level: Level, reporter: Person | None, hidden: Iterable[int]) -> Person | None:
    """Who works at a level for this reporter; None for the admin queue or when nobody is on file."""
    hidden = set(hidden)
    if reporter is None or level == Level.ADMIN:
        return None
    if level == Level.PENDAMPING:
        pendamping = reporter.pendamping
        return pendamping if pendamping is not None and pendamping.id not in hidden else None
    return koordinator_for(db, reporter, hidden)


def escalate(
    db: Session,
    complaint: Complaint,
    chain: Sequence[Level],
    *,
    actor_id: int | None,
    reason: str,
    now: datetime,
    respond_within: int,
) -> bool:
    """Moves the case up one level of `chain` (a level with nobody on file is passed over, ending at the admin
    queue), restarts the clock for the new handler, and records why. False if it is already at the top."""
    position = chain.index(complaint.level) if complaint.level in chain else len(chain) - 1
    for level in chain[position + 1 :]:
        person = handler_at(db, level, complaint.reporter, complaint.hidden_ids)
        supervisor = complaint.assignee.supervisor if complaint.assignee is not None else None
        if level == Level.KOORDINATOR and supervisor is not None and supervisor.id not in complaint.hidden_ids:
            person = supervisor  # the koordinator of the pendamping who let it wait
        if person is None and level != Level.ADMIN:
            continue
        complaint.level, complaint.assignee_id = level, person.id if person else None
        complaint.assignee = person
        complaint.escalation_level += 1
        complaint.status = ComplaintStatus.OPEN
        complaint.escalate_at = add_working_days(now, respond_within, complaint.timezone)
        complaint.watcher_ids = [w for w in complaint.watcher_ids if w != complaint.assignee_id]
        kind = ComplaintEventKind.ESCALATED if actor_id is None else ComplaintEventKind.REASSIGNED
        record(db, complaint, kind, actor_id, now, reason)
        return True
    return False


def notify(
    db: Session,
    channels: Channels,
    person: Person | None,
    text: str,
    dedup_key: str,
    options: tuple[Option, ...] = (),
) -> bool:
    """One outbox message to the person where the reach rule finds her (store/reach.py; BERHENTI does not stop
    news of a case, and on REST it waits for her next message). False if she cannot be reached here."""
    if person is None:
        return False
    return outbox.to_person(db, channels, person, Reply(text, options), OutboxKind.COMPLAINT, dedup_key)


def handlers(db: Session, complaint: Complaint, watchers: bool = True) -> list[Person]:
    """Everyone told about changes: the assignee (or Dinas Sosial staff for the queue) and, unless asked not to,
    the watchers. Never a person the case is hidden from."""
    people = [complaint.assignee] if complaint.assignee is not None else []
    if complaint.level == Level.ADMIN and complaint.assignee is None:
        people += admins(db)
    if watchers:
        people += [p for p in (db.get(Person, pid) for pid in complaint.watcher_ids) if p is not None]
    unique: dict[int, Person] = {}
    for person in people:
        if person.id not in complaint.hidden_ids:
            unique.setdefault(person.id, person)
    return list(unique.values())
