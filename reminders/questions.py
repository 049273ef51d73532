"""Questions waiting too long, run periodically next to complaint escalation.

A question nobody has answered within `ANSWER_WITHIN_DAYS` working days of her time zone reminds whoever answers it
(her pendamping, else the koordinator of her area, else Dinas Sosial) once a day: on working days, from 07:00 in
her time zone, so nobody is woken at midnight when the deadline passes. Through the outbox with a dedup key per
local day, so running this twice, or after a crash, never reminds twice the same day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import OPEN_QUESTION_STATUSES, OutboxKind
from common.messages import Option
from content.loader import Content
from store import questions
from store.db import Database
from store.models import Question
from store.reach import Channels
from store.workdays import as_utc, is_working_day, local

log = logging.getLogger(__name__)

# Local time from which a day's reminder goes out.
REMIND_FROM = time(7, 0)
# No question is late before this: it bounds the rows read (2 working days are at least 2 calendar days).
_AT_LEAST = timedelta(days=questions.ANSWER_WITHIN_DAYS)


def run_question_reminders(db: Session, content: Content, now: datetime, channels: Channels) -> int:
    """Reminds the handlers of every late question whose day's reminder has not gone yet; returns how many
    messages were written."""
    t, now = content.strings.questions, as_utc(now)
    query = (
        select(Question)
        .where(Question.status.in_(OPEN_QUESTION_STATUSES), Question.asked_at <= now - _AT_LEAST)
        .order_by(Question.id)
    )
    written = 0
    for question in db.scalars(query).all():
        today = local(now, question.timezone)
        if not questions.is_overdue(question, now) or not is_working_day(today.date()) or today.time() < REMIND_FROM:
            continue
        asked = local(question.asked_at, question.timezone).date()
        text = t.reminder.format(
            name=question.asker.name or t.no_name,
            date=f"{asked.day} {content.strings.months[asked.month - 1]} {asked.year}",
            question=question.text,
        )
        button = Option(t.answer_button.format(number=1), questions.answer_payload(question))
        for person in questions.responsible(db, question):
            key = f"question:{question.id}:reminder:{today.date().isoformat()}:{person.id}"
            written += questions.tell(db, channels, person, text, key, OutboxKind.QUESTION, (button,))
    if written:
        log.info("questions: %d reminders written", written)
    return written


def remind_now(db: Database, content: Content, channels: Channels) -> int:
    """The periodic job: one pass in its own unit of work, as of now."""
    with db.session() as session:
        return run_question_reminders(session, content, datetime.now(UTC), channels)
