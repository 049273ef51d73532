"""The staff dashboard on the app's own web server, under /dasbor: signing in with a one-time link from chat, the
session cookie, and one read-only page per subject, each scoped to who is looking (store/reports/scope.py).

Every page is server-rendered HTML that works without JavaScript; database work runs in a worker thread, like the
REST channel's. Without a session, or with a used or expired link, a page says how to get a new link, shows no data,
and answers 401 or 410."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp_session
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from sqlalchemy.orm import Session

from content.loader import Content
from dashboard.render import Renderer
from dashboard.sessions import PERSON, DatabaseStorage
from store import dashboard_access
from store.db import Database
from store.models import Person
from store.reports.scope import Scope, scope_of

# Chat apps open a link themselves to draw its preview; that visit must not use up the one-time link.
LINK_PREVIEWERS = ("TelegramBot", "WhatsApp", "facebookexternalhit", "Slackbot", "Twitterbot", "Discordbot")
PERIODS = (30, 90, 365)


@dataclass(frozen=True)
class Viewer:
    person_id: int
    name: str
    role: str
    scope: Scope


@dataclass
class PageRequest:
    """What a page builder gets: the unit of work, who is looking, the query and the path's parts."""

    db: Session
    viewer: Viewer
    query: Mapping[str, str]
    match: Mapping[str, str]
    now: datetime
    content: Content
    renderer: Renderer
    nav: list[tuple[str, str]] = field(default_factory=list)

    def days(self, default: int) -> int:
        raw = self.query.get("days", "")
        return int(raw) if raw.isdigit() and int(raw) in PERIODS else default

    def number(self, name: str) -> int | None:
        raw = self.query.get(name, "")
        return int(raw) if raw.isdigit() else None

    def page(self, template: str, status: int = 200, **context: Any) -> web.Response:
        return self.renderer.html(template, status, viewer=self.viewer, nav=self.nav, periods=PERIODS, **context)

    def not_found(self) -> web.Response:
        words = self.renderer.words["sign_in"]
        return self.page("message.html", 404, title=words["not_found_title"], lines=[words["not_found"]])


PageBuilder = Callable[[PageRequest], web.StreamResponse]


class Dashboard:
    def __init__(
        self,
        db: Database,
        content: Content,
        *,
        secure: bool,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db, self.content = db, content
        self.clock = clock or (lambda: datetime.now(UTC))
        self.renderer = Renderer(content)
        self.storage = DatabaseStorage(db, self.clock, secure=secure)
        self.pages: list[tuple[str, str, PageBuilder]] = []
        self._routes: list[tuple[str, PageBuilder]] = []

    def page(self, key: str, path: str, builder: PageBuilder, in_nav: bool = True) -> None:
        """A page at /dasbor<path>; `key` names it in the navigation (content: pages.nav.<key>)."""
        if in_nav:
            self.pages.append((key, f"/dasbor{path}", builder))
        self._routes.append((f"/dasbor{path}", builder))

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(_under_dashboard(aiohttp_session.session_middleware(self.storage)))
        app.router.add_get(dashboard_access.LOGIN_PATH + "{token}", self.sign_in)
        app.router.add_post("/dasbor/keluar", self.sign_out)
        for path, builder in self._routes:
            app.router.add_get(path, self._handler(builder))

    def _handler(self, builder: PageBuilder) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            session = await aiohttp_session.get_session(request)
            person_id = session.get(PERSON)
            query, match = dict(request.query), dict(request.match_info)
            response = await asyncio.to_thread(self._build, builder, person_id, query, match)
            return response if response is not None else self._message("no_session", 401)

        return handle

    def _build(
        self, builder: PageBuilder, person_id: int | None, query: dict[str, str], match: dict[str, str]
    ) -> web.StreamResponse | None:
        with self.db.session() as db:
            person = db.get(Person, person_id) if person_id is not None else None
            scope = scope_of(db, person) if person is not None else None
            if person is None or scope is None:  # signed out, erased, or no longer staff
                return None
            viewer = Viewer(person.id, person.name or "", person.role, scope)
            nav = [(key, path) for key, path, _ in self.pages]
            return builder(PageRequest(db, viewer, query, match, self.clock(), self.content, self.renderer, nav))

    def _message(self, kind: str, status: int) -> web.Response:
        """A page without data: why, and (when she cannot go on) how to get a new link."""
        words = self.renderer.words["sign_in"]
        lines = [words[kind], words["how_to"]] if status >= 400 else [words[kind]]
        return self.renderer.html(
            "message.html", status, title=words[f"{kind}_title"], lines=lines, nav=[], viewer=None
        )

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """/dasbor/masuk/<token>: a valid link opens a new session for its person and goes to the dashboard."""
        agent = request.headers.get("User-Agent", "")
        if request.method == "HEAD" or any(name in agent for name in LINK_PREVIEWERS):
            return self._message("preview", 200)
        person_id = await asyncio.to_thread(self._redeem, request.match_info["token"])
        if person_id is None:
            return self._message("link_invalid", 410)
        session = await aiohttp_session.new_session(request)  # a fresh key: nothing carries over from before
        session[PERSON] = person_id
        raise web.HTTPSeeOther("/dasbor")

    def _redeem(self, token: str) -> int | None:
        with self.db.session() as db:
            return dashboard_access.redeem(db, token, self.clock())

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        """The Keluar button: ends this browser's session (KELUAR DASBOR in chat ends all of them)."""
        session = await aiohttp_session.get_session(request)
        session.invalidate()
        return self._message("signed_out", 200)


def _under_dashboard(middleware: Middleware) -> Middleware:
    """The session middleware only for /dasbor: it cannot save into a response its handler already started
    writing, as the REST channel does (it marks waiting messages sent only once they are written)."""

    @web.middleware
    async def only_dashboard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/dasbor" or request.path.startswith("/dasbor/"):
            return await middleware(request, handler)
        return await handler(request)

    return only_dashboard
