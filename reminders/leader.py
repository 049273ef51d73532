"""Which app process runs the one scheduler: the holder of a PostgreSQL advisory lock.

APScheduler's documentation forbids two schedulers on one job store. The lock lives as long as the database
session that took it, so a process that dies (even by kill -9) frees it and another replica takes over on its next
try. SQLite is the single-process embedded default: that process always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

# Any 64-bit number the app uses for nothing else: "SKPMSCHD".
LOCK_KEY = 0x534B504D53434844


class Leadership:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine, self.key = engine, key
        self._connection: Connection | None = None
        self.held = False

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name != "postgresql":
            self.held = True
            return True
        connection = self.engine.connect()
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection, self.held = connection, True
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            except Exception:  # the session is going away anyway, and with it the lock
                log.warning("could not release the scheduler lock cleanly", exc_info=True)
            finally:
                self._connection.close()
                self._connection = None
        self.held = False
