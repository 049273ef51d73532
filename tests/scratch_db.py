"""A PostgreSQL database of its own for a test or a benchmark: created on the local server, dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg

from store.db import Database

POSTGRES_ADMIN_URL = os.environ.get("SAHABAT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database named `<prefix>_<random>`, dropped (connections and all) after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def migrated(url: str) -> Iterator[Database]:
    """The database at `url`, brought to the newest migration, its connections closed afterwards."""
    db = Database(url)
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
