"""Getting into the staff dashboard without a password: one-time links asked for in chat, and the browser sessions
they open.

A link carries a random token of 256 bits; only its SHA-256 is stored, so reading the database gives nobody a way
in. It works once, for `LINK_LIFETIME`, for the person who asked. A session is a row keyed by the hash of its
cookie's value (dashboard/sessions.py is the aiohttp-session storage around these functions); `end_sessions`
deletes a person's rows, which signs her out everywhere (`KELUAR DASBOR`)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.db import affected
from store.models import DashboardLogin, DashboardSession, Person
from store.workdays import as_utc

LINK_LIFETIME = timedelta(minutes=10)
# A working day and a bit: staff often share a phone, so a session does not outlive the day it was opened.
SESSION_LIFETIME = timedelta(hours=12)
LOGIN_PATH = "/dasbor/masuk/"
TOKEN_BYTES = 32
_LINK = re.compile(re.escape(LOGIN_PATH) + r"[A-Za-z0-9_-]+")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_login(db: Session, person: Person, now: datetime) -> str:
    """A fresh one-time token for this person; the caller puts it in the link and nowhere else."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.add(
        DashboardLogin(token_hash=digest(token), person_id=person.id, created_at=now, expires_at=now + LINK_LIFETIME)
    )
    db.flush()
    return token


def redeem(db: Session, token: str, now: datetime) -> int | None:
    """The person a link was made for, if it is unused and unexpired; marks it used in the same statement, so two
    browsers opening it at once cannot both get in."""
    if not token or len(token) > 128:
        return None
    hashed = digest(token)
    used = db.execute(
        update(DashboardLogin)
        .where(DashboardLogin.token_hash == hashed, DashboardLogin.used_at.is_(None), DashboardLogin.expires_at > now)
        .values(used_at=now)
    )
    if affected(used) != 1:
        return None
    return db.scalar(select(DashboardLogin.person_id).where(DashboardLogin.token_hash == hashed))


def mask_login_links(text: str) -> str:
    """A message with a login link, as it may be kept (the turn history): without the token."""
    return _LINK.sub(LOGIN_PATH + "…", text)


@dataclass(frozen=True)
class StoredSession:
    person_id: int
    data: dict[str, Any]


def load_session(db: Session, key: str, now: datetime) -> StoredSession | None:
    row = db.get(DashboardSession, digest(key))
    if row is None or as_utc(row.expires_at) <= now:
        return None
    return StoredSession(row.person_id, dict(row.data))


def save_session(db: Session, key: str, person_id: int, data: dict[str, Any], now: datetime) -> None:
    row = db.get(DashboardSession, digest(key))
    if row is None:
        db.add(
            DashboardSession(
                key_hash=digest(key), person_id=person_id, data=data, created_at=now, expires_at=now + SESSION_LIFETIME
            )
        )
    elif row.person_id == person_id:
        row.data = data
    db.flush()


def drop_session(db: Session, key: str) -> None:
    db.execute(delete(DashboardSession).where(DashboardSession.key_hash == digest(key)))


def end_sessions(db: Session, person: Person) -> int:
    """Signs the person out of the dashboard everywhere and voids her unused links; returns the sessions ended."""
    ended = db.execute(delete(DashboardSession).where(DashboardSession.person_id == person.id))
    db.execute(delete(DashboardLogin).where(DashboardLogin.person_id == person.id, DashboardLogin.used_at.is_(None)))
    return affected(ended)


def forget_expired(db: Session, now: datetime) -> int:
    """Old links and sessions are of no use to anyone: removed so the tables stay small."""
    links = db.execute(delete(DashboardLogin).where(DashboardLogin.expires_at < now - LINK_LIFETIME))
    sessions = db.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
    return affected(links) + affected(sessions)
