"""The database schema. Changes go through a numbered Alembic migration in store/migrations/versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from common.enums import (
    BroadcastStatus,
    Channel,
    ComplaintEventKind,
    ComplaintStatus,
    Delivery,
    Direction,
    GroupKind,
    LessonStage,
    Level,
    MeetingAnswer,
    MemberRole,
    OutboxKind,
    OutboxStatus,
    PracticeKind,
    QuestionStatus,
    Recurrence,
    RegionLevel,
    Role,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A `StrEnum` stored as its plain string (no database enum type: the columns stay VARCHAR, as migrated).
    Writing checks the value is a member; reading hands back the member, so the model's type is the enum's."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


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
    level: Mapped[RegionLevel] = mapped_column(EnumText(RegionLevel, 16))
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")

    parent: Mapped[Region | None] = relationship(remote_side=[id])


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    # Leading a group is a membership role, not a person role.
    role: Mapped[Role] = mapped_column(EnumText(Role, 16), default=Role.KPM)
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
    # The platform channel (telegram | whatsapp) she last wrote from: where messages to her go first (store/reach.py).
    last_channel: Mapped[Channel | None] = mapped_column(EnumText(Channel, 16))
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
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the platform says this person blocked the assistant (HTTP 403): the outbox skips them. Cleared when
    # she writes from it again.
    unreachable_at: Mapped[datetime | None]
    # When she first wrote from this identity (writing first, joining with a code and agreeing all happen in a
    # message of hers). WhatsApp notices and reminders only go to numbers with one; an imported number has none.
    opted_in_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(back_populates="identities")


class Group(Base):
    """A PKH kelompok or a KUBE."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("kind", "name", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[GroupKind] = mapped_column(EnumText(GroupKind, 8))
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
    role: Mapped[MemberRole] = mapped_column(EnumText(MemberRole, 8), default=MemberRole.ANGGOTA)

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
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    direction: Mapped[Direction] = mapped_column(EnumText(Direction, 3))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float | None]
    # The catalogue topic answered (content/catalogue/): SUMBER cites it, `sahabat content report` counts the
    # questions that reached none.
    topic: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicFeedback(Base):
    """One tap on "Membantu" / "Tidak membantu" under a catalogue answer."""

    __tablename__ = "topic_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(60), index=True)
    helpful: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedMessage(Base):
    """Platform message ids already handled: webhooks are retried, a message is acted on once. Its answer is kept,
    so a retry after a crash between acting and answering gets the same answer instead of silence."""

    __tablename__ = "processed_messages"

    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The answer as outbox bodies (common/messages.py, `Message.as_body`), one per reply.
    replies: Mapped[list[Any]] = mapped_column(default=list)


