"""kill -9 of a real sender process (`sahabat outbox send`) mid-batch, then a restart: nothing is lost, and a message
is repeated only if it was in flight at the kill — killed here at the worst moment, when the Bot API had accepted
it and the sender had not heard back. (`make bench` measures the same across 5,000 messages.)"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram import LIMITS
from common.enums import Channel, OutboxKind
from common.messages import Reply
from store import outbox
from store.db import Database
from store.models import OutboxMessage
from tests.fake_telegram import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = 60


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(per_second=30, per_chat_interval=1.0)
    await api.start()
    yield api
    await api.stop()


async def start_sender(database: Database, server: FakeBotApi, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "SAHABAT_DATABASE_URL": database.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
    }
    with log.open("ab") as stderr:  # the child keeps its own copy of the file
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "outbox",
            "send",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


def rows_by_status(database: Database) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with database.session() as db:
        for status, body in db.execute(select(OutboxMessage.status, OutboxMessage.body)).tuples():
            found.setdefault(status, set()).add(str(body["text"]))
    return found


async def test_a_killed_sender_loses_nothing_and_repeats_only_what_was_in_flight(
    database: Database, server: FakeBotApi, tmp_path: Path
) -> None:
    with database.session() as db:
        for n in range(MESSAGES):
            outbox.enqueue(
                db,
                channel=Channel.TELEGRAM,
                recipient=str(7000 + n % 30),
                message=Reply(f"pengingat {n}"),
                kind=OutboxKind.REMINDER,
                dedup_key=f"crash:{n}",
            )
    log = tmp_path / "sender.log"
    sender = await start_sender(database, server, log)
    victim = sender
    server.on_accept = lambda accepted: victim.send_signal(signal.SIGKILL) if accepted == MESSAGES // 3 else None
    assert await asyncio.wait_for(sender.wait(), 60) == -signal.SIGKILL
    server.on_accept = None
    in_flight = rows_by_status(database).get("sending", set())
    # The one the server kept, and the others the sender had claimed: at most 4 in a request, 8 claimed ahead.
    assert 1 <= len(in_flight) <= LIMITS.concurrency * LIMITS.claim_ahead

    sender = await start_sender(database, server, log)
    deadline = time.monotonic() + 60
    while set(rows_by_status(database)) != {"sent"}:
        assert time.monotonic() < deadline, f"not all sent: {rows_by_status(database).keys()}\n{log.read_text()}"
        await asyncio.sleep(0.2)
    sender.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(sender.wait(), 30) == 0

    received = Counter(str(m["text"]) for m in server.sent)
    assert set(received) == {f"pengingat {n}" for n in range(MESSAGES)}  # nothing lost
    repeated = {text for text, times in received.items() if times > 1}
    assert repeated and repeated <= in_flight and max(received.values()) == 2
    assert server.refused == 0
