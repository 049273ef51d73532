"""Three `sahabat run` processes on one PostgreSQL send one broadcast of 2,000 through the fake Bot API, which refuses
anything over its limit: together they stay within the limit and close to it, lose nothing, repeat only what was in
flight in a process that died or lost its database connection, and keep exactly one scheduler leader throughout.

The limit is Telegram's, 30 messages/s (the fake's limit and TELEGRAM_RATE are configurable; they agree here)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import psycopg
import pytest
from sqlalchemy import insert, select

from bot.channels.telegram import LIMITS
from store.db import Database
from store.models import Lease, OutboxMessage
from tests.fake_telegram import TOKEN, FakeBotApi
from tests.scratch_db import POSTGRES_ADMIN_URL
from tests.test_app_channels import free_port

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 30
MESSAGES = 2000
PROCESSES = 3
# Rows one process has in a request at most: what a process that dies or loses its database connection may have
# handed to Telegram without recording it.
IN_FLIGHT = LIMITS.concurrency
# A process starved of CPU for tens of milliseconds sends a little late and can bunch with another process's next slot
# (on a loaded 2-core machine, the fake server itself answers in bursts too); the budget's headroom absorbs most of
# it, and a refused message goes again after Telegram's wait, so nothing is lost. Telegram tolerates short bursts.
LATE_AT_MOST = MESSAGES * 5 // 100
# The combined rate over the whole broadcast, the kill and the cut included. Alone on 2 cores the processes keep
# ≥ 90% of the limit; on a machine loaded ~5 times over they were measured at 77–89%, so the floor here is 75%.
RATE_FLOOR = 0.75


def broadcast(database: Database) -> None:
    rows = [
        {
            "channel": "telegram",
            "recipient": str(700_000 + n),
            "kind": "broadcast",
            "lane": 1,
            "body": {"text": f"Pengumuman {n}"},
            "dedup_key": f"replicas:{n}",
            "status": "pending",
            "attempts": 0,
            "parts_sent": 0,
        }
        for n in range(MESSAGES)
    ]
    with database.session() as db:
        db.execute(insert(OutboxMessage), rows)


class Replica:
    def __init__(self, number: int, database: Database, telegram: FakeBotApi, nlu_url: str, log: Path) -> None:
        self.name, self.port, self.log = f"sahabat-replica-{number}", free_port(), log
        self.env = {
            **os.environ,
            "PGAPPNAME": self.name,  # names its database connections, so the test can cut them
            "SAHABAT_DATABASE_URL": database.url,
            "SAHABAT_NLU_URL": nlu_url,
            "SAHABAT_REST_PORT": str(self.port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_RATE": str(LIMIT),
            # Several replicas take Telegram's updates by webhook (only one process may poll a bot).
            "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org/tg/{number}",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )

    async def health(self, http: aiohttp.ClientSession) -> dict[str, str] | None:
        try:
            async with http.get(f"http://127.0.0.1:{self.port}/health") as response:
                return dict(await response.json()) if response.status == 200 else None
        except aiohttp.ClientError:
            return None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


@pytest.fixture
async def replicas(
    postgres_database: Database, nlu_url: str, tmp_path: Path
) -> AsyncIterator[tuple[FakeBotApi, list[Replica]]]:
    database = postgres_database  # several processes share PostgreSQL; SQLite is the single-process default
    telegram = FakeBotApi(per_second=LIMIT, per_chat_interval=1.0)
    await telegram.start()
    running = [Replica(n, database, telegram, nlu_url, tmp_path / f"replica-{n}.log") for n in range(PROCESSES)]
    try:
        yield telegram, running
    finally:
        for replica in running:
            if replica.alive and replica.process is not None:
                replica.process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(replica.process.wait(), 60)
        await telegram.stop()


async def leaders(http: aiohttp.ClientSession, running: list[Replica]) -> list[Replica]:
    states = [(replica, await replica.health(http)) for replica in running if replica.alive]
    return [replica for replica, state in states if state and state.get("scheduler") == "leading"]


def cut_connections(name: str) -> int:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchall()
    return len(rows)


def rate_of(telegram: FakeBotApi) -> float:
    times = sorted(float(m["at"]) for m in telegram.sent)
    return (len(times) - 1) / (times[-1] - times[0])


async def test_three_processes_share_one_budget_lose_nothing_and_keep_one_leader(
    postgres_database: Database, replicas: tuple[FakeBotApi, list[Replica]]
) -> None:
    database = postgres_database
    telegram, running = replicas
    broadcast(database)
    for replica in running:
        await replica.start()
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 120
        while not all([await replica.health(http) for replica in running]):
            assert time.monotonic() < deadline and all(r.alive for r in running), [r.log.read_text() for r in running]
            await asyncio.sleep(0.2)
        [leader] = await leaders(http, running)

        # Midway a process that does not lead is killed outright, and the leader loses every database connection.
        await telegram.wait_for(lambda: len(telegram.sent) >= MESSAGES * 0.4, timeout=60)
        victim = next(replica for replica in running if replica is not leader)
        assert victim.process is not None
        killed_at = time.monotonic()
        victim.process.send_signal(signal.SIGKILL)
        await victim.process.wait()
        await telegram.wait_for(lambda: len(telegram.sent) >= MESSAGES * 0.6, timeout=60)
        cut_at = time.monotonic()
        assert cut_connections(leader.name) >= 1

        await telegram.wait_for(lambda: len(telegram.sent) >= MESSAGES, timeout=120)
        await telegram.wait_for(lambda: len({m["text"] for m in telegram.sent}) == MESSAGES, timeout=30)
        for _ in range(10):  # one leader, checked for a while after its connections were cut
            assert len(await leaders(http, running)) == 1
            await asyncio.sleep(0.5)
    with database.session() as db:
        lease = db.get(Lease, "scheduler")
        assert lease is not None and lease.holder.split(":")[1] in {str(r.process.pid) for r in running if r.process}

    received = Counter(str(m["text"]) for m in telegram.sent)
    assert set(received) == {f"Pengumuman {n}" for n in range(MESSAGES)}  # nothing lost
    repeated = sum(count - 1 for count in received.values())
    assert repeated <= 2 * IN_FLIGHT  # only what the killed and the cut-off process had in a request
    first = telegram.sent[0]["at"]
    when = {
        "killed": killed_at - first,
        "cut": cut_at - first,
        "refused": [(t - first, why) for t, why in telegram.refused_at],
    }
    over_the_bot = [t for t, why in telegram.refused_at if why == "bot"]
    repeats_too_soon = [t for t, why in telegram.refused_at if why == "chat"]
    assert len(over_the_bot) <= LATE_AT_MOST, (rate_of(telegram), when)
    assert len(repeats_too_soon) <= repeated, when  # a repeat may come within a second of the first
    rate = rate_of(telegram)
    assert RATE_FLOOR * LIMIT <= rate <= LIMIT, rate
    with database.session() as db:
        assert set(db.scalars(select(OutboxMessage.status))) == {"sent"}
