"""Outbox rows: enqueue once by dedup key, claim one at a time, record what the platform said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from common.enums import Channel, Delivery, OutboxKind, OutboxStatus
from common.messages import Reply
from store.models import ChannelIdentity, OutboxMessage


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
    )
    if not_before is not None:
        row.not_before = not_before
    db.add(row)
    db.flush()
    return True


def recover_in_flight(db: Session, channel: Channel) -> int:
    """Rows left in `sending` by a crash go back to `pending`: delivery is at-least-once, and the window for a
    repeat is one message per sender slot (see bot/outbox.py)."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def due(db: Session, channel: Channel, now: datetime, limit: int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before <= now,
        )
        # Replies to someone waiting first, then the rest in the order it was queued (a big broadcast must not
        # hold up an answer).
        .order_by(case((OutboxMessage.kind == OutboxKind.REPLY, 0), else_=1), OutboxMessage.id)
        .limit(limit)
    )
    return list(db.scalars(query))


def unreachable(db: Session, channel: Channel, recipients: list[str]) -> set[str]:
    query = select(ChannelIdentity.external_id).where(
        ChannelIdentity.channel == channel,
        ChannelIdentity.external_id.in_(recipients),
        ChannelIdentity.unreachable_at.is_not(None),
    )
    return set(db.scalars(query))


def claim(db: Session, message_id: int, now: datetime) -> bool:
    """Marks one pending row as being sent; False if another sender or a cancel got there first."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_sent(db: Session, message_id: int, platform_id: str, now: datetime) -> None:
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, platform_id=platform_id, sent_at=now, last_error=None)
    )


def mark_retry(db: Session, message_id: int, error: str, not_before: datetime) -> None:
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.PENDING, last_error=error[:300], not_before=not_before)
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


def hand_over(db: Session, channel: Channel, recipient: str, now: datetime) -> list[Reply]:
    """The messages waiting for someone on a channel the assistant cannot push to (REST): they go out in the answer
    to that person's next message, oldest first, and count as sent from then on."""
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
        row.status, row.sent_at, row.attempts = OutboxStatus.SENT, now, row.attempts + 1
    return [Reply.from_body(row.body) for row in rows]
