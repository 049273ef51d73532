"""Pertanyaan: the question queue of issue 9 (waiting questions and their age, topics rated not helpful), for a
`Scope`. `QuestionSource` is the seam: `bot/app.py` passes `QueueQuestions` to `dashboard.site.staff_dashboard`,
and the page appears in the navigation under the same sign-in and scope as the others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from sqlalchemy.orm import Session

from dashboard.web import PageBuilder, PageRequest
from store import catalogue
from store.reports import questions
from store.reports.scope import Scope


@dataclass(frozen=True)
class WaitingQuestion:
    asked_at: dt.datetime
    text: str  # masked, as stored
    handler: str | None  # None: the koordinator queue (no pendamping on file)
    days: int = 0
    # Waiting more than 2 working days (the chat's clock): its handler is reminded daily.
    late: bool = False


@dataclass(frozen=True)
class UnhelpfulTopic:
    topic: str
    votes: int


class QuestionSource(Protocol):
    def waiting(self, db: Session, scope: Scope, now: dt.datetime) -> list[WaitingQuestion]: ...

    def unhelpful(self, db: Session, scope: Scope, since: dt.datetime) -> list[UnhelpfulTopic]: ...


def page_for(source: QuestionSource) -> PageBuilder:
    def questions(request: PageRequest) -> web.StreamResponse:
        since = request.now - dt.timedelta(days=request.days(30))
        return request.page(
            "questions.html",
            waiting=source.waiting(request.db, request.viewer.scope, request.now),
            unhelpful=source.unhelpful(request.db, request.viewer.scope, since),
        )

    return questions


class QueueQuestions:
    """The question queue in the database (store/reports/questions.py), and the catalogue topics rated "Tidak
    membantu" (store/catalogue.py). Ratings are about the content, which is the same for everyone, so they are
    counted programme-wide: they name a topic and a number, never who rated."""

    def waiting(self, db: Session, scope: Scope, now: dt.datetime) -> list[WaitingQuestion]:
        return [
            WaitingQuestion(q.asked_at, q.text, q.handler, q.days, q.late) for q in questions.waiting(db, scope, now)
        ]

    def unhelpful(self, db: Session, scope: Scope, since: dt.datetime) -> list[UnhelpfulTopic]:
        return [UnhelpfulTopic(v.topic, v.unhelpful) for v in catalogue.votes(db, since) if v.unhelpful]