class LessonProgress(Base):
    """Where a person is in one P2K2 lesson (sesi), and her quiz score."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("person_id", "lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    lesson: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[LessonStage] = mapped_column(EnumText(LessonStage, 16), default=LessonStage.STEPS)
    quiz_index: Mapped[int] = mapped_column(Integer, default=0)
    quiz_score: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]


class PracticeEntry(Base):
    """A line of a lesson's practice: an income/expense record, a savings goal, a loan or business check."""

    __tablename__ = "practice_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PracticeKind] = mapped_column(EnumText(PracticeKind, 16))
    amount: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(120), default="")
    is_want: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message the assistant starts (reminder, broadcast, escalation, complaint update). Written in the same
    transaction as what caused it; one sender per channel drains the rows within the platform's limits."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "channel", "status", "not_before"),
        Index("ix_outbox_lane", "channel", "status", "lane", "id"),
        Index("ix_outbox_recipient", "channel", "recipient", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    recipient: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    kind: Mapped[OutboxKind] = mapped_column(EnumText(OutboxKind, 16))
    # A `Message` (common/messages.py) as `Message.as_body()` writes it; read it back with `Message.from_body`.
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Whoever enqueues names the message (e.g. "reminder:42:2026-12-08T07:00:person:7"): enqueued once, ever.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(EnumText(OutboxStatus, 12), default=OutboxStatus.PENDING)
    # Lane.URGENT (someone is waiting: replies, complaint updates) is drained before Lane.BULK (broadcasts, reminders).
    lane: Mapped[int] = mapped_column(SmallInteger, default=1)
    # The process sending it (store/locks.py, ProcessMark), while `sending`.
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    # A long message goes as several platform messages: how many went, so a retry goes on from the next.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    platform_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # WhatsApp delivery reports.
    delivery: Mapped[Delivery | None] = mapped_column(EnumText(Delivery, 12))
    broadcast_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(Base):
    """A complaint with its ticket. Who handles it and who must never see it are decided when it is filed (routing
    rules in content/complaints.yml) and changed only by escalation or reassignment; `history` says who did what."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_open", "status", "escalate_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(12), unique=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    # What happened and since when, as the reporter wrote it, with personal numbers masked.
    text: Mapped[str] = mapped_column(Text)
    since: Mapped[str] = mapped_column(String(200), default="")
    # The handler never sees who reported: answers go through the assistant.
    secret: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ComplaintStatus] = mapped_column(EnumText(ComplaintStatus, 16), default=ComplaintStatus.OPEN)
    # The handling level and the person at it; no person = the admin queue.
    level: Mapped[Level] = mapped_column(EnumText(Level, 16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    # People who may also see it (e.g. the koordinator when money was taken), and people who may never see it
    # (the pendamping or ketua it is about), as lists of person ids.
    watcher_ids: Mapped[list[Any]] = mapped_column(default=list)
    hidden_ids: Mapped[list[Any]] = mapped_column(default=list)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # The reporter's time zone: working days and dates are counted and told in it.
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_due: Mapped[datetime]
    resolution_due: Mapped[datetime]
    # When the current handler must have acted before it moves up a level; None once nothing is pending.
    escalate_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    history: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", cascade="all, delete-orphan"
    )


class ComplaintEvent(Base):
    """One line of a complaint's history (who, what, when). Rows are only ever added (see store/complaints.py)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[ComplaintEventKind] = mapped_column(EnumText(ComplaintEventKind, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="history")


class Question(Base):
    """A question a KPM sent to a person because the assistant could not answer it, or she asked for one
    (store/questions.py). Her pendamping answers it; with none on file it waits in the koordinator's queue of her
    area (`handler_id` None). The answer reaches her through the outbox on her channel."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_open", "status", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Her pendamping when the question was sent; None: the koordinator's queue of her area.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    # As she wrote it, with NIK, KKS and phone numbers masked.
    text: Mapped[str] = mapped_column(Text)
    # What the NLU understood of it, if it went through the NLU: a follow-up on the same subject is held back
    # while a person is answering.
    intent: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[QuestionStatus] = mapped_column(EnumText(QuestionStatus, 12), default=QuestionStatus.WAITING)
    # The staff member writing the answer (status answering), then the one who answered.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The answer as stored, personal numbers masked (she receives it as written).
    answer: Mapped[str | None] = mapped_column(Text)
    # Her time zone: the 2-working-day clock is counted in it.
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    asker: Mapped[Person] = relationship(foreign_keys=[asker_id])
    handler: Mapped[Person | None] = relationship(foreign_keys=[handler_id])
    claimed_by: Mapped[Person | None] = relationship(foreign_keys=[claimed_by_id])


class Meeting(Base):
    """A group meeting: one-off or recurring, in the group's local time. Reminders follow it (reminders/).

    `version` grows with every change; the scheduler records the version it has planned for, so a change made in
    any app process reaches the one scheduler (reminders/scheduler.py) on its next sync."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    recurrence: Mapped[Recurrence] = mapped_column(EnumText(Recurrence, 10))
    # once: the date; weekly/biweekly: the first meeting; monthly: from when the rule applies.
    first_date: Mapped[date] = mapped_column(Date)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Senin … 6 = Minggu
    week_of_month: Mapped[int | None] = mapped_column(Integer)  # 1–5, or -1 for the last one
    local_time: Mapped[str] = mapped_column(String(5))  # "09:00", in the group's time zone
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")
    place: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    scheduled_version: Mapped[int | None] = mapped_column(Integer)
    # The plan: when the scheduler next looks at this meeting (its next reminder); None: nothing more to remind.
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship()


class MeetingReply(Base):
    """A member's answer to a reminder (one per person per occurrence; the last answer counts)."""

    __tablename__ = "meeting_replies"
    __table_args__ = (UniqueConstraint("meeting_id", "occurrence", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[str] = mapped_column(String(16))  # the local date, "2026-12-08"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    answer: Mapped[MeetingAnswer] = mapped_column(EnumText(MeetingAnswer, 8))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A notice a ketua or pendamping sent to their groups; its outbox rows carry `broadcast_id`."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    group_ids: Mapped[list[Any]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[BroadcastStatus] = mapped_column(EnumText(BroadcastStatus, 12), default=BroadcastStatus.SENDING)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped_opted_out: Mapped[int] = mapped_column(Integer, default=0)
    skipped_unreachable: Mapped[int] = mapped_column(Integer, default=0)
    # Filled when every row is final: {"sent": n, "failed": n, "blocked": n, "cancelled": n}.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


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
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
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


class DashboardLogin(Base):
    """A one-time link to the staff dashboard (`DASBOR` in chat). Only the token's SHA-256 is kept: whoever reads
    the database cannot sign in with it. Single use, short-lived, bound to one person (store/dashboard_access.py)."""

    __tablename__ = "dashboard_logins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in dashboard browser (aiohttp-session's storage, dashboard/sessions.py). Keyed by the hash of the
    cookie's value; `KELUAR DASBOR` deletes every row of the person, which ends her sessions on every device."""

    __tablename__ = "dashboard_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Lease(Base):
    """A named lease (the scheduler's): one holder until `expires_at`, renewed by that holder (store/leases.py)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[float]


class SendBudget(Base):
    """The next free sending slot of one platform account, shared by every process (bot/budget.py)."""

    __tablename__ = "send_budgets"

    account: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_at: Mapped[float]
