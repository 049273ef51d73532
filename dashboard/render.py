"""Pages from the templates in content/dashboard/templates, with the words of content/dashboard.yml.

Templates are autoescaped (names and stories come from people) and strict: a word or value a template asks for
that does not exist fails the render instead of showing an empty space. Numbers and dates are written the
Indonesian way (2,5 · 87% · 1 Desember 2026)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from content.loader import CONTENT_DIR, Content
from reminders.wording import date_text
from store.workdays import local

TEMPLATES = CONTENT_DIR / "dashboard" / "templates"
HTML = "text/html"


def percent(value: float | None, dash: str = "–") -> str:
    return dash if value is None else f"{round(value * 100)}%"


def decimal(value: float | None, dash: str = "–") -> str:
    return dash if value is None else f"{value:.1f}".replace(".", ",")


class Renderer:
    def __init__(self, content: Content) -> None:
        if content.dashboard is None:
            raise LookupError("content/dashboard.yml is missing")
        self.content = content
        self.words = content.dashboard.pages
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates ship with the code: read once per process
        )
        self.env.filters.update(percent=percent, decimal=decimal, date=self.date, moment=self.moment)
        self.env.globals.update(t=self.words)

    def date(self, moment: dt.datetime | dt.date | None, zone: str | None = None) -> str:
        if moment is None:
            return self.words["common"]["dash"]
        return date_text(self.content, moment, zone)

    def moment(self, moment: dt.datetime | None, zone: str | None = None) -> str:
        """Date and time in the given zone: "1 Desember 2026 09.00 WIB"."""
        if moment is None:
            return self.words["common"]["dash"]
        at = local(moment, zone)
        return f"{self.date(at)} {at.strftime('%H.%M')} {at.strftime('%Z')}"

    def html(self, template: str, status: int = 200, **context: Any) -> web.Response:
        body = self.env.get_template(template).render(**context)
        response = web.Response(text=body, status=status, content_type=HTML, charset="utf-8")
        # Pages hold personal data: never kept by a shared browser's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        # No script runs here, by design: the pages work the same on a phone without JavaScript.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        )
        return response
