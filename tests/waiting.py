"""Waiting for a condition instead of sleeping a fixed time: a test is as fast as the code and fails with a reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL = 0.02


def _timed_out(timeout: float, describe: Callable[[], object] | None) -> AssertionError:
    detail = f": {describe()}" if describe is not None else ""
    return AssertionError(f"condition not met within {timeout:g} s{detail}")


async def wait_for(
    predicate: Callable[[], object], timeout: float = 10.0, describe: Callable[[], object] | None = None
) -> None:
    """Returns once `predicate()` is true; fails the test after `timeout` seconds, saying `describe()` if given."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise _timed_out(timeout, describe)
        await asyncio.sleep(POLL)


def wait_until(
    predicate: Callable[[], object], timeout: float = 10.0, describe: Callable[[], object] | None = None
) -> None:
    """`wait_for` for tests without an event loop (a scheduler's threads doing the work)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise _timed_out(timeout, describe)
        time.sleep(POLL)
