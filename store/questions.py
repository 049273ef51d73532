"""Questions a KPM sends to a person: who answers, who may see and answer one, the 2-working-day clock, and telling
people through the outbox.

Her pendamping answers; with none on file the question waits in the koordinator queue of her area (`handler_id`
None): the koordinators of her kecamatan, or the one of her kabupaten/kota when her kecamatan has none (the
koordinator a complaint of hers would reach), else Dinas Sosial. A koordinator also
sees her pendamping's questions once they wait longer than `ANSWER_WITHIN_DAYS` working days; Dinas Sosial sees
the queue nobody nearer covers, and every late question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import OPEN_QUESTION_STATUSES, STAFF_ROLES, Direction, OutboxKind, QuestionStatus, Role
from common.messages import Option, Payload, Reply
from store import complaints, outbox
from store.models import ConversationState, Person, Question, Turn
from store.privacy import mask_personal_numbers
from store.reach import Channels
from store.workdays import DEFAULT_ZONE, add_working_days, as_utc

# Working days a question may wait before its handler is reminded (issue 9: "like complaints").
ANSWER_WITHIN_DAYS = 2
# How far back her last question is looked for: an older one is not what a "send it" today means.
RECENT = timedelta(hours=24)
# A claim ("Jawab" pressed, no answer yet) this old may be taken over by another handler.
CLAIM_HOLD = timedelta(hours=1)
MAX_TEXT = 1000
# The conversation form a staff member is in while writing an answer (actions/questions.py).
ANSWER_FORM = "question_answer"  # actions.forms.FormName.QUESTION_ANSWER (store does not import actions)
# The NLU's names for what is a question (catalogue intents are ask_*, retrieval intents ask_x/topic or faq/topic).
_QUESTION_PREFIXES = ("ask_", "faq")
_QUESTION_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
_WORD = re.compile(r"[0-9a-z]{3,}")


def is_question_intent(intent: str | None) -> bool:
    return intent is not None and (intent in _QUESTION_INTENTS or intent.startswith(_QUESTION_PREFIXES))


def last_question_turn(db: Session, person: Person, now: datetime) -> Turn | None:
    """Her last message, within `RECENT` and after her last sent question, that the NLU read as a question (not a
    button, a menu number, a greeting or a command)."""
    since = as_utc(now) - RECENT
    latest = db.scalar(select(Question.asked_at).where(Question.asker_id == person.id).order_by(Question.id.desc()))
    if latest is not None:
        since = max(since, as_utc(latest))
    query = (
        select(Turn)
        .where(Turn.person_id == person.id, Turn.direction == Direction.IN)
        .order_by(Turn.id.desc())
        .limit(30)
    )
    for turn in db.scalars(query):
        if as_utc(turn.created_at) < since:
            return None
        text = turn.text.strip()
        if is_question_intent(turn.intent) and not text.startswith("/") and not text.isdigit():
            return turn
    return None


def answer_payload(question: Question) -> str:
    """The "Jawab" button of one question."""
    return Payload.of("question_answer", question=str(question.id)).render()


def zone_of(person: Person) -> str:
    return person.region.timezone if person.region is not None else DEFAULT_ZONE


def masked(text: str) -> str:
    return mask_personal_numbers(" ".join(text.split()))[:MAX_TEXT]


def create(db: Session, asker: Person, text: str, intent: str | None, now: datetime) -> Question:
    question = Question(
        asker=asker,
        asker_id=asker.id,
        handler=asker.pendamping,
        text=masked(text),
        intent=intent,
        timezone=zone_of(asker),
        asked_at=now,
    )
    db.add(question)
    db.flush()
    return question


def open_of(db: Session, asker: Person) -> list[Question]:
    """Her questions nobody has answered yet, newest first."""
    query = select(Question).where(Question.asker_id == asker.id, Question.status.in_(OPEN_QUESTION_STATUSES))
    return list(db.scalars(query.order_by(Question.id.desc())))


def queue_koordinator(db: Session, asker: Person) -> Person | None:
    """The koordinator who answers for a family with no pendamping on file (the one complaints would go to)."""
    return complaints.koordinator_for(db, asker)


def responsible(db: Session, question: Question) -> list[Person]:
    """Who is told about a question and reminded of it: her pendamping, else the koordinator of her area, else
    Dinas Sosial."""
    if question.handler is not None:
        return [question.handler]
    koordinator = queue_koordinator(db, question.asker)
    return [koordinator] if koordinator is not None else complaints.admins(db)


def due_at(question: Question) -> datetime:
    return add_working_days(question.asked_at, ANSWER_WITHIN_DAYS, question.timezone)


def is_overdue(question: Question, now: datetime) -> bool:
    return question.status in OPEN_QUESTION_STATUSES and as_utc(now) > due_at(question)


def in_area(db: Session, koordinator: Person, asker: Person) -> bool:
    """The koordinator works in the family's kecamatan, or is the one her questions go to (of her kabupaten/kota
    when her kecamatan has none)."""
    chain = complaints.region_chain(asker.region)
    if len(chain) > 1 and chain[1] in complaints.region_chain(koordinator.region):
        return True
    found = queue_koordinator(db, asker)
    return found is not None and found.id == koordinator.id


def concerns(db: Session, person: Person, question: Question, now: datetime) -> bool:
    """The question is on this person's list (`/pertanyaan`): see the module's rule."""
    if person.role not in STAFF_ROLES:
        return False
    handler = question.handler
    if handler is not None and handler.id == person.id:
        return True
    late = is_overdue(question, now)
    if person.role == Role.ADMIN:
        return late or (handler is None and queue_koordinator(db, question.asker) is None)
    if person.role == Role.KOORDINATOR:
        if handler is None:
            return in_area(db, person, question.asker)
        return late and handler.supervisor_id == person.id
    return False


def may_answer(db: Session, person: Person, question: Question) -> bool:
    """Whoever the question concerns, at any age: her pendamping, that pendamping's koordinator, a koordinator of
    her area for the queue, and Dinas Sosial."""
    if person.role not in STAFF_ROLES:
        return False
    handler = question.handler
    if person.role == Role.ADMIN or (handler is not None and handler.id == person.id):
        return True
    if person.role == Role.KOORDINATOR:
        return in_area(db, person, question.asker) if handler is None else handler.supervisor_id == person.id
    return False


def waiting_for(db: Session, person: Person, now: datetime) -> list[Question]:
    """The open questions on this person's list: late ones first, then the oldest."""
    query = select(Question).where(Question.status.in_(OPEN_QUESTION_STATUSES)).order_by(Question.asked_at)
    if person.role == Role.PENDAMPING:  # only her own: read only those
        query = query.where(Question.handler_id == person.id)
    elif person.role == Role.KOORDINATOR:  # the queue, her own, and her pendamping's
        team = select(Person.id).where(Person.supervisor_id == person.id)
        query = query.where(
            Question.handler_id.is_(None) | (Question.handler_id == person.id) | Question.handler_id.in_(team)
        )
    found = [q for q in db.scalars(query) if concerns(db, person, q, now)]
    return sorted(found, key=lambda q: not is_overdue(q, now))


