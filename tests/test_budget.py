"""One send budget per account: processes sharing it never go over its rate together, and an urgent message
(a reply) never waits behind a flood of bulk ones (a broadcast)."""

from __future__ import annotations

import asyncio
import time

from bot.budget import HORIZON, SendBudget, send_budget
from common.enums import Lane
from store.db import Database
from tests.waiting import wait_for

RATE = 40


async def flood(budget: SendBudget, taken: list[float], until: float) -> None:
    while time.monotonic() < until:
        await budget.slot(Lane.BULK)
        taken.append(time.monotonic())


async def test_processes_share_one_rate_and_replies_go_first(database: Database) -> None:
    # On PostgreSQL each budget is what one process holds (a connection of its own); on SQLite one process.
    shared = database.engine.dialect.name == "postgresql"
    budgets = [send_budget(database.url, "telegram:1", RATE) for _ in range(3 if shared else 1)]
    taken: list[float] = []
    until = time.monotonic() + 2.0
    floods = [asyncio.create_task(flood(budget, taken, until)) for budget in budgets for _ in range(3)]
    await wait_for(lambda: len(taken) >= RATE // 2)  # bulk in full flow: half a second of slots given out
    asked = time.monotonic()
    await budgets[-1].slot(Lane.URGENT)
    waited = time.monotonic() - asked
    await asyncio.gather(*floods)
    for budget in budgets:
        await budget.close()

    assert waited <= HORIZON + 0.1  # behind at most the quarter-second of bulk slots already given out
    taken.sort()
    busiest = max(sum(1 for u in taken if t <= u < t + 1.0) for t in taken)
    assert RATE * 0.85 <= busiest <= RATE  # close to the rate, never over it, however many processes
