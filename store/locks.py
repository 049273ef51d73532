"""Locks every process on the database respects: one message per person at a time, and which process is alive.

On PostgreSQL both are session-level advisory locks, each on a connection of its own in autocommit: the lock lives
as long as that connection and no transaction stays open while it is held (the NLU call happens under a person's
lock). SQLite is the single-process embedded default: a lock in memory does.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ColumnElement, Connection, Engine, exists, literal, literal_column, select, table, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Namespaces of the two-number advisory locks ("SKPP" for people, "SKPO" for owners of claimed rows).
PERSON = 0x534B5050
OWNER = 0x534B504F


class PersonLocks:
    """`with locks.held(channel, sender):` two messages of one person are never handled at once, in any process.
    Re-entrant within a thread, so a caller may hold it around the router, which takes it too."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mutex = threading.Lock()
        self._local: dict[str, tuple[threading.Lock, int]] = {}
        self._mine = threading.local()

    @contextmanager
    def held(self, channel: str, sender: str) -> Iterator[None]:
        key = f"{channel}:{sender}"
        mine: set[str] = self._mine.__dict__.setdefault("keys", set())
        if key in mine:
            yield
            return
        mine.add(key)
        try:
            if self.engine.dialect.name == "postgresql":
                with self._advisory(key):
                    yield
            else:
                with self._in_memory(key):
                    yield
        finally:
            mine.discard(key)

    @contextmanager
    def _advisory(self, key: str) -> Iterator[None]:
        values = {"space": PERSON, "key": key}
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:space, hashtext(:key))"), values)
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:key))"), values)
                except Exception:  # the connection broke, and the lock went with it: never pool it again
                    connection.invalidate()
                    log.warning("a person lock's connection broke while it was held", exc_info=True)

    @contextmanager
    def _in_memory(self, key: str) -> Iterator[None]:
        with self._mutex:
            lock, users = self._local.get(key, (threading.Lock(), 0))
            self._local[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._mutex:
                lock, users = self._local[key]
                if users == 1:
                    del self._local[key]
                else:
                    self._local[key] = (lock, users - 1)


class ProcessMark:
    """This process as the owner of the outbox rows it claims (`outbox.claimed_by`). On PostgreSQL it holds an advisory
    lock on its own number as long as it lives, so any process can tell a row claimed by a dead one (lock free: send
    it again) from one in flight (lock held: leave it). On SQLite the one process owns every claim."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.number = random.randrange(1, 2**31)
        self._connection: Connection | None = None
        self._mutex = threading.Lock()
        self._released = False

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def keep(self) -> None:
        """Takes the mark, or takes it again after its connection broke (same number: the claims stay ours)."""
        if not self.shared:
            return
        with self._mutex:
            if self._released:
                return  # a keep still on its way from a sender that was stopping: the process is letting go
            if self._connection is not None and not self._connection.closed:
                try:
                    self._connection.execute(text("SELECT 1"))
                    return
                except SQLAlchemyError:  # the connection broke: take the mark again on a new one
                    self._connection.invalidate()
                    self._connection = None
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            while not connection.execute(
                text("SELECT pg_try_advisory_lock(:space, :number)"), {"space": OWNER, "number": self.number}
            ).scalar():
                self.number = random.randrange(1, 2**31)  # another live process drew the same number
            self._connection = connection

    def release(self) -> None:
        with self._mutex:
            self._released = True
            if self._connection is not None:
                self._connection.close()  # the session ends, and its lock with it
                self._connection = None


def owner_alive(claimed_by: ColumnElement[int | None]) -> ColumnElement[bool]:
    """SQL (PostgreSQL): the process that claimed the row still holds its mark."""
    lock = literal_column
    return exists(
        select(literal(1))
        .select_from(table("pg_locks"))
        .where(
            lock("pg_locks.locktype") == "advisory",
            lock("pg_locks.database") == lock("(SELECT oid FROM pg_database WHERE datname = current_database())"),
            lock("pg_locks.classid::int8") == OWNER,
            lock("pg_locks.objid::int8") == claimed_by,
            lock("pg_locks.granted").is_(True),
        )
    )