def claim_alive(db: Session, question: Question, now: datetime) -> bool:
    """Someone pressed Jawab and is still writing: her answer form is open on this question (a command such as
    "menu" closes every form) and it is less than `CLAIM_HOLD` old."""
    if question.status != QuestionStatus.ANSWERING or question.claimed_by_id is None or question.claimed_at is None:
        return False
    if as_utc(now) - as_utc(question.claimed_at) >= CLAIM_HOLD:
        return False
    state = db.get(ConversationState, question.claimed_by_id)
    if state is None or state.form != ANSWER_FORM:
        return False
    form_state = state.form_data.get("state")  # actions/forms.py keeps {"state": ..., "back": [...]}
    return isinstance(form_state, dict) and form_state.get("question") == question.id


def claim_holder(db: Session, question: Question, person: Person, now: datetime) -> Person | None:
    """Someone else writing the answer right now, or None."""
    if question.claimed_by_id == person.id or not claim_alive(db, question, now):
        return None
    return question.claimed_by


def claim(question: Question, person: Person, now: datetime) -> None:
    question.status, question.claimed_by, question.claimed_by_id = QuestionStatus.ANSWERING, person, person.id
    question.claimed_at = now


def release(question: Question, person: Person) -> None:
    """She gave up writing the answer: back to the waiting list."""
    if question.status == QuestionStatus.ANSWERING and question.claimed_by_id == person.id:
        question.status, question.claimed_by, question.claimed_by_id, question.claimed_at = (
            QuestionStatus.WAITING,
            None,
            None,
            None,
        )


def being_answered(db: Session, asker: Person, now: datetime) -> Question | None:
    """Her question a person is writing the answer to right now."""
    query = select(Question).where(Question.asker_id == asker.id, Question.status == QuestionStatus.ANSWERING)
    return next((q for q in db.scalars(query.order_by(Question.id.desc())) if claim_alive(db, q, now)), None)


def release_dropped(db: Session, person: Person, now: datetime) -> None:
    """Her claims she is no longer writing (she left the answer form): back to the waiting list."""
    query = select(Question).where(Question.claimed_by_id == person.id, Question.status == QuestionStatus.ANSWERING)
    for question in db.scalars(query):
        if not claim_alive(db, question, now):
            release(question, person)


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def same_subject(question: Question, intent: str | None, text: str) -> bool:
    """A follow-up on this question: the same question intent (not a mere "don't know"), or half its words."""
    if intent is not None and intent == question.intent and intent not in _QUESTION_INTENTS:
        return True
    asked, now = words(question.text), words(text)
    return bool(asked and now) and len(asked & now) * 2 >= min(len(asked), len(now))


def tell(
    db: Session,
    channels: Channels,
    person: Person,
    text: str,
    dedup_key: str,
    kind: OutboxKind,
    options: Sequence[Option] = (),
) -> bool:
    """One outbox message where the reach rule finds her (BERHENTI does not stop it: it answers her own question,
    or is work for staff); on REST it waits for her next message. False if she cannot be reached here."""
    return outbox.to_person(db, channels, person, Reply(text, tuple(options)), kind, dedup_key)
