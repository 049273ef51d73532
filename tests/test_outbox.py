"""The outbox on real databases: once per dedup key, within the limits, retries, blocked people, crash recovery."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.budget import LocalBudget
from bot.outbox import Limits, OutboxSender, SendFailure
from common.enums import Channel, Delivery, Lane, OutboxKind
from common.messages import Reply
from store import outbox
from store.db import Database
from store.models import ChannelIdentity, OutboxMessage, Person
from tests.waiting import wait_for


class RecordingTransport:
    """The platform's edge: records deliveries; scripted failures per recipient (popped one per attempt)."""

    channel = Channel.TELEGRAM

    def __init__(self, failures: dict[str, list[SendFailure]] | None = None, rate: float = 30) -> None:
        self.delivered: list[tuple[float, str, str]] = []
        self.failures = failures or {}
        self.budget = LocalBudget(rate)  # like the real transports: each message on a slot of the budget

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        await self.budget.slot(lane)
        scripted = self.failures.get(recipient)
        if scripted:
            raise scripted.pop(0)
        self.delivered.append((time.monotonic(), recipient, message.text))
        return f"m{len(self.delivered)}"


def fill(database: Database, count: int, recipients: int | None = None, prefix: str = "b1") -> None:
    with database.session() as db:
        for i in range(count):
            chat = str(1000 + (i % recipients if recipients else i))
            outbox.enqueue(
                db,
                channel=Channel.TELEGRAM,
                recipient=chat,
                message=Reply(f"pesan {i}"),
                kind=OutboxKind.BROADCAST,
                dedup_key=f"{prefix}:{i}",
            )


def statuses(database: Database) -> Counter[str]:
    with database.session() as db:
        return Counter(db.scalars(select(OutboxMessage.status)))


async def drain_all(sender: OutboxSender, database: Database, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while statuses(database)["pending"] and time.monotonic() < deadline:
        if await sender.drain() == 0:
            await asyncio.sleep(0.05)


def test_enqueue_is_idempotent_on_the_dedup_key(database: Database) -> None:
    fill(database, 3)
    fill(database, 3)
    assert statuses(database) == Counter({"pending": 3})


async def test_everything_is_sent_once_within_the_rate(database: Database) -> None:
    fill(database, 45)
    transport = RecordingTransport()
    started = time.monotonic()
    await drain_all(OutboxSender(database, transport, Limits(per_second=30)), database)
    elapsed = time.monotonic() - started
    assert statuses(database) == Counter({"sent": 45})
    assert sorted(text for _, _, text in transport.delivered) == sorted(f"pesan {i}" for i in range(45))
    # Evenly spaced at 30 per second: 45 messages take about a second and a half.
    assert elapsed >= 1.4
    times = [t for t, _, _ in transport.delivered]
    assert all(sum(1 for u in times if t < u <= t + 1.0) <= 30 for t in times)


async def test_one_chat_gets_at_most_one_message_per_interval(database: Database) -> None:
    fill(database, 4, recipients=1)
    transport = RecordingTransport()
    await drain_all(OutboxSender(database, transport, Limits(per_second=30, per_chat_interval=0.2)), database)
    times = [t for t, _, _ in transport.delivered]
    assert len(times) == 4 and all(b - a >= 0.19 for a, b in itertools.pairwise(times))


async def test_429_is_retried_after_the_platform_says(database: Database) -> None:
    fill(database, 1)
    transport = RecordingTransport({"1000": [SendFailure("retry", "Too Many Requests", retry_after=0.3)]})
    sender = OutboxSender(database, transport, Limits(per_second=30))
    await sender.drain()
    assert statuses(database) == Counter({"pending": 1}) and transport.delivered == []
    await drain_all(sender, database)
    assert statuses(database) == Counter({"sent": 1}) and len(transport.delivered) == 1


async def test_server_errors_back_off_and_give_up_after_max_attempts(database: Database) -> None:
    fill(database, 1)
    errors = [SendFailure("retry", "502 Bad Gateway") for _ in range(3)]
    sender = OutboxSender(database, RecordingTransport({"1000": errors}), Limits(per_second=30, max_attempts=3))
    for _ in range(3):
        with database.session() as db:  # skip the backoff wait
            db.execute(update(OutboxMessage).values(not_before=OutboxMessage.created_at))
        await sender.drain()
    with database.session() as db:
        row = db.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts, row.last_error) == ("failed", 3, "502 Bad Gateway")


