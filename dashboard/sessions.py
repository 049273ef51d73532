"""The dashboard's browser sessions: aiohttp-session does the cookie and the session object; this storage keeps them
in our own database (store/dashboard_access.py), so a session can be ended from the server (`KELUAR DASBOR`) and
survives restarts and several app processes.

The cookie holds a random 256-bit key; the table keeps only its hash. The cookie is HttpOnly, SameSite=Lax (it
still comes with the top-level visit from a chat app's link, but not with a form posted from another site) and
Secure when the dashboard is served over https."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, SessionData

from store import dashboard_access
from store.db import Database

COOKIE = "sahabat_dasbor"
PERSON = "person_id"


class DatabaseStorage(AbstractStorage):
    def __init__(self, db: Database, clock: Callable[[], datetime], *, secure: bool) -> None:
        lifetime = int(dashboard_access.SESSION_LIFETIME.total_seconds())
        super().__init__(
            cookie_name=COOKIE, max_age=lifetime, path="/dasbor", secure=secure, httponly=True, samesite="Lax"
        )
        self.db, self.clock = db, clock

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        stored = await asyncio.to_thread(self._load, key) if key else None
        if key is None or stored is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        # Expiry is the table's business (expires_at, on our clock); to aiohttp-session the session is always fresh.
        data: SessionData = {"created": int(time.time()), "session": stored.data}
        return Session(key, data=data, new=False, max_age=self.max_age)

    def _load(self, key: str) -> dashboard_access.StoredSession | None:
        with self.db.session() as db:
            stored = dashboard_access.load_session(db, key, self.clock())
        if stored is None:
            return None
        return dashboard_access.StoredSession(stored.person_id, {**stored.data, PERSON: stored.person_id})

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        key = session.identity
        if session.empty:
            if key is not None:
                await asyncio.to_thread(self._drop, str(key))
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(dashboard_access.TOKEN_BYTES)
        values = dict(session)
        person_id = int(values.pop(PERSON))
        await asyncio.to_thread(self._save, str(key), person_id, values)
        self.save_cookie(response, str(key), max_age=session.max_age)

    def _save(self, key: str, person_id: int, data: dict[str, object]) -> None:
        with self.db.session() as db:
            dashboard_access.save_session(db, key, person_id, data, self.clock())

    def _drop(self, key: str) -> None:
        with self.db.session() as db:
            dashboard_access.drop_session(db, key)
