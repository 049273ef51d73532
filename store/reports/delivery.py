"""Pengiriman: what became of each broadcast and each batch of meeting reminders, from their outbox rows.

A reminder batch is one meeting date (its reminders the day before and two hours before together): reminder rows
carry the meeting and the date in their body."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from common.enums import Delivery, OutboxKind, OutboxStatus
from store.models import Broadcast, Group, Meeting, OutboxMessage, Person
from store.reports.scope import Scope
from store.workdays import as_utc

TOP_REASONS = 5
FAILED = (OutboxStatus.FAILED, OutboxStatus.BLOCKED)


@dataclass
class Batch:
    kind: str  # broadcast | reminder
    key: int  # the broadcast id, or the meeting id
    when: dt.datetime | None  # a broadcast's start; None for a reminder batch (it has `occurrence`)
    occurrence: str
    who: str  # the sender, or the group
    groups: list[str]
    statuses: Counter[str] = field(default_factory=Counter)
    delivered: int = 0  # WhatsApp: delivered or read
    read: int = 0
    skipped_opted_out: int = 0
    skipped_unreachable: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


@dataclass
class DeliveryReport:
    broadcasts: list[Batch]
    reminders: list[Batch]
    reasons: list[tuple[str, int]]


def _count_into(batch: Batch, status: str, delivery: str | None, count: int) -> None:
    batch.statuses[status] += count
    if delivery in (Delivery.DELIVERED, Delivery.READ):
        batch.delivered += count
    if delivery == Delivery.READ:
        batch.read += count


def _broadcasts(db: Session, scope: Scope, since: dt.datetime, group_names: dict[int, str]) -> list[Batch]:
    query = select(Broadcast, Person.name).outerjoin(Person, Person.id == Broadcast.sender_id)
    rows = db.execute(query.where(Broadcast.created_at >= since).order_by(Broadcast.id.desc())).all()
    batches: dict[int, Batch] = {}
    for broadcast, sender in rows:
        mine = scope.team is None or broadcast.sender_id in scope.team
        if not mine and not set(broadcast.group_ids) & set(group_names):
            continue
        batches[broadcast.id] = Batch(
            OutboxKind.BROADCAST,
            broadcast.id,
            as_utc(broadcast.created_at),
            "",
            sender or "",
            [group_names.get(int(g), "") for g in broadcast.group_ids if int(g) in group_names],
            skipped_opted_out=broadcast.skipped_opted_out,
            skipped_unreachable=broadcast.skipped_unreachable,
        )
    ids = list(batches)
    counts = select(OutboxMessage.broadcast_id, OutboxMessage.status, OutboxMessage.delivery, func.count())
    for broadcast_id, status, delivery, count in db.execute(
        counts.where(OutboxMessage.broadcast_id.in_(ids)).group_by(
            OutboxMessage.broadcast_id, OutboxMessage.status, OutboxMessage.delivery
        )
    ):
        _count_into(batches[broadcast_id], status, delivery, count)
    reasons = select(OutboxMessage.broadcast_id, OutboxMessage.last_error, func.count())
    for broadcast_id, error, count in db.execute(
        reasons.where(OutboxMessage.broadcast_id.in_(ids), OutboxMessage.status.in_(FAILED)).group_by(
            OutboxMessage.broadcast_id, OutboxMessage.last_error
        )
    ):
        batches[broadcast_id].reasons[error or "-"] += count
    return list(batches.values())


def _reminders(db: Session, scope: Scope, since: dt.datetime, group_names: dict[int, str]) -> list[Batch]:
    meeting_groups = dict(
        db.execute(select(Meeting.id, Meeting.group_id).where(Meeting.group_id.in_(list(group_names)))).tuples().all()
    )
    meeting = OutboxMessage.body["meeting"].as_integer().label("meeting")
    occurrence = OutboxMessage.body["occurrence"].as_string().label("occurrence")
    recent = [OutboxMessage.kind == OutboxKind.REMINDER, OutboxMessage.created_at >= since]
    if scope.team is not None:  # only rows to her families (indexed), not every reminder in the province
        recent.append(OutboxMessage.person_id.in_(select(Person.id).where(scope.families())))
    batches: dict[tuple[int, str], Batch] = {}

    def batch(meeting_id: int, day: str) -> Batch | None:
        if meeting_id not in meeting_groups:
            return None
        if (meeting_id, day) not in batches:
            group = group_names[meeting_groups[meeting_id]]
            batches[(meeting_id, day)] = Batch(OutboxKind.REMINDER, meeting_id, None, day, group, [group])
        return batches[(meeting_id, day)]

    failed = OutboxMessage.status.in_(FAILED)
    reason = case((failed, OutboxMessage.last_error), else_=None).label("reason")
    rows = (
        select(meeting, occurrence, OutboxMessage.status, OutboxMessage.delivery, _one(failed).label("failed"), reason)
        .where(*recent)
        .subquery()
    )
    # Counted by the database in one pass over the reminders (reading the JSON body is what costs): one row per
    # batch, and one more per reason its failed rows give.
    statuses = list(OutboxStatus)
    counts = select(
        rows.c.meeting,
        rows.c.occurrence,
        rows.c.failed,
        rows.c.reason,
        func.count(),
        func.sum(_one(rows.c.delivery.in_([Delivery.DELIVERED, Delivery.READ]))),
        func.sum(_one(rows.c.delivery == Delivery.READ)),
        *(func.sum(_one(rows.c.status == status)) for status in statuses),
    ).group_by(rows.c.meeting, rows.c.occurrence, rows.c.failed, rows.c.reason)
    for meeting_id, day, is_failed, error, count, delivered, read, *by_status in db.execute(counts).tuples():
        found = batch(meeting_id, day)
        if found is not None:
            found.statuses.update({status: n for status, n in zip(statuses, by_status, strict=True) if n})
            found.delivered += delivered
            found.read += read
            if is_failed:
                found.reasons[error or "-"] += count
    return sorted(batches.values(), key=lambda b: (b.occurrence, b.key), reverse=True)


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def delivery_report(db: Session, scope: Scope, since: dt.datetime) -> DeliveryReport:
    group_names = dict(db.execute(select(Group.id, Group.name).where(scope.groups())).tuples().all())
    broadcasts = _broadcasts(db, scope, since, group_names)
    reminders = _reminders(db, scope, since, group_names)
    reasons: Counter[str] = Counter()
    for batch in broadcasts + reminders:
        reasons.update(batch.reasons)
    return DeliveryReport(broadcasts, reminders, reasons.most_common(TOP_REASONS))
