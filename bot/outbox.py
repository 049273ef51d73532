"""The outbox sender: drains one channel's outbox within the platform's limits.

Limits: a token bucket for the channel as a whole (Telegram ≈30 msg/s, WhatsApp Cloud 80 msg/s by default) and a
minimum gap per chat (Telegram ≈1 msg/s per chat). A 429 puts the row back with the platform's `retry_after`;
5xx and network errors back off exponentially; a 403 marks the person unreachable and later rows to them are
skipped.

Crash safety: every row is claimed (`sending`) in its own commit right before its HTTP request and marked `sent`
in its own commit right after. After a kill, `sending` rows go back to `pending` (recover_in_flight), so nothing
is lost; a row can only be repeated if the process died after the platform accepted it and before the `sent`
commit — at most `concurrency` rows, and only when the kill lands in that sub-millisecond-to-few-milliseconds
window. `make bench` (send part) measures it across kill -9.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from common.enums import Channel, OutboxKind, OutboxStatus
from common.messages import Reply
from store import outbox
from store.db import Database
from store.models import OutboxMessage
from store.privacy import mask_personal_numbers

log = logging.getLogger(__name__)


class SendFailure(Exception):
    """What a transport raises when the platform did not take a message."""

    def __init__(self, kind: Literal["retry", "blocked", "failed"], reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.kind, self.reason, self.retry_after = kind, reason, retry_after


class Transport(Protocol):
    channel: Channel

    async def deliver(self, recipient: str, message: Reply, kind: OutboxKind) -> str:
        """Sends one row's message; returns the platform's message id or raises SendFailure. `kind` is the row's
        (an answer to her, a reminder, a broadcast, …): on WhatsApp it picks the template outside the 24-hour window."""
        ...


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class TokenBucket:
    # No burst by default: a platform counting "30 per second" over any one-second window must never see 31.
    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """After a 429 the whole channel waits: the platform is telling us we are over its limit."""
        self.tokens = min(self.tokens, 0.0) - seconds * self.rate


@dataclass(frozen=True)
class Limits:
    per_second: float
    per_chat_interval: float = 0.0
    concurrency: int = 4
    max_attempts: int = 8
    batch: int = 200


class OutboxSender:
    def __init__(self, db: Database, transport: Transport, limits: Limits) -> None:
        self.db, self.transport, self.limits = db, transport, limits
        self.channel = transport.channel
        self.bucket = TokenBucket(limits.per_second)
        self._next_in_chat: dict[str, float] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New rows are waiting (e.g. replies to a webhook): look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle: float = 0.5) -> None:
        recovered = await asyncio.to_thread(self._recover)
        if recovered:
            log.warning(
                "%s outbox: %d message(s) were in flight at the last stop; sending them again", self.channel, recovered
            )
        while not stop.is_set():
            self._wake.clear()
            try:
                drained = await self.drain()
            except Exception:  # the database away for a moment must not stop the sending for good
                log.exception("%s outbox: a pass failed; trying again shortly", self.channel)
                drained = 0
                idle_now = max(idle, 5.0)
            else:
                idle_now = idle
            if drained == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first_of(stop, self._wake), idle_now)

    def _recover(self) -> int:
        with self.db.session() as db:
            return outbox.recover_in_flight(db, self.channel)

    def _due(self) -> tuple[list[tuple[int, str, Reply, OutboxKind]], set[str]]:
        with self.db.session() as db:
            rows = outbox.due(db, self.channel, datetime.now(UTC), self.limits.batch)
            blocked = outbox.unreachable(db, self.channel, [r.recipient for r in rows])
            return [(r.id, r.recipient, Reply.from_body(r.body), r.kind) for r in rows], blocked

    async def drain(self) -> int:
        """One pass over the due rows, one message per chat; returns how many rows were due."""
        rows, blocked = await asyncio.to_thread(self._due)
        tasks = []
        chats: set[str] = set()
        for message_id, recipient, message, kind in rows:
            if recipient in blocked:
                await asyncio.to_thread(self._in_session, outbox.skip_unreachable, message_id)
                continue
            if recipient in chats:
                continue  # the next pass: waiting here for the chat's turn would hold a sending slot idle
            chats.add(recipient)
            await self._slots.acquire()
            tasks.append(asyncio.create_task(self._send_one(message_id, recipient, message, kind)))
        await asyncio.gather(*tasks)
        self._forget_quiet_chats()
        return len(rows)

    def _in_session(self, operation: Any, *args: Any) -> Any:
        with self.db.session() as db:
            return operation(db, *args)

    async def _send_one(self, message_id: int, recipient: str, message: Reply, kind: OutboxKind) -> None:
        try:
            async with self._turn_in_chat(recipient):
                await self.bucket.acquire()
                if not await asyncio.to_thread(self._in_session, outbox.claim, message_id, datetime.now(UTC)):
                    return
                try:
                    platform_id = await self.transport.deliver(recipient, message, kind)
                except SendFailure as failure:
                    await asyncio.to_thread(self._failed, message_id, failure)
                    return
                except Exception as error:  # a bug or an unexpected transport error must not kill the sender
                    log.exception("%s outbox: message %d", self.channel, message_id)
                    await asyncio.to_thread(self._failed, message_id, SendFailure("retry", repr(error)))
                    return
                await asyncio.to_thread(self._in_session, outbox.mark_sent, message_id, platform_id, datetime.now(UTC))
        finally:
            self._slots.release()

    @contextlib.asynccontextmanager
    async def _turn_in_chat(self, recipient: str) -> AsyncIterator[None]:
        """One message at a time per chat, so a person reads them in order, the next no sooner than the interval
        after the last one was sent (measured from when it was sent, not when it was scheduled: a slow claim must
        not bunch two together)."""
        lock = self._chat_locks.setdefault(recipient, asyncio.Lock())
        async with lock:
            wait = self._next_in_chat.get(recipient, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._next_in_chat[recipient] = time.monotonic() + self.limits.per_chat_interval

    def _forget_quiet_chats(self) -> None:
        now = time.monotonic()
        for recipient, ready in list(self._next_in_chat.items()):
            lock = self._chat_locks.get(recipient)
            if ready <= now and (lock is None or not lock.locked()):
                del self._next_in_chat[recipient]
                self._chat_locks.pop(recipient, None)

    def _failed(self, message_id: int, failure: SendFailure) -> None:
        with self.db.session() as db:
            row = db.get(OutboxMessage, message_id)
            attempts = row.attempts if row else self.limits.max_attempts
            where = mask_personal_numbers(row.recipient) if row else "?"
            if failure.kind == "retry" and attempts < self.limits.max_attempts:
                if failure.retry_after is not None:
                    self.bucket.pause(failure.retry_after)
                    delay = failure.retry_after
                else:
                    delay = min(300.0, 2.0**attempts)
                log.info(
                    "%s outbox: retry %d to %s in %.1fs: %s", self.channel, message_id, where, delay, failure.reason
                )
                outbox.mark_retry(db, message_id, failure.reason, datetime.now(UTC) + timedelta(seconds=delay))
            else:
                status = OutboxStatus.BLOCKED if failure.kind == "blocked" else OutboxStatus.FAILED
                log.warning("%s outbox: %s %d to %s: %s", self.channel, status, message_id, where, failure.reason)
                outbox.mark_final(db, message_id, status, failure.reason)
