"""Channel benchmark (prints figures; not a test): a burst of 200 different chats, each asking one question at once,
through a real `sahabat run` process on each channel in turn: REST (10 concurrent senders), Telegram (polling a
local Bot API server) and WhatsApp (signed webhooks; replies to a local Graph API server). The NLU is a real Rasa
server (started here, or SAHABAT_NLU_URL).

For each channel it prints the answered chats per second (chats ÷ time from the first question to the last answer
message), the p50/p95 time-to-answer (question → the chat's last answer message; REST: the request's round trip),
how many platform messages that took, and, for WhatsApp, the p95 time to the webhook's 200.

The fake Bot API enforces Telegram's documented limit of one bot (30 messages/s over any one-second window; over it:
429), so Telegram can never answer faster than 30 ÷ (messages per answer) chats per second; the ceiling is printed.

    .venv/bin/python scripts/bench_channels.py [--chats 200] [--database URL] [--telegram-limit 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.rasa_env import RasaEnvironment  # noqa: E402
from store.db import Database  # noqa: E402
from tests import fake_graph  # noqa: E402
from tests.fake_graph import FakeGraphApi  # noqa: E402
from tests.fake_telegram import TOKEN, FakeBotApi  # noqa: E402
from tests.scratch_db import migrated, scratch_postgres  # noqa: E402

# What KPM ask most, as they type it: each chat sends one of these.
QUESTIONS = (
    "kapan bansos pkh cair",
    "syarat dapat pkh apa saja",
    "kartu kks saya hilang gimana",
    "berapa bantuan untuk anak sd",
    "apa kewajiban peserta pkh",
    "saldo kks saya kosong",
    "cara lapor kalau bantuan belum masuk",
    "apa itu p2k2",
    "ibu hamil dapat berapa",
    "kenapa bantuan saya dihentikan",
)
CHANNELS = ("rest", "telegram", "whatsapp")
QUIET = 2.0  # seconds without a new message before a platform burst counts as answered


@dataclass
class Figures:
    channel: str
    chats: int
    seconds: float
    latencies: list[float]
    messages: int
    note: str = ""

    @property
    def rate(self) -> float:
        return self.chats / self.seconds

    def line(self) -> str:
        p50, p95 = percentile(self.latencies, 50), percentile(self.latencies, 95)
        return (
            f"{self.channel:<9} {self.rate:6.1f} chats/s   p50 {p50:5.2f} s   p95 {p95:5.2f} s   "
            f"{self.messages:4d} messages   {self.note}"
        )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[Database]:
    if url:
        with migrated(url) as db:
            yield db
        return
    with scratch_postgres("sahabat_bench") as scratch, migrated(scratch) as db:
        yield db


@contextlib.contextmanager
def nlu_url() -> Iterator[str]:
    external = os.environ.get("SAHABAT_NLU_URL")
    if external:
        yield external
        return
    rasa = RasaEnvironment(ROOT / ".venv-rasa")
    with rasa.serve(rasa.train(ROOT / "config.yml")) as server:
        yield server.url


@contextlib.asynccontextmanager
async def app_process(env: dict[str, str], port: int, log: Path) -> AsyncIterator[None]:
    with log.open("ab") as stderr:
        app = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/health") as response:
                        if response.status == 200:
                            break
                if app.returncode is not None:
                    raise RuntimeError(f"the app stopped; see {log}")
                await asyncio.sleep(0.1)
        yield
    finally:
        app.send_signal(signal.SIGTERM)
        await asyncio.wait_for(app.wait(), 60)


async def bench_rest(port: int, chats: int, senders: int = 10) -> Figures:
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    waiting: asyncio.Queue[int] = asyncio.Queue()
    for chat in range(chats):
        waiting.put_nowait(chat)
    latencies: list[float] = []
    replies = 0

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal replies
        while not waiting.empty():
            chat = waiting.get_nowait()
            body = {"sender": f"bench-rest-{chat}", "message": QUESTIONS[chat % len(QUESTIONS)]}
            asked = time.monotonic()
            async with http.post(url, json=body) as response:
                answer = await response.json()
            latencies.append(time.monotonic() - asked)
            replies += len(answer)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders)) as http:
        started = time.monotonic()
        await asyncio.gather(*(sender(http) for _ in range(senders)))
        seconds = time.monotonic() - started
    return Figures("REST", chats, seconds, latencies, replies, f"({senders} concurrent senders)")


async def until_quiet(count: Callable[[], int], answered: Callable[[], bool], timeout: float = 300.0) -> None:
    """Waits until every chat has an answer and no new message came for QUIET seconds."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif answered() and time.monotonic() - since >= QUIET:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the burst was not answered in time")


def burst_figures(
    channel: str, asked: dict[str, float], arrivals: list[tuple[str, float]], note: str, started: float
) -> Figures:
    last: dict[str, float] = {}
    for chat, at in arrivals:
        if chat in asked:
            last[chat] = at
    latencies = [last[chat] - asked[chat] for chat in asked if chat in last]
    finished = max(last.values())
    mine = sum(1 for chat, _ in arrivals if chat in asked)
    return Figures(channel, len(asked), finished - started, latencies, mine, note)


