"""The outbox sender: drains one channel's outbox, in as many processes as run it on one database.

Pacing belongs to the channel's transport: every platform message it sends takes a slot of the account's send
budget (bot/budget.py), shared by all processes, the urgent lane (replies, complaint updates) before the bulk one
(broadcasts, reminders). A chat gets one message at a time, no sooner than the platform's interval after the last.
A 429 puts the row back with the platform's `retry_after`; 5xx and network errors back off exponentially; a 403 marks
the person unreachable and later rows to them are skipped. A long message split in parts goes on from the part that
failed, not from the first.

Crash safety: rows are claimed (`sending`, with this process's mark) in one commit just before they are sent, at
most `concurrency` at a time, and marked `sent` in their own commit right after. Rows of a process that died go back
to `pending` (recover_in_flight, at start and every RECOVER_EVERY), so nothing is lost; a row can only be repeated if
a process died after the platform accepted it and before the `sent` commit — at most `concurrency` rows per process.
`make bench-send` measures it across kill -9; tests/test_replicas.py with three processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from common.enums import Channel, Lane, OutboxKind, OutboxStatus
from common.messages import Reply
from store import outbox
from store.db import Database
from store.locks import ProcessMark
from store.models import OutboxMessage
from store.privacy import mask_personal_numbers

log = logging.getLogger(__name__)
# How often a sender looks for rows left in flight by a process that died.
RECOVER_EVERY = 5.0


class SendFailure(Exception):
    """What a transport raises when the platform did not take a message."""

    def __init__(
        self,
        kind: Literal["retry", "blocked", "failed"],
        reason: str,
        retry_after: float | None = None,
        parts_sent: int = 0,
    ):
        super().__init__(reason)
        self.kind, self.reason, self.retry_after = kind, reason, retry_after
        # Of a message sent as several platform messages, how many the platform took before this failure.
        self.parts_sent = parts_sent


class Transport(Protocol):
    channel: Channel

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        """Sends one row's message, each platform message on a slot of the account's budget in `lane`, skipping the
        `first_part` parts a failed attempt already sent; returns the platform's message id or raises SendFailure.
        `kind` is the row's (an answer to her, a reminder, a broadcast, …): on WhatsApp it picks the template outside
        the 24-hour window."""
        ...


async def first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@dataclass(frozen=True)
class Limits:
    # The account's rate (its send budget) and the least time between two messages to one chat.
    per_second: float
    per_chat_interval: float = 0.0
    # Rows one process sends at once (each waits for its budget slot first): what a crash may repeat.
    concurrency: int = 4
    # Rows one process claims ahead of sending them, so it claims in batches, not one query per message.
    claim_ahead: int = 2
    max_attempts: int = 8


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    message: Reply
    kind: OutboxKind
    lane: Lane
    parts_sent: int


class OutboxSender:
    def __init__(self, db: Database, transport: Transport, limits: Limits, mark: ProcessMark | None = None) -> None:
        self.db, self.transport, self.limits = db, transport, limits
        self.channel = transport.channel
        self.mark = mark or ProcessMark(db.engine)
        self._own_mark = mark is None  # then this sender gives it up when it stops
        self._sending: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._wake = asyncio.Event()
        self._recovered_at = 0.0

    def wake(self) -> None:
        """New rows are waiting (e.g. replies to a webhook): look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle: float = 0.5) -> None:
        """Claims rows whenever a sending slot is free, until `stop`; then lets the rows in flight finish."""
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self._recover_now_and_then()
                    started = await self._claim_and_start()
                except Exception:  # the database away for a moment must not stop the sending for good
                    log.exception("%s outbox: a pass failed; trying again shortly", self.channel)
                    started, wait = 0, max(idle, 5.0)
                else:
                    wait = idle
                if started == 0 or len(self._sending) >= self._claimable:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(first_of(stop, self._wake), wait)
        finally:
            await asyncio.gather(*self._sending, return_exceptions=True)
            if self._own_mark:
                await asyncio.to_thread(self.mark.release)

    async def drain(self) -> int:
        """Sends what can go now (one message per chat) and waits for it; returns how many rows were claimed."""
        try:
            await self._recover_now_and_then()
            started = await self._claim_and_start()
            await asyncio.gather(*list(self._sending))
            return started
        finally:
            if self._own_mark:
                await asyncio.to_thread(self.mark.release)

    async def _recover_now_and_then(self) -> None:
        if time.monotonic() - self._recovered_at < RECOVER_EVERY:
            return
        first = self._recovered_at == 0.0
        self._recovered_at = time.monotonic()
        await asyncio.to_thread(self.mark.keep)
        if not first and not self.mark.shared:
            return  # one process on SQLite: only its own earlier life left rows in flight
        recovered = await asyncio.to_thread(self._in_session, outbox.recover_in_flight, self.channel, self.mark)
        if recovered:
            log.warning(
                "%s outbox: %d message(s) in flight in a process that stopped; sending again", self.channel, recovered
            )

    @property
    def _claimable(self) -> int:
        return self.limits.concurrency * self.limits.claim_ahead

    async def _claim_and_start(self) -> int:
        free = self._claimable - len(self._sending)
        if free < self.limits.concurrency and self._sending:
            return 0  # claim when a batch's worth is free, not at every message

        rows = await asyncio.to_thread(self._claim, free) if free > 0 else []
        for row in rows:
            task = asyncio.create_task(self._send_one(row))
            self._sending.add(task)
            task.add_done_callback(self._finished)
        return len(rows)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._wake.set()  # a slot is free

    def _claim(self, limit: int) -> list[Claimed]:
        now = datetime.now(UTC)
        with self.db.session() as db:
            rows = outbox.claim_due(db, self.channel, self.mark.number, now, limit, self.limits.per_chat_interval)
            blocked = outbox.unreachable(db, self.channel, [r.recipient for r in rows])
            claimed = []
            for row in rows:
                if row.recipient in blocked:
                    row.status, row.last_error = OutboxStatus.BLOCKED, "recipient blocked the assistant earlier"
                    continue
                message = Reply.from_body(row.body)
                claimed.append(Claimed(row.id, row.recipient, message, row.kind, Lane(row.lane), row.parts_sent))
            return claimed

    def _in_session(self, operation: Any, *args: Any) -> Any:
        with self.db.session() as db:
            return operation(db, *args)

    async def _send_one(self, row: Claimed) -> None:
        async with self._slots:
            await self._deliver(row)

    async def _deliver(self, row: Claimed) -> None:
        try:
            platform_id = await self.transport.deliver(row.recipient, row.message, row.kind, row.lane, row.parts_sent)
        except SendFailure as failure:
            await asyncio.to_thread(self._failed, row.id, failure)
        except Exception as error:  # a bug or an unexpected transport error must not kill the sender
            log.exception("%s outbox: message %d", self.channel, row.id)
            await asyncio.to_thread(self._failed, row.id, SendFailure("retry", repr(error)))
        else:
            await asyncio.to_thread(
                self._in_session, outbox.mark_sent, row.id, platform_id, datetime.now(UTC), row.message
            )

    def _failed(self, message_id: int, failure: SendFailure) -> None:
        with self.db.session() as db:
            row = db.get(OutboxMessage, message_id)
            attempts = row.attempts if row else self.limits.max_attempts
            where = mask_personal_numbers(row.recipient) if row else "?"
            if failure.kind == "retry" and attempts < self.limits.max_attempts:
                delay = failure.retry_after if failure.retry_after is not None else min(300.0, 2.0**attempts)
                log.info(
                    "%s outbox: retry %d to %s in %.1fs: %s", self.channel, message_id, where, delay, failure.reason
                )
                not_before = datetime.now(UTC) + timedelta(seconds=delay)
                outbox.mark_retry(db, message_id, failure.reason, not_before, failure.parts_sent)
            else:
                status = OutboxStatus.BLOCKED if failure.kind == "blocked" else OutboxStatus.FAILED
                log.warning("%s outbox: %s %d to %s: %s", self.channel, status, message_id, where, failure.reason)
                outbox.mark_final(db, message_id, status, failure.reason)
