"""Outbox rows: enqueue once by dedup key, claim them for one sending process, record what the platform said.

Several processes may send from one database (bot/outbox.py): a claim takes rows no other process is taking
(`FOR UPDATE SKIP LOCKED`), at most one per chat, never past an earlier row of the same chat and lane, and never to
a chat with a message in flight or sent less than the chat's interval ago.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from common.enums import Channel, Delivery, OutboxKind, OutboxStatus, lane_of
from common.messages import Reply
from store import reach
from store.dashboard_access import LOGIN_PATH, mask_login_links
from store.db import affected
from store.locks import ProcessMark, owner_alive
from store.models import ChannelIdentity, OutboxMessage, Person
from store.reach import Channels


def enqueue(
    db: Session,
    *,
    channel: Channel,
    recipient: str,
    message: Reply,
    kind: OutboxKind,
    dedup_key: str,
    person_id: int | None = None,
    not_before: datetime | None = None,
    broadcast_id: int | None = None,
    parts_sent: int = 0,
) -> bool:
    """Adds a message unless one with this dedup key exists (then returns False): enqueueing is idempotent, so a
    job or a request that runs twice never sends twice."""
    if db.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)) is not None:
        return False
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        body=message.as_body(),
        kind=kind,
        dedup_key=dedup_key,
        person_id=person_id,
        broadcast_id=broadcast_id,
        lane=lane_of(kind),
        parts_sent=parts_sent,
    )
    if not_before is not None:
        row.not_before = not_before
    db.add(row)
    db.flush()
    return True


def recover_in_flight(db: Session, channel: Channel, mark: ProcessMark) -> int:
    """Rows left in `sending` by a process that died go back to `pending`: delivery is at-least-once, and the window
    for a repeat is the rows that process had in flight (see bot/outbox.py). On PostgreSQL a row's owner is dead when
    its mark is free; on SQLite the one process calls this at start, when every claim is a dead one."""
    in_flight = and_(OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.SENDING)
    if mark.shared:
        in_flight = and_(
            in_flight, or_(OutboxMessage.claimed_by.is_(None), ~owner_alive(OutboxMessage.__table__.c.claimed_by))
        )
    result = db.execute(update(OutboxMessage).where(in_flight).values(status=OutboxStatus.PENDING, claimed_by=None))
    return affected(result)


def claim_due(
    db: Session, channel: Channel, owner: int, now: datetime, limit: int, chat_interval: float = 0.0
) -> list[OutboxMessage]:
    """Claims up to `limit` due rows for the process `owner`, urgent lane first, at most one per chat."""
    candidates = list(
        db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= now,
            )
            .order_by(OutboxMessage.lane, OutboxMessage.id)
            .limit(limit * 2)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return []
    recipients = {row.recipient for row in candidates}
    recently = now - timedelta(seconds=chat_interval)
    busy = set(
        db.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.channel == channel,
                OutboxMessage.recipient.in_(recipients),
                or_(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at > recently),
                ),
            )
        )
    )
    first_pending = {
        (recipient, lane): first
        for recipient, lane, first in db.execute(
            select(OutboxMessage.recipient, OutboxMessage.lane, func.min(OutboxMessage.id))
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.recipient.in_(recipients),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .group_by(OutboxMessage.recipient, OutboxMessage.lane)
        ).tuples()
    }
    claimed: list[OutboxMessage] = []
    for row in candidates:
        if row.recipient in busy or first_pending.get((row.recipient, row.lane)) != row.id:
            continue
        busy.add(row.recipient)
        row.status, row.claimed_at, row.claimed_by, row.attempts = OutboxStatus.SENDING, now, owner, row.attempts + 1
        claimed.append(row)
        if len(claimed) == limit:
            break
    db.flush()
    return claimed


def unreachable(db: Session, channel: Channel, recipients: list[str]) -> set[str]:
    query = select(ChannelIdentity.external_id).where(
        ChannelIdentity.channel == channel,
        ChannelIdentity.external_id.in_(recipients),
        ChannelIdentity.unreachable_at.is_not(None),
    )
    return set(db.scalars(query))


def claim(db: Session, message_id: int, now: datetime, owner: int | None = None) -> bool:
    """Marks one pending row as being sent; False if another sender or a cancel got there first."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=owner, attempts=OutboxMessage.attempts + 1)
    )
    return affected(result) == 1


