"""Pertanyaan: the questions in view that wait for an answer, oldest first, with their age and whether they are
late (more than `ANSWER_WITHIN_DAYS` working days, the chat's clock).

In view: a question whose pendamping is in the team; for a koordinator also the queue of her area (families with
no pendamping, store/questions.py `in_area`); for Dinas Sosial every one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import OPEN_QUESTION_STATUSES, Role
from store import questions
from store.models import Person, Question
from store.reports.scope import Scope
from store.workdays import as_utc

# The page lists at most this many; the oldest are the ones that matter.
LIMIT = 200


@dataclass(frozen=True)
class Waiting:
    asked_at: dt.datetime
    # As stored: NIK, KKS and phone numbers masked.
    text: str
    # Her pendamping's name; None for the koordinator queue.
    handler: str | None
    days: int
    late: bool


def waiting(db: Session, scope: Scope, now: dt.datetime) -> list[Waiting]:
    query = select(Question).where(Question.status.in_(OPEN_QUESTION_STATUSES)).order_by(Question.asked_at)
    viewer = db.get(Person, scope.person_id)
    koordinator = viewer if viewer is not None and viewer.role == Role.KOORDINATOR else None
    if scope.team is not None:
        mine = Question.handler_id.in_(sorted(scope.team))
        query = query.where(mine | Question.handler_id.is_(None)) if koordinator is not None else query.where(mine)
    found = []
    for question in db.scalars(query):
        queue = question.handler_id is None and scope.team is not None
        if queue and (koordinator is None or not questions.in_area(db, koordinator, question.asker)):
            continue
        handler = question.handler.name if question.handler is not None else None
        days = (as_utc(now) - as_utc(question.asked_at)).days
        found.append(Waiting(question.asked_at, question.text, handler, days, questions.is_overdue(question, now)))
        if len(found) == LIMIT:
            break
    return found
