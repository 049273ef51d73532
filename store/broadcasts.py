"""Broadcasts: one row for the notice, one outbox row per recipient (`broadcast_id`), counts from those rows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from common.enums import FINAL_OUTBOX_STATUSES, BroadcastStatus, OutboxKind, OutboxStatus
from common.messages import Reply
from store import groups
from store.db import affected
from store.models import Broadcast, OutboxMessage, Person
from store.reach import Channels, audience

FINAL = FINAL_OUTBOX_STATUSES


def create(
    db: Session,
    sender: Person,
    group_ids: list[int],
    text: str,
    notice: Reply,
    now: datetime,
    channels: Channels,
) -> Broadcast:
    """The broadcast and its outbox rows, in the caller's transaction; members nobody can reach on `channels` are
    counted, not queued (store/reach.py). Rows are added in bulk: a new broadcast's dedup keys cannot exist yet,
    so the per-row check of outbox.enqueue would only cost a query per member."""
    recipients = [pid for pid in groups.member_ids(db, group_ids) if pid != sender.id]
    reach = audience(db, recipients, channels)
    broadcast = Broadcast(
        sender_id=sender.id,
        group_ids=list(group_ids),
        text=text,
        status=BroadcastStatus.SENDING,
        recipients=len(reach.reachable),
        skipped_opted_out=len(reach.opted_out),
        skipped_unreachable=len(reach.unreachable),
        counts={},
        created_at=now,
    )
    db.add(broadcast)
    db.flush()
    body = notice.as_body()
    db.add_all(
        OutboxMessage(
            channel=a.channel,
            recipient=a.external_id,
            person_id=a.person_id,
            kind=OutboxKind.BROADCAST,
            body=body,
            dedup_key=f"broadcast:{broadcast.id}:{a.person_id}",
            broadcast_id=broadcast.id,
            status=OutboxStatus.PENDING,
            attempts=0,
            not_before=now,
            created_at=now,
        )
        for a in reach.reachable
    )
    db.flush()
    return broadcast


def tally(db: Session, broadcast_id: int) -> Counter[str]:
    rows = (
        db.execute(
            select(OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    return Counter(dict(rows))


def latest_of(db: Session, person: Person) -> Broadcast | None:
    query = select(Broadcast).where(Broadcast.sender_id == person.id).order_by(Broadcast.id.desc())
    return db.scalars(query).first()


def sending(db: Session) -> list[Broadcast]:
    return list(db.scalars(select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)))


def cancel(db: Session, broadcast: Broadcast) -> int:
    """Rows not yet taken by the sender are cancelled; a row already being sent finishes. The watcher then closes
    the broadcast and reports (reminders/broadcast_watch.py)."""
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
    )
    return affected(result)


def finish(broadcast: Broadcast, counts: Counter[str], now: datetime) -> bool:
    """Closes a broadcast whose rows are all final; False while some are still pending or being sent."""
    if any(status not in FINAL for status in counts):
        return False
    broadcast.counts = {status: counts.get(status, 0) for status in sorted(FINAL)}
    broadcast.status = BroadcastStatus.CANCELLED if counts.get(OutboxStatus.CANCELLED) else BroadcastStatus.DONE
    broadcast.finished_at = now
    return True