def to_person(
    db: Session,
    channels: Channels,
    person: Person,
    message: Reply,
    kind: OutboxKind,
    dedup_key: str,
) -> bool:
    """One message to a person where the reach rule finds her (store/reach.py), waiting for her next message on
    REST. Not stopped by BERHENTI: callers send only what answers her or is her work (case news, her question's
    answer). False if she cannot be reached on any configured channel."""
    address = reach.address(db, person.id, channels, can_wait=True)
    if address is None:
        return False
    return enqueue(
        db,
        channel=address.channel,
        recipient=address.external_id,
        message=message,
        kind=kind,
        dedup_key=dedup_key,
        person_id=person.id,
    )


def mark_sent(db: Session, message_id: int, platform_id: str, now: datetime, message: Reply | None = None) -> None:
    """`message` is the row's message as sent: one that carried a sign-in link is kept without it."""
    values = dict(status=OutboxStatus.SENT, platform_id=platform_id, sent_at=now, last_error=None)
    db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values, **_kept(message)))


def _kept(message: Reply | None) -> dict[str, Any]:
    """A sent row keeps its body for the record, but not a dashboard sign-in token: once it went, the link is
    masked (it was single-use and short-lived anyway; nobody reading the outbox table may use it). Decided from
    the message the sender already holds, so sending reads nothing more."""
    if message is None or LOGIN_PATH not in message.text:
        return {}
    return {"body": replace(message, text=mask_login_links(message.text)).as_body()}


def mark_retry(db: Session, message_id: int, error: str, not_before: datetime, parts_sent: int = 0) -> None:
    """Back to `pending` until `not_before`; `parts_sent` of a long message went already and are not sent again."""
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=OutboxStatus.PENDING,
            claimed_by=None,
            last_error=error[:300],
            not_before=not_before,
            parts_sent=func.max(OutboxMessage.parts_sent, parts_sent)
            if db.get_bind().dialect.name == "sqlite"
            else func.greatest(OutboxMessage.parts_sent, parts_sent),
        )
    )


def mark_final(db: Session, message_id: int, status: OutboxStatus, error: str) -> None:
    """failed, or blocked (the person blocked the assistant: their identity is marked unreachable too)."""
    row = db.get(OutboxMessage, message_id)
    if row is None:
        return
    row.status, row.last_error = status, error[:300]
    if status == OutboxStatus.BLOCKED:
        db.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == row.channel, ChannelIdentity.external_id == row.recipient)
            .values(unreachable_at=row.claimed_at)
        )


def skip_unreachable(db: Session, message_id: int) -> None:
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.BLOCKED, last_error="recipient blocked the assistant earlier")
    )


def record_delivery(db: Session, platform_id: str, delivery: Delivery, error: str | None = None) -> bool:
    """A delivery report (WhatsApp statuses): delivered, read, failed. False if no row has that id."""
    row = db.scalar(select(OutboxMessage).where(OutboxMessage.platform_id == platform_id))
    if row is None:
        return False
    if not (row.delivery == Delivery.READ and delivery == Delivery.DELIVERED):  # reports can arrive out of order
        row.delivery = delivery
    if error:
        row.last_error = error[:300]
    return True


def claim_for_hand_over(
    db: Session, channel: Channel, recipient: str, owner: int, now: datetime
) -> list[OutboxMessage]:
    """The messages waiting for someone on a channel the assistant cannot push to (REST), oldest first, claimed for the
    answer to that person's next message: they count as sent only once that answer is written (`handed_over`)."""
    rows = list(
        db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.recipient == recipient,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= now,
            )
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.status, row.claimed_at, row.claimed_by, row.attempts = OutboxStatus.SENDING, now, owner, row.attempts + 1
    return rows


def handed_over(db: Session, sent: list[tuple[int, Reply]], now: datetime) -> None:
    """The answer that carried these waiting rows (id, message) was written: they count as sent."""
    db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([message_id for message_id, _ in sent]), OutboxMessage.status == OutboxStatus.SENDING
        )
        .values(status=OutboxStatus.SENT, sent_at=now, claimed_by=None)
    )
    for message_id, message in sent:
        kept = _kept(message)
        if kept:
            db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**kept))


def not_handed_over(db: Session, message_ids: list[int]) -> None:
    """The answer could not be written (the client went away): the rows wait for the next one."""
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_by=None)
    )
