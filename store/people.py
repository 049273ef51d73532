"""People and how they are found from a channel message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from common.enums import Channel, OutboxStatus
from store import reach
from store.models import (
    ChannelIdentity,
    ConversationState,
    InboxMessage,
    LessonProgress,
    MeetingReply,
    OutboxMessage,
    Person,
    PracticeEntry,
    Question,
    TopicFeedback,
    Turn,
    utcnow,
)
from store.phones import normalize_phone

# Channels whose user ids are phone numbers (WhatsApp sends 6281234567890): a first message from one is matched to
# the person with that phone in the directory (anggota.csv), so her groups and pendamping are known at once.
PHONE_CHANNELS = {Channel.WHATSAPP}
# What an erased person's outbox rows say instead of their chat id or phone number.
ERASED = "dihapus"


def find_or_create(db: Session, channel: Channel, external_id: str, now: datetime | None = None) -> tuple[Person, bool]:
    """The person behind a channel identity she is writing from; a new identity makes a new person (KPM by default),
    unless its phone number is already someone's in the directory. Records that she wrote from it (store/reach.py)."""
    now = now or utcnow()
    identity = db.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    if identity is not None:
        reach.heard_from(identity.person, identity, now)
        return identity.person, False
    phone = normalize_phone(external_id) if channel in PHONE_CHANNELS else None
    known = (
        db.scalars(select(Person).where(Person.phone == phone).order_by(Person.in_directory.desc())).first()
        if phone is not None
        else None
    )
    person = known if known is not None else Person(phone=phone)
    identity = ChannelIdentity(channel=channel, external_id=external_id)
    person.identities.append(identity)
    reach.heard_from(person, identity, now)
    if known is None:
        db.add(person)
    db.flush()
    return person, known is None


def state_of(db: Session, person: Person) -> ConversationState:
    state = db.get(ConversationState, person.id)
    if state is None:
        state = ConversationState(person_id=person.id, form=None, form_data={}, menu=[])
        db.add(state)
        db.flush()
    return state


def erase(db: Session, person: Person) -> bool:
    """Delete what the assistant keeps about a person's chats. Returns True if the person record itself was
    kept because it belongs to the programme's directory (imported from the facilitators' spreadsheets)."""
    # Webhook messages kept for deduplication carry the sender's number. (Read with a query: loading
    # person.identities here would leave stale objects once the identities are deleted below.)
    identities = db.execute(
        select(ChannelIdentity.channel, ChannelIdentity.external_id).where(ChannelIdentity.person_id == person.id)
    ).tuples()
    for channel, external_id in list(identities):
        db.execute(delete(InboxMessage).where(InboxMessage.channel == channel, InboxMessage.sender == external_id))
        # Outbox rows stay for the broadcast and delivery counts, but no longer say who they were for, and what
        # was still waiting is not sent.
        to_them = (OutboxMessage.channel == channel, OutboxMessage.recipient == external_id)
        db.execute(
            update(OutboxMessage)
            .where(*to_them, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.CANCELLED, last_error="the person erased their data")
        )
        db.execute(update(OutboxMessage).where(*to_them).values(recipient=ERASED, person_id=None))
    db.execute(delete(Question).where(Question.asker_id == person.id))
    for model in (Turn, TopicFeedback, ConversationState, LessonProgress, PracticeEntry, MeetingReply, ChannelIdentity):
        db.execute(delete(model).where(model.person_id == person.id))
    if person.in_directory:
        person.privacy_notice_at = person.last_channel = None
        db.expire(person, ["identities"])
        return True
    db.delete(person)
    return False
