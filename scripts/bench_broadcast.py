"""Broadcast benchmark (prints figures; not a test): one broadcast to 10,000 recipients through the outbox sender
against a local server that enforces 30 messages per second, with `kill -9` of the sender and a restart.

Reports the achieved rate against the limit, the most messages the server saw in any one second, how often it
answered 429, and, per recipient, how many got nothing (lost) and how many got it twice (duplicated).

The sender talks to the server through a minimal Bot-API-shaped HTTP transport defined here
(`POST /bot<token>/sendMessage`), written against `bot.outbox.Transport`: to measure the real Telegram transport,
replace `BenchTransport` with it and point it at this server's URL.

    .venv/bin/python scripts/bench_broadcast.py [--recipients 10000] [--rate 30] [--kill-at 20 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from sqlalchemy import insert, select

from bot.budget import SendBudget, send_budget
from bot.outbox import Limits, OutboxSender, SendFailure
from common.enums import Channel, Lane, OutboxKind, OutboxStatus
from common.messages import Reply
from store import broadcasts, reach
from store.db import Database
from store.models import ChannelIdentity, Group, Membership, OutboxMessage, Person

TOKEN = "bench:token"


# -- the platform: accepts at most `rate` messages in any one-second window, else 429 with retry_after ----------


def serve(port: int, rate: int) -> None:
    accepted: list[tuple[float, str]] = []
    window: deque[float] = deque()
    rejected = Counter[str]()

    async def send_message(request: web.Request) -> web.Response:
        payload = await request.json()
        now = time.monotonic()
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= rate:
            rejected["429"] += 1
            body = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return web.json_response(body, status=429)
        window.append(now)
        accepted.append((now, str(payload["chat_id"])))
        return web.json_response({"ok": True, "result": {"message_id": len(accepted)}})

    async def stats(_: web.Request) -> web.Response:
        times = [t for t, _ in accepted]
        busiest, start = 0, 0
        for end, t in enumerate(times):  # the most accepted in any one-second window
            while t - times[start] >= 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        per_chat = Counter(chat for _, chat in accepted)
        return web.json_response(
            {
                "accepted": len(accepted),
                "rejected_429": rejected["429"],
                "busiest_second": busiest,
                "first": times[0] if times else 0,
                "last": times[-1] if times else 0,
                "per_chat": per_chat,
            }
        )

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", send_message)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the transport the sender uses -------------------------------------------------------------------------------


class BenchTransport:
    channel = Channel.TELEGRAM

    def __init__(self, base_url: str, budget: SendBudget) -> None:
        self.base_url, self.budget = base_url, budget
        self.session: aiohttp.ClientSession | None = None

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        await self.budget.slot(lane)  # like the real transports: each message on a slot of the account's budget
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self.session.post(
                f"{self.base_url}/bot{TOKEN}/sendMessage", json={"chat_id": recipient, "text": message.text}
            ) as response:
                answer = await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailure("retry", repr(error)) from error
        if answer.get("ok"):
            return str(answer["result"]["message_id"])
        description = str(answer.get("description", response.status))
        if response.status == 429:
            raise SendFailure("retry", description, float(answer.get("parameters", {}).get("retry_after", 1)))
        if response.status == 403:
            raise SendFailure("blocked", description)
        raise SendFailure("retry" if response.status >= 500 else "failed", description)


def send(database_url: str, api: str, rate: float) -> None:
    """The sender process: drains the outbox until nothing is pending, then exits."""

    async def run() -> None:
        db = Database(database_url)
        transport = BenchTransport(api, send_budget(database_url, "telegram:bench", rate))
        sender = OutboxSender(db, transport, Limits(per_second=rate, per_chat_interval=1.0, concurrency=4))
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop, idle=0.2))
        while True:
            await asyncio.sleep(1)
            with db.session() as session:
                left = session.scalar(select(OutboxMessage.id).where(OutboxMessage.status.in_(["pending", "sending"])))
            if left is None:
                break
        stop.set()
        await task
        if transport.session is not None:
            await transport.session.close()
        db.dispose()

    asyncio.run(run())


# -- the benchmark ------------------------------------------------------------------------------------------------


def prepare(db: Database, recipients: int) -> int:
    with db.session() as session:
        group = Group(name="bench", kind="PKH", invite_code="BENCH1")
        ketua = Person(name="Ketua Bench", role="kpm")
        session.add_all([group, ketua])
        session.flush()
        session.add(Membership(group_id=group.id, person_id=ketua.id, role="ketua"))
        session.execute(insert(Person), [{"role": "kpm", "in_directory": False} for _ in range(recipients)])
        ids = list(session.scalars(select(Person.id).where(Person.id != ketua.id)))
        session.execute(
            insert(ChannelIdentity),
            [{"person_id": pid, "channel": "telegram", "external_id": str(20_000_000 + pid)} for pid in ids],
        )
        session.execute(
            insert(Membership), [{"group_id": group.id, "person_id": pid, "role": "anggota"} for pid in ids]
        )
        started = time.perf_counter()
        broadcast = broadcasts.create(
            session,
            ketua,
            [group.id],
            "Bench",
            Reply("Pengumuman: pertemuan besok jam 09.00."),
            datetime.now(UTC),
            reach.configured([Channel.TELEGRAM]),
        )
        print(f"broadcast #{broadcast.id}: {broadcast.recipients} outbox rows in {time.perf_counter() - started:.1f} s")
        return broadcast.recipients


def platform_stats(api: str) -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.get(f"{api}/stats") as response:
            return dict(json.loads(await response.text()))

    return asyncio.run(fetch())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--rate", type=int, default=30)
    sender = sub.add_parser("send")
    sender.add_argument("--database-url", required=True)
    sender.add_argument("--api", required=True)
    sender.add_argument("--rate", type=float, default=30)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--kill-at", type=float, nargs="*", default=[20.0, 60.0], help="seconds into sending")
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.port, args.rate)
        return 0
    if args.mode == "send":
        send(args.database_url, args.api, args.rate)
        return 0

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-broadcast-')}/bench.db"
    db = Database(url)
    db.migrate()
    total = prepare(db, args.recipients)
    me, api = [sys.executable, __file__], f"http://127.0.0.1:{args.port}"
    platform = subprocess.Popen([*me, "serve", "--port", str(args.port), "--rate", str(args.rate)])
    time.sleep(1.5)
    command = [*me, "send", "--database-url", url, "--api", api, "--rate", str(args.rate)]
    started = time.monotonic()
    process = subprocess.Popen(command)
    kills = sorted(args.kill_at)
    while True:
        if kills and time.monotonic() - started >= kills[0]:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            print(f"kill -9 of the sender at {time.monotonic() - started:.1f} s; restarting it")
            kills.pop(0)
            process = subprocess.Popen(command)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    stats = platform_stats(api)
    platform.send_signal(signal.SIGINT)
    platform.wait()
    with db.session() as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
        chats = set(session.scalars(select(OutboxMessage.recipient)))
    per_chat: dict[str, int] = stats["per_chat"]
    lost = len(chats - set(per_chat))
    duplicated = sum(1 for n in per_chat.values() if n > 1)
    span = stats["last"] - stats["first"]
    print(f"recipients {total}; outbox rows {dict(statuses)}; wall time {elapsed:.1f} s (with restarts)")
    print(
        f"accepted by the platform {stats['accepted']}; achieved rate {stats['accepted'] / span:.2f} msg/s "
        f"(limit {args.rate}); busiest second {stats['busiest_second']}; 429 answers {stats['rejected_429']}"
    )
    print(f"lost {lost}; duplicated {duplicated} (recipients who got the notice twice)")
    return 0 if lost == 0 and statuses.get(OutboxStatus.SENT) == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
