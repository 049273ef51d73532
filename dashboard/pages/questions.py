"""Pertanyaan: the seam for the question queue (issue 9), which does not exist yet.

When it does, implement `QuestionSource` over it (waiting questions and their age, topics rated not helpful, both
for a `Scope`), pass it to `dashboard.site.staff_dashboard(questions=...)`, and the page appears in the navigation,
under the same sign-in and scope as the others. Until then there is no page and no menu item."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from sqlalchemy.orm import Session

from dashboard.web import PageBuilder, PageRequest
from store.reports.scope import Scope


@dataclass(frozen=True)
class WaitingQuestion:
    asked_at: dt.datetime
    text: str  # masked, as stored
    handler: str


@dataclass(frozen=True)
class UnhelpfulTopic:
    topic: str
    votes: int


class QuestionSource(Protocol):
    def waiting(self, db: Session, scope: Scope) -> list[WaitingQuestion]: ...

    def unhelpful(self, db: Session, scope: Scope, since: dt.datetime) -> list[UnhelpfulTopic]: ...


def page_for(source: QuestionSource) -> PageBuilder:
    def questions(request: PageRequest) -> web.StreamResponse:
        since = request.now - dt.timedelta(days=request.days(30))
        return request.page(
            "questions.html",
            waiting=source.waiting(request.db, request.viewer.scope),
            unhelpful=source.unhelpful(request.db, request.viewer.scope, since),
        )

    return questions
