"""Named leases: one holder at a time until an expiry the holder keeps pushing back.

A lease is a row (name, holder, expires_at). Taking it succeeds when it is free, expired, or already ours (that is
how it is renewed). Expiry is on the database's clock on PostgreSQL, so replicas on different machines compare one
clock; SQLite is one machine, and uses the process's.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.db import affected
from store.models import Lease


def database_clock(db: Session) -> float:
    """Seconds since the epoch, as the database sees them (PostgreSQL) or as this machine does (SQLite)."""
    if db.get_bind().dialect.name == "postgresql":
        return float(db.scalar(select(func.extract("epoch", func.clock_timestamp()))) or 0.0)
    return time.time()


def take(db: Session, name: str, holder: str, seconds: float) -> bool:
    """Takes or renews the lease for `seconds`; False if someone else holds it and it has not expired."""
    now = database_clock(db)
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = db.execute(
        insert(Lease).values(name=name, holder=holder, expires_at=now + seconds).on_conflict_do_nothing()
    )
    if affected(created) == 1:
        return True
    renewed = db.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + seconds)
    )
    return affected(renewed) == 1


def release(db: Session, name: str, holder: str) -> None:
    """Gives the lease up at once (a clean stop), so another process need not wait for it to expire."""
    db.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def holder(db: Session, name: str) -> str | None:
    """Who holds the lease now; None when nobody does or it has expired."""
    lease = db.get(Lease, name)
    if lease is None or lease.expires_at < database_clock(db):
        return None
    return lease.holder
