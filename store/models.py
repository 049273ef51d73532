"""The database schema. Changes go through a numbered Alembic migration in store/migrations/versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Region(Base):
    """provinsi → kabupaten/kota → kecamatan → kelurahan/desa; each level knows its time zone."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("level", "name", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")

    parent: Mapped[Region | None] = relationship(remote_side=[id])


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    # kpm | pendamping | koordinator | admin. Leading a group is a membership role, not a person role.
    role: Mapped[str] = mapped_column(String(16), default="kpm")
    # Staff code from pendamping.csv (pendamping and koordinator only).
    kode: Mapped[str | None] = mapped_column(String(32), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    pendamping_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # True for people loaded from the facilitators' spreadsheets: erasing chat data keeps the record.
    in_directory: Mapped[bool] = mapped_column(default=False)
    privacy_notice_at: Mapped[datetime | None]
    # Set by "BERHENTI": no reminders or notices until "MULAI".
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region | None] = relationship()
    supervisor: Mapped[Person | None] = relationship(foreign_keys=[supervisor_id], remote_side=[id])
    pendamping: Mapped[Person | None] = relationship(foreign_keys=[pendamping_id], remote_side=[id])
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="person", cascade="all, delete-orphan")


class ChannelIdentity(Base):
    """How one person is known on one channel (Telegram user id, WhatsApp number, REST sender)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the platform says this person blocked the assistant (HTTP 403): the outbox skips them.
    unreachable_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(back_populates="identities")


class Group(Base):
    """A PKH kelompok or a KUBE."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("kind", "name", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(8))  # PKH | KUBE
    invite_code: Mapped[str] = mapped_column(String(16), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    pendamping_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    memberships: Mapped[list[Membership]] = relationship(back_populates="group", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8), default="anggota")  # anggota | ketua

    group: Mapped[Group] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()


class ConversationState(Base):
    """Where a person is in the conversation: the form in progress and the last menu sent."""

    __tablename__ = "conversation_states"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    form: Mapped[str | None] = mapped_column(String(32))
    form_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    menu: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Turn(Base):
    """One message in or out, kept for follow-up and audit, with personal numbers masked."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedMessage(Base):
    """Platform message ids already handled: webhooks are retried, a message is answered once."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonProgress(Base):
    """Where a person is in one P2K2 lesson (sesi), and her quiz score."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("person_id", "lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    lesson: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(16), default="steps")  # steps | quiz | practice | done
    quiz_index: Mapped[int] = mapped_column(Integer, default=0)
    quiz_score: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]


class PracticeEntry(Base):
    """A line of a lesson's practice: an income/expense record, a savings goal, a loan or business check."""

    __tablename__ = "practice_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # masuk | keluar | tabungan | pinjaman | usaha
    amount: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(120), default="")
    is_want: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message the assistant starts (reminder, broadcast, escalation, complaint update). Written in the same
    transaction as what caused it; one sender per channel drains the rows within the platform's limits."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "channel", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | broadcast | escalation | complaint
    # {"text": ..., "options": [[title, payload], ...]}; WhatsApp adds {"template": name} outside the 24-hour window.
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Whoever enqueues names the message (e.g. "reminder:42:2026-12-08T07:00:person:7"): enqueued once, ever.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    # pending → sending → sent | failed | blocked | cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    platform_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # WhatsApp delivery reports: delivered | read | failed.
    delivery: Mapped[str | None] = mapped_column(String(12))
    broadcast_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxMessage(Base):
    """A webhook message accepted but not yet answered (WhatsApp): stored before the platform gets its 200, so a
    crash cannot lose it, and unique per platform id, so a retried webhook is stored once. The raw payload is
    cleared once the message is answered; the row stays for deduplication."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_inbox_pending", "channel", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    sender: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class PayloadKey(Base):
    """A button payload too long for the platform (Telegram callback data: 64 bytes) sent as a short key."""

    __tablename__ = "payload_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
