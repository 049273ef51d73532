"""One send budget per platform account (a Telegram bot, a WhatsApp number), shared by every process on the database,
with a lane for messages someone is waiting for.

The budget is the time of the account's next free slot ("virtual scheduling", GCRA): taking a slot moves it on by
one interval and the taker sleeps until its slot, so all processes together never send faster than the rate, and
nobody polls. On PostgreSQL the slot is one row (`send_budgets`) updated in one statement on the database's clock;
on SQLite (one process) it lives in memory.

- **Lanes.** URGENT (replies, complaint updates, a pendamping's answer) always takes the next slot. BULK
  (broadcasts, reminders, digests) takes one only while fewer than HORIZON seconds of slots are already taken, so
  an urgent message waits behind at most HORIZON of bulk, however big the broadcast.
- **Headroom.** Slots are a little wider than the platform's rate: a request leaves a few milliseconds after its
  slot, and the platform, counting any one-second window, must never see one message too many.
- **Holds.** When the platform says the whole account is over its limit, `hold` pushes the next free slot past its
  wait, for every process; a refusal about one chat is that chat's business (the caller retries that message later).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from common.enums import Lane

log = logging.getLogger(__name__)

HORIZON = 0.25
HEADROOM = 0.95


class SendBudget(Protocol):
    async def slot(self, lane: Lane) -> None:
        """Waits until this process may send one message on the account."""
        ...

    async def hold(self, seconds: float) -> None:
        """Nobody sends on the account for `seconds` (the platform said the account is over its limit)."""
        ...

    async def close(self) -> None: ...


class LocalBudget:
    """The budget of a process alone on its database (SQLite, tests)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / (rate * HEADROOM)
        self._next_at = 0.0

    async def slot(self, lane: Lane) -> None:
        while True:
            now = time.monotonic()
            if lane is Lane.URGENT or self._next_at <= now + HORIZON:
                start = max(self._next_at, now)
                self._next_at = start + self.interval
                await asyncio.sleep(start - now)
                return
            await asyncio.sleep(self._next_at - HORIZON - now)

    async def hold(self, seconds: float) -> None:
        self._next_at = max(self._next_at, time.monotonic() + seconds)

    async def close(self) -> None:
        pass


_TAKE = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now),
taken AS (
    UPDATE send_budgets AS b SET next_at = greatest(b.next_at, clock.now) + %(interval)s
    FROM clock
    WHERE b.account = %(account)s AND (%(urgent)s OR b.next_at <= clock.now + %(horizon)s)
    RETURNING b.next_at - %(interval)s - clock.now AS wait
)
SELECT true, wait FROM taken
UNION ALL
SELECT false, b.next_at - %(horizon)s - clock.now FROM send_budgets AS b, clock
WHERE b.account = %(account)s AND NOT EXISTS (SELECT 1 FROM taken)
"""
_HOLD = """
UPDATE send_budgets SET next_at = greatest(next_at, extract(epoch FROM clock_timestamp())::float8 + %(seconds)s)
WHERE account = %(account)s
"""
_CREATE = "INSERT INTO send_budgets (account, next_at) VALUES (%(account)s, 0) ON CONFLICT DO NOTHING"


class PostgresBudget:
    """The budget every process on one PostgreSQL database shares: one connection of its own per process (autocommit,
    no transaction is ever left open), one statement per slot."""

    def __init__(self, database_url: str, account: str, rate: float) -> None:
        self.conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.account, self.interval = account, 1 / (rate * HEADROOM)
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._bulk_turn = asyncio.Lock()  # one bulk request for a slot at a time from this process

    async def slot(self, lane: Lane) -> None:
        if lane is Lane.URGENT:
            _, wait = await self._take(urgent=True)
        else:
            async with self._bulk_turn:
                while True:
                    granted, wait = await self._take(urgent=False)
                    if granted:
                        break
                    await asyncio.sleep(max(wait, 0.001))
        await asyncio.sleep(max(wait, 0.0))

    async def hold(self, seconds: float) -> None:
        await self._execute(_HOLD, {"account": self.account, "seconds": seconds})

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _take(self, urgent: bool) -> tuple[bool, float]:
        values = {"account": self.account, "interval": self.interval, "urgent": urgent, "horizon": HORIZON}
        row = await self._execute(_TAKE, values)
        if row is None:
            raise RuntimeError(f"send budget {self.account!r} has no row")
        return bool(row[0]), float(row[1])  # type: ignore[arg-type]

    async def _execute(self, statement: str, values: dict[str, object]) -> tuple[object, ...] | None:
        # The database away for a moment (a restart, a failover): connect again rather than fail the message.
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(psycopg.OperationalError),
            wait=wait_exponential(multiplier=0.1, max=2),
            stop=stop_after_delay(30),
            reraise=True,
        ):
            with attempt:
                async with self._lock:
                    connection = await self._connect()
                    try:
                        cursor = await connection.execute(statement, values)
                        return await cursor.fetchone() if cursor.description else None
                    except psycopg.OperationalError:
                        await self.close()
                        raise
        return None

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
            await self._connection.execute(_CREATE, {"account": self.account})
        return self._connection


def send_budget(database_url: str, account: str, rate: float) -> SendBudget:
    """The account's budget: shared through PostgreSQL, or this process's own on SQLite (one process)."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresBudget(database_url, account, rate)
    return LocalBudget(rate)
