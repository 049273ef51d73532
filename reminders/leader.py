"""Which app process runs the one scheduler: the holder of the `scheduler` lease (store/leases.py).

APScheduler's documentation forbids two schedulers on one job store. A lock tied to a database session is not
enough: when that session's connection drops, the database frees the lock at once while the process, which has not
noticed, goes on scheduling. A lease is held only until its expiry, and the holder counts that expiry on its own
monotonic clock from *before* each renewal it sent: by the time the database could hand the lease to another
process, the old holder already knows it no longer holds it (`held` is False and the jobs check it before running).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from store import leases
from store.db import Database

log = logging.getLogger(__name__)

NAME = "scheduler"
# Held for this long past each renewal; renewed three times in that span.
LEASE = timedelta(seconds=15)


def process_name() -> str:
    """Names this process in leases and logs: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leadership:
    def __init__(self, db: Database, lease: timedelta = LEASE, name: str = NAME) -> None:
        self.db, self.name, self.seconds = db, name, lease.total_seconds()
        self.holder = process_name()
        self._valid_until = 0.0  # monotonic

    @property
    def renew_every(self) -> float:
        return self.seconds / 3

    def try_acquire(self) -> bool:
        """Takes or renews the lease; True while this process leads. Someone else holding it ends the lead at once;
        the database being away ends it when the lease runs out (`held` counts it down)."""
        asked_at = time.monotonic()
        try:
            with self.db.session() as db:
                got = leases.take(db, self.name, self.holder, self.seconds)
        except Exception:
            log.warning("scheduler lease: could not reach the database", exc_info=True)
            return self.held
        self._valid_until = asked_at + self.seconds if got else 0.0
        return got

    @property
    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    def release(self) -> None:
        if self._valid_until:
            try:
                with self.db.session() as db:
                    leases.release(db, self.name, self.holder)
            except Exception:  # it expires by itself
                log.warning("could not give the scheduler lease up cleanly", exc_info=True)
        self._valid_until = 0.0
