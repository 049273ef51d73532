"""Every status, role, channel and kind the code compares, as one `StrEnum` each.

Members are `str`s equal to the values stored in the database and written in content/ (``Role.KPM == "kpm"``), so
columns, YAML and JSON keep their plain strings while the code names each value once and mypy catches a typo.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(StrEnum):
    """A person's role in the programme. Leading a group is a membership role (`MemberRole`), not this."""

    KPM = "kpm"
    PENDAMPING = "pendamping"
    KOORDINATOR = "koordinator"
    # Dinas Sosial staff: the queue a case reaches when nobody nearer can take it.
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.PENDAMPING, Role.KOORDINATOR, Role.ADMIN})


class MemberRole(StrEnum):
    ANGGOTA = "anggota"
    KETUA = "ketua"


class GroupKind(StrEnum):
    PKH = "PKH"
    KUBE = "KUBE"


class RegionLevel(StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    REST = "rest"
    CONSOLE = "console"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class OutboxKind(StrEnum):
    """What an outbox row carries; it decides its lane and, on WhatsApp, its template outside the 24-hour window."""

    # An answer to the person's own message (WhatsApp replies go through the outbox).
    REPLY = "reply"
    # A broadcast's progress message to its sender (edited in place on Telegram).
    PROGRESS = "progress"
    COMPLAINT = "complaint"
    ESCALATION = "escalation"
    REMINDER = "reminder"
    BROADCAST = "broadcast"
    # A pendamping's answer to a question a KPM sent her (issue 9).
    ANSWER = "answer"
    # A KPM's question, or a reminder of one waiting too long, to the staff who answers it (issue 9).
    QUESTION = "question"
    # The weekly summary to pendamping and koordinator (issue 11).
    DIGEST = "digest"


class OutboxStatus(StrEnum):
    """pending → sending → sent | failed | blocked | cancelled."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


FINAL_OUTBOX_STATUSES = frozenset(
    {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.BLOCKED, OutboxStatus.CANCELLED}
)


class Delivery(StrEnum):
    """WhatsApp delivery reports on a sent row."""

    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class ComplaintStatus(StrEnum):
    """open → acknowledged → resolved → closed; reopening goes back to open."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Level(StrEnum):
    """Who handles a complaint (or a question) now; escalation climbs in this order."""

    PENDAMPING = "pendamping"
    KOORDINATOR = "koordinator"
    ADMIN = "admin"


class HiddenRole(StrEnum):
    """Whom a complaint route may hide a case from: the pendamping or the ketua the complaint is about."""

    PENDAMPING = "pendamping"
    KETUA = "ketua"


class ComplaintEventKind(StrEnum):
    CREATED = "created"
    ACKNOWLEDGED = "acknowledged"
    REPLIED = "replied"
    RESOLVED = "resolved"
    REASSIGNED = "reassigned"
    ESCALATED = "escalated"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


class QuestionStatus(StrEnum):
    """A question a KPM sent to a person (issue 9): waiting → answering (a staff member pressed Jawab) → answered;
    closed when it needs no answer any more. A claim given up goes back to waiting."""

    WAITING = "waiting"
    ANSWERING = "answering"
    ANSWERED = "answered"
    CLOSED = "closed"


OPEN_QUESTION_STATUSES = frozenset({QuestionStatus.WAITING, QuestionStatus.ANSWERING})


class Recurrence(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class MeetingAnswer(StrEnum):
    HADIR = "hadir"
    TIDAK = "tidak"


class BroadcastStatus(StrEnum):
    """sending → done | cancelled."""

    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class LessonStage(StrEnum):
    """steps → reflection → quiz → practice → done."""

    STEPS = "steps"
    REFLECTION = "reflection"
    QUIZ = "quiz"
    PRACTICE = "practice"
    DONE = "done"


class PracticeKind(StrEnum):
    MASUK = "masuk"
    KELUAR = "keluar"
    TABUNGAN = "tabungan"
    PINJAMAN = "pinjaman"
    USAHA = "usaha"


class SourceBasis(StrEnum):
    """What a source in content/sources.yml is: an official text, a research paper, or general knowledge."""

    DOCUMENT = "document"
    STUDY = "study"
    GENERAL = "general"


class Lane(IntEnum):
    """An outbox row's lane (`outbox.lane`) and a send budget's: URGENT (someone is waiting) before BULK."""

    URGENT = 0
    BULK = 1


# Kinds someone is waiting for: a reply, a complaint update, a broadcast's progress, an escalation, an answer, a
# question for staff.
URGENT_KINDS = frozenset(
    {
        OutboxKind.REPLY,
        OutboxKind.PROGRESS,
        OutboxKind.COMPLAINT,
        OutboxKind.ESCALATION,
        OutboxKind.ANSWER,
        OutboxKind.QUESTION,
    }
)


def lane_of(kind: str) -> Lane:
    return Lane.URGENT if kind in URGENT_KINDS else Lane.BULK