async def test_a_person_who_blocked_the_bot_is_skipped_from_then_on(database: Database) -> None:
    with database.session() as db:
        person = Person()
        person.identities.append(ChannelIdentity(channel=Channel.TELEGRAM, external_id="1000"))
        db.add(person)
    fill(database, 1)
    transport = RecordingTransport({"1000": [SendFailure("blocked", "Forbidden: bot was blocked by the user")]})
    sender = OutboxSender(database, transport, Limits(per_second=30))
    await sender.drain()
    fill(database, 1, prefix="b2")
    await sender.drain()
    assert statuses(database) == Counter({"blocked": 2}) and transport.delivered == []
    with database.session() as db:
        assert db.scalar(select(ChannelIdentity.unreachable_at)) is not None


async def test_rows_in_flight_at_a_crash_are_sent_after_the_restart(database: Database) -> None:
    fill(database, 3)
    with database.session() as db:  # the crash: claimed, never marked
        first = db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).first()
        assert first is not None and outbox.claim(db, first, outbox_now())
    transport = RecordingTransport()
    sender = OutboxSender(database, transport, Limits(per_second=30))
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, idle=0.05))
    await wait_for(lambda: statuses(database) == Counter({"sent": 3}), describe=lambda: statuses(database))
    stop.set()
    await task
    assert len(transport.delivered) == 3


def test_delivery_reports_update_their_row(database: Database) -> None:
    fill(database, 1)
    with database.session() as db:
        row = db.scalars(select(OutboxMessage)).one()
        outbox.claim(db, row.id, outbox_now())
        outbox.mark_sent(db, row.id, "wamid.X1", outbox_now())
    with database.session() as db:
        assert outbox.record_delivery(db, "wamid.X1", Delivery.READ)
        assert outbox.record_delivery(db, "wamid.X1", Delivery.DELIVERED)  # late report does not undo "read"
        assert not outbox.record_delivery(db, "wamid.unknown", Delivery.READ)
    with database.session() as db:
        assert db.scalar(select(OutboxMessage.delivery)) == "read"


def outbox_now() -> datetime:
    return datetime.now(UTC)


class SlowTransport(RecordingTransport):
    """Each delivery takes a different time: concurrent slots would finish out of order."""

    def __init__(self) -> None:
        super().__init__()
        self.delays = itertools.cycle([0.05, 0.0, 0.03, 0.01])

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        await asyncio.sleep(next(self.delays))
        return await super().deliver(recipient, message, kind, lane, first_part)


async def test_one_person_reads_her_messages_in_order(database: Database) -> None:
    fill(database, 8, recipients=1)
    transport = SlowTransport()
    await drain_all(OutboxSender(database, transport, Limits(per_second=200, concurrency=4)), database)
    assert [text for _, _, text in transport.delivered] == [f"pesan {i}" for i in range(8)]


async def test_a_reply_goes_before_a_waiting_broadcast(database: Database) -> None:
    fill(database, 5)
    with database.session() as db:
        outbox.enqueue(
            db,
            channel=Channel.TELEGRAM,
            recipient="2000",
            message=Reply("jawaban"),
            kind=OutboxKind.REPLY,
            dedup_key="reply:telegram:m1:0",
        )
    transport = RecordingTransport()
    await OutboxSender(database, transport, Limits(per_second=200, concurrency=1)).drain()
    assert transport.delivered[0][2] == "jawaban"  # queued last, sent first


async def test_a_sent_sign_in_link_is_not_kept_in_the_outbox(database: Database) -> None:
    """A DASBOR answer on WhatsApp is an outbox row (here through the test transport): once it went, the row keeps
    the message without the token."""
    link = "http://127.0.0.1:8080/dasbor/masuk/" + "t0kenRahasia_" * 3
    with database.session() as db:
        outbox.enqueue(
            db,
            channel=Channel.TELEGRAM,
            recipient="2001",
            message=Reply(f"Buka tautan ini: {link}"),
            kind=OutboxKind.REPLY,
            dedup_key="reply:telegram:m9:0",
        )
    transport = RecordingTransport()
    await OutboxSender(database, transport, Limits(per_second=200, concurrency=1)).drain()
    assert link in transport.delivered[0][2]  # she got the link
    with database.session() as db:
        kept = db.scalars(select(OutboxMessage.body)).one()
    assert "t0kenRahasia" not in str(kept) and "/dasbor/masuk/" in kept["text"]