async def bench_telegram(server: FakeBotApi, chats: int, limit: int) -> Figures:
    base = 500_000
    already = len(server.sent)
    asked: dict[str, float] = {}
    started = time.monotonic()
    for chat in range(chats):
        chat_id = base + chat
        server.say(chat_id, QUESTIONS[chat % len(QUESTIONS)])
        asked[str(chat_id)] = time.monotonic()

    def answered() -> bool:
        return len({str(m["chat_id"]) for m in server.sent[already:]} & asked.keys()) == len(asked)

    await until_quiet(lambda: len(server.sent), answered)
    arrivals = [(str(m["chat_id"]), float(m["at"])) for m in server.sent[already:]]
    figures = burst_figures("Telegram", asked, arrivals, "", started)
    per_answer = figures.messages / chats
    figures.note = (
        f"(polling; server limit {limit}/s → ceiling {limit / per_answer:.1f} chats/s at {per_answer:.1f} "
        f"messages per answer; {server.refused} refused with 429)"
    )
    return figures


async def bench_whatsapp(graph: FakeGraphApi, port: int, chats: int) -> Figures:
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    already = len(graph.sent)
    asked: dict[str, float] = {}
    acks: list[float] = []

    async def post(http: aiohttp.ClientSession, chat: int) -> None:
        number = f"62811{chat:07d}"
        body = fake_graph.text(number, f"wamid.BENCH{chat}", QUESTIONS[chat % len(QUESTIONS)])
        headers = {"X-Hub-Signature-256": fake_graph.signature(body), "Content-Type": "application/json"}
        asked[number] = time.monotonic()
        async with http.post(url, data=body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"the webhook answered {response.status}: {await response.text()}")
        acks.append(time.monotonic() - asked[number])

    # Meta posts webhooks over many connections at once.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as http:
        started = time.monotonic()
        await asyncio.gather(*(post(http, chat) for chat in range(chats)))

    def answered() -> bool:
        return len({m["to"] for m in graph.sent[already:]} & asked.keys()) == len(asked)

    await until_quiet(lambda: len(graph.sent), answered)
    arrivals = [(str(m["to"]), at) for m, at in zip(graph.sent[already:], graph.sent_at[already:], strict=True)]
    note = f"(signed webhooks; webhook 200 p95 {percentile(acks, 95):.3f} s)"
    return burst_figures("WhatsApp", asked, arrivals, note, started)


async def warm_up(port: int, telegram: FakeBotApi, graph: FakeGraphApi) -> None:
    """One question per channel first: the NLU model and the app's connections are ready before the clock runs."""
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        async with http.post(url, json={"sender": "warm", "message": QUESTIONS[0]}) as response:
            await response.read()
        telegram.say(1, QUESTIONS[0])
        await telegram.wait_for(lambda: bool(telegram.texts_to(1)), 60)
        body = fake_graph.text("6280000", "wamid.WARM", QUESTIONS[0])
        headers = {"X-Hub-Signature-256": fake_graph.signature(body), "Content-Type": "application/json"}
        async with http.post(f"http://127.0.0.1:{port}/webhooks/whatsapp", data=body, headers=headers) as response:
            await response.read()
        await graph.wait_for(lambda: bool(graph.to("6280000")), 60)
    await asyncio.sleep(QUIET)


async def bench(chats: int, database: str | None, telegram_limit: int, only: list[str]) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    log = workdir / "app.log"
    telegram, graph = FakeBotApi(per_second=telegram_limit), FakeGraphApi()
    await telegram.start()
    await graph.start()
    port = free_port()
    try:
        with fresh_database(database) as db, nlu_url() as nlu:
            env = {
                **os.environ,
                "SAHABAT_DATABASE_URL": db.url,
                "SAHABAT_NLU_URL": nlu,
                "SAHABAT_REST_PORT": str(port),
                **fake_graph.platform_env(TOKEN, telegram.base_url, graph),
            }
            print(f"{chats} chats, each one question, on each channel; database {db.engine.dialect.name}; log {log}")
            print(f"machine load average (1 min) at the start: {os.getloadavg()[0]:.1f}", flush=True)
            async with app_process(env, port, log):
                await warm_up(port, telegram, graph)
                runs: dict[str, Callable[[], Awaitable[Figures]]] = {
                    "rest": lambda: bench_rest(port, chats),
                    "telegram": lambda: bench_telegram(telegram, chats, telegram_limit),
                    "whatsapp": lambda: bench_whatsapp(graph, port, chats),
                }
                results = []
                for name, run in runs.items():
                    if name in only:
                        results.append(await run())
                        print(results[-1].line(), flush=True)
    finally:
        await telegram.stop()
        await graph.stop()
    if only != list(CHANNELS):
        return 0
    rest = results[0].rate
    goal = all(figures.rate >= 0.8 * rest for figures in results[1:])
    ratios = ", ".join(f"{f.channel} {f.rate / rest:.2f}× REST" for f in results[1:])
    print(f"{ratios} (goal: each ≥ 0.80×) → {'met' if goal else 'NOT met'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh PostgreSQL database, dropped after)")
    parser.add_argument("--telegram-limit", type=int, default=30, help="the fake Bot API's messages/s per bot")
    parser.add_argument("--only", nargs="+", choices=CHANNELS, default=list(CHANNELS), help="some channels only")
    args = parser.parse_args()
    return asyncio.run(bench(args.chats, args.database, args.telegram_limit, args.only))


if __name__ == "__main__":
    raise SystemExit(main())
