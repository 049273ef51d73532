"""Send benchmark: N outbox messages drained by a real `sahabat outbox send` process into a local Bot API server that
enforces Telegram's limits (30 messages/s per bot over any one-second window, 1/s per chat; over it → 429), with a
`kill -9` of the sender in the middle and a restart. Prints the achieved rate against the limit, lost and duplicated.

    .venv/bin/python scripts/bench_outbox.py [--messages 5000] [--kill-at 0.5] [--kill-mode random|worst]

Kill modes: `random` kills at a random moment of a send cycle once the fraction is delivered (what a crash looks
like); `worst` kills from inside the server right after it accepted a message and before it answered: the one
moment at-least-once delivery can repeat a message (the platform has it, the sender never heard back).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402

from store.db import Database  # noqa: E402
from store.models import OutboxMessage  # noqa: E402
from tests.fake_telegram import TOKEN, FakeBotApi  # noqa: E402

LIMIT = 30


def fill(db: Database, messages: int, chats: int) -> None:
    rows = [
        {
            "channel": "telegram",
            "recipient": str(10_000 + n % chats),
            "kind": "broadcast",
            "body": {"text": f"bench {n}"},
            "dedup_key": f"bench:{n}",
            "status": "pending",
            "attempts": 0,
        }
        for n in range(messages)
    ]
    with db.session() as session:
        session.execute(insert(OutboxMessage), rows)


def counts(db: Database) -> Counter[str]:
    with db.session() as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return Counter({str(status): int(number) for status, number in session.execute(query).tuples()})


async def start_sender(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
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


async def bench(messages: int, chats: int, kill_at: float, kill_mode: str, database_url: str | None) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    db = Database(database_url or f"sqlite:///{workdir / 'bench.db'}")
    db.migrate()
    with db.session() as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.dedup_key.like("bench:%")))
    fill(db, messages, chats)
    server = FakeBotApi(per_second=LIMIT, per_chat_interval=1.0)
    await server.start()
    env = {
        **os.environ,
        "SAHABAT_DATABASE_URL": db.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
    }
    log = workdir / "sender.log"
    print(f"{messages} messages to {chats} chats; server limit {LIMIT}/s overall and 1/s per chat; sender log {log}")
    sender = await start_sender(env, log)
    killed_at = restarted_first = None
    in_flight = 0
    if kill_at > 0:
        threshold = int(messages * kill_at)
        if kill_mode == "worst":
            victim = sender
            server.on_accept = lambda accepted: victim.send_signal(signal.SIGKILL) if accepted == threshold else None
        while len(server.sent) < threshold:
            await asyncio.sleep(0.001)
        if kill_mode == "random":
            await asyncio.sleep(random.uniform(0, 1 / LIMIT))
            sender.send_signal(signal.SIGKILL)
        await sender.wait()
        server.on_accept = None
        killed_at = time.monotonic()
        in_flight = counts(db)["sending"]
        print(f"kill -9 ({kill_mode} moment) after {len(server.sent)} delivered; {in_flight} row(s) were in flight")
        before_restart = len(server.sent)
        sender = await start_sender(env, log)
        while len(server.sent) == before_restart:
            await asyncio.sleep(0.01)
        restarted_first = server.sent[before_restart]["at"]
    while True:
        status = counts(db)
        if status["pending"] == 0 and status["sending"] == 0:
            break
        await asyncio.sleep(0.2)
    sender.send_signal(signal.SIGTERM)
    await sender.wait()
    await server.stop()

    received = Counter(str(m["text"]) for m in server.sent)
    expected = {f"bench {n}" for n in range(messages)}
    lost = len(expected - set(received))
    duplicated = sum(c - 1 for c in received.values())
    first, last = server.sent[0]["at"], server.sent[-1]["at"]
    wall = last - first
    down = (restarted_first - killed_at) if killed_at and restarted_first else 0.0
    sending_time = wall - down
    print(f"delivered {len(received)} distinct of {messages}: lost {lost}, duplicated {duplicated}")
    if duplicated:
        print(f"  (a repeat is a row in flight at the kill: at most the {in_flight} row(s) counted above)")
    print(f"refused by the server for going over a limit (429): {server.refused}")
    print(f"rows: {dict(counts(db))}")
    rate = len(server.sent) / sending_time
    print(
        f"achieved while sending: {rate:.1f} msg/s = {100 * rate / LIMIT:.0f}% of the {LIMIT}/s limit "
        f"({sending_time:.1f} s)"
    )
    if killed_at:
        print(
            f"including the kill and restart ({down:.1f} s without a sender): {len(server.sent) / wall:.1f} msg/s "
            f"= {100 * len(server.sent) / wall / LIMIT:.0f}% of the limit over {wall:.1f} s"
        )
    db.dispose()
    # A loss is a bug; so is a repeat that was not in flight at the kill. A repeat of an in-flight row is the
    # at-least-once window this prints figures about (README, "the outbox").
    return 0 if lost == 0 and duplicated <= in_flight else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--chats", type=int, default=1000, help="distinct recipients (round robin)")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction delivered before kill -9 (0: no kill)")
    parser.add_argument("--kill-mode", choices=["random", "worst"], default="random")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    return asyncio.run(bench(args.messages, args.chats, args.kill_at, args.kill_mode, args.database))


if __name__ == "__main__":
    raise SystemExit(main())
