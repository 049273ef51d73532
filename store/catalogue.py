"""What the question catalogue keeps: the topic of each answer (on the turn) and her "was this helpful?" taps, and
the figures `sahabat content report` reads from them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.enums import Direction
from store.models import Person, TopicFeedback, Turn
from store.privacy import mask_personal_numbers


def record_feedback(db: Session, person: Person, topic: str, helpful: bool, now: datetime) -> None:
    db.add(TopicFeedback(person_id=person.id, topic=topic, helpful=helpful, at=now))


def last_topic(db: Session, person: Person) -> str | None:
    """The catalogue topic last answered to her (SUMBER cites it)."""
    return db.scalar(
        select(Turn.topic).where(Turn.person_id == person.id, Turn.topic.is_not(None)).order_by(Turn.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class TopicVotes:
    topic: str
    unhelpful: int
    helpful: int


def votes(db: Session, since: datetime) -> list[TopicVotes]:
    """Topics rated since then, the most "not helpful" first."""
    rows = db.execute(
        select(
            TopicFeedback.topic,
            func.count().filter(TopicFeedback.helpful.is_(False)),
            func.count().filter(TopicFeedback.helpful.is_(True)),
        )
        .where(TopicFeedback.at >= since)
        .group_by(TopicFeedback.topic)
    ).tuples()
    return sorted((TopicVotes(t, n, y) for t, n, y in rows), key=lambda v: (-v.unhelpful, -v.helpful, v.topic))


def unanswered(db: Session, since: datetime, intents: Collection[str], limit: int = 200) -> list[tuple[datetime, str]]:
    """Questions typed since then that reached no topic: understood as a catalogue intent, or as nothing at all
    (nlu_fallback, out_of_scope), and answered without a topic. Newest first; personal numbers masked."""
    rows = db.execute(
        select(Turn.created_at, Turn.text)
        .where(
            Turn.direction == Direction.IN,
            Turn.created_at >= since,
            Turn.topic.is_(None),
            Turn.intent.in_(list(intents)),
            ~Turn.text.startswith("/"),
        )
        .order_by(Turn.created_at.desc(), Turn.id.desc())
        .limit(limit)
    ).tuples()
    return [(at, mask_personal_numbers(text)) for at, text in rows]
