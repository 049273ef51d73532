"""What the chat channels keep: the webhook inbox, short keys for long button payloads, and the facts a channel
needs to render (which commands menu a person gets, when a person last wrote)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.enums import Channel, Direction, MemberRole, Role
from store.models import ChannelIdentity, InboxMessage, Membership, PayloadKey, Person, Turn

KEY_PREFIX = "~"


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def accept(db: Session, channel: Channel, message_id: str, sender: str, payload: dict[str, Any]) -> bool:
    """Stores one webhook message for answering; False if this platform id was stored before (a retry)."""
    exists = select(InboxMessage.id).where(InboxMessage.channel == channel, InboxMessage.message_id == message_id)
    if db.scalar(exists) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(InboxMessage(channel=channel, message_id=message_id, sender=sender, payload=payload))
    except IntegrityError:  # the same retry arriving twice at once
        return False
    return True


def waiting_senders(db: Session, channel: Channel, limit: int) -> list[str]:
    """Senders with a message accepted and not answered yet, whoever has waited longest first."""
    query = (
        select(InboxMessage.sender)
        .where(InboxMessage.channel == channel, InboxMessage.processed_at.is_(None))
        .group_by(InboxMessage.sender)
        .order_by(func.min(InboxMessage.id))
        .limit(limit)
    )
    return list(db.scalars(query))


def oldest_unanswered(db: Session, channel: Channel, sender: str) -> InboxMessage | None:
    query = (
        select(InboxMessage)
        .where(InboxMessage.channel == channel, InboxMessage.sender == sender, InboxMessage.processed_at.is_(None))
        .order_by(InboxMessage.id)
        .limit(1)
    )
    return db.scalars(query).first()


def answered(db: Session, inbox_id: int, now: datetime) -> None:
    """The message was answered: its text is not kept here any longer (the masked turn history has it)."""
    db.execute(update(InboxMessage).where(InboxMessage.id == inbox_id).values(processed_at=now, payload={}))


def short_payload(db: Session, payload: str, max_bytes: int) -> str:
    """The payload itself when it fits, else a stable short key for it (same payload → same key)."""
    if len(payload.encode()) <= max_bytes:
        return payload
    digest = base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()).decode()
    key = KEY_PREFIX + digest[:22]
    if db.get(PayloadKey, key) is None:
        try:
            with db.begin_nested():
                db.add(PayloadKey(key=key, payload=payload))
        except IntegrityError:
            pass  # stored by someone else in the meantime: same key, same payload
    return key


def full_payload(db: Session, text: str) -> str | None:
    """The payload behind a short key; the text unchanged when it is not a key; None for an unknown key."""
    if not text.startswith(KEY_PREFIX):
        return text
    row = db.get(PayloadKey, text)
    return row.payload if row else None


def command_role(db: Session, channel: Channel, external_id: str) -> str:
    """kpm, ketua (a KPM who leads a group), pendamping, koordinator or admin: which commands menu to show."""
    person = db.scalar(
        select(Person)
        .join(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    if person is None:
        return Role.KPM
    if person.role == Role.KPM:
        leads = db.scalar(
            select(Membership.id).where(Membership.person_id == person.id, Membership.role == MemberRole.KETUA).limit(1)
        )
        return MemberRole.KETUA if leads is not None else Role.KPM
    return person.role


def last_inbound_at(db: Session, channel: Channel, external_id: str) -> datetime | None:
    """When this person last wrote to the assistant on this channel (WhatsApp's 24-hour window)."""
    query = (
        select(func.max(Turn.created_at))
        .join(ChannelIdentity, ChannelIdentity.person_id == Turn.person_id)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
            Turn.channel == channel,
            Turn.direction == Direction.IN,
        )
    )
    return _aware(db.scalar(query))
