"""A person behind every "I don't know" (issue 9 §3).

The KPM's side: `/send_question` forwards her last question to her pendamping (the koordinator queue of her area
when she has none on file) and tells her who will answer; "Hubungi pendamping" offers the same, and she may type
the question next. While a person is writing the answer, a follow-up on the same question gets "it is with the
pendamping" instead of the catalogue.

The staff's side: `/pertanyaan` (or PERTANYAAN) lists what waits for her, each with "Jawab"; her next message is the
answer, which reaches the KPM through the outbox on her channel (the reach rule)."""

from __future__ import annotations

from typing import Literal

from actions import forms, knowledge
from actions.replies import Option, Reply, Request
from common.enums import OPEN_QUESTION_STATUSES, STAFF_ROLES, OutboxKind, QuestionStatus, Role
from common.messages import Payload
from content.loader import Content
from content.schema import QuestionTexts
from store import questions
from store.models import Person, Question
from store.workdays import as_utc

SEND_PAYLOAD = "/send_question"
INBOX_PAYLOAD = "/question_inbox"
_SHOWN = 10
_PREVIEW = 200


class QuestionTextState(forms.FormState):
    """She was asked to type the question she wants a person to answer."""

    TEXT_STEPS = frozenset({"text"})
    step: Literal["text"] = "text"


class AnswerState(forms.FormState):
    """Staff pressed "Jawab": her next message is the answer to `question`."""

    TEXT_STEPS = frozenset({"answer"})
    step: Literal["answer"] = "answer"
    question: int


def texts(content: Content) -> QuestionTexts:
    return content.strings.questions


def send_option(content: Content) -> Option:
    """The button an "I don't know" answer carries: send that question to a person."""
    return Option(texts(content).send_button, SEND_PAYLOAD)


def _preview(text: str) -> str:
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def _who_answers(request: Request, asker: Person) -> str:
    """Who will answer her, in her words: her pendamping, else the koordinator of her area, else Dinas Sosial."""
    t = texts(request.content)
    if asker.pendamping is not None and asker.pendamping.name:
        return t.who_pendamping.format(name=asker.pendamping.name)
    koordinator = questions.queue_koordinator(request.db, asker)
    if koordinator is not None and koordinator.name:
        return t.who_koordinator.format(name=koordinator.name)
    return t.who_office


def _who_is(content: Content, staff: Person) -> str:
    t = texts(content)
    if staff.role == Role.PENDAMPING and staff.name:
        return t.who_pendamping.format(name=staff.name)
    if staff.role == Role.KOORDINATOR and staff.name:
        return t.who_koordinator.format(name=staff.name)
    return t.who_office


def _holder_of(request: Request, question: Question) -> str:
    holder = question.claimed_by
    return _who_is(request.content, holder) if holder is not None else _who_answers(request, request.person)


# The KPM's side.


def send_question(request: Request) -> list[Reply]:
    """`/send_question`: her last question goes to a person; with none recent, she is asked to type it."""
    turn = questions.last_question_turn(request.db, request.person, request.now)
    if turn is None:
        return _ask_for_text(request)
    return _send(request, turn.text, turn.intent)


def _ask_for_text(request: Request) -> list[Reply]:
    forms.start(request, QUESTION, QuestionTextState())
    return _ask_text(request, QuestionTextState())


def _ask_text(request: Request, state: QuestionTextState) -> list[Reply]:
    t = texts(request.content)
    who = _who_answers(request, request.person)
    return [Reply(t.ask_text.format(who=who), (Option(t.cancel_button, "batal"),))]


def _send(request: Request, text: str, intent: str | None) -> list[Reply]:
    t, asker = texts(request.content), request.person
    stored = questions.masked(text)
    earlier = next((q for q in questions.open_of(request.db, asker) if q.text == stored), None)
    if earlier is not None:
        return [Reply(t.already_sent.format(who=_holder_of(request, earlier)))]
    question = questions.create(request.db, asker, text, intent, request.now)
    notice = t.new_question.format(name=asker.name or t.no_name, question=_preview(question.text))
    button = (Option(t.answer_button.format(number=1), questions.answer_payload(question)),)
    for person in questions.responsible(request.db, question):
        key = f"question:{question.id}:new:{person.id}"
        questions.tell(request.db, request.channels, person, notice, key, OutboxKind.QUESTION, button)
    who = _who_answers(request, asker)
    return [Reply(t.sent.format(who=who, question=_preview(question.text)))]


def offer(request: Request) -> list[Reply]:
    """She can type her question next, or send the last one she asked."""
    t = texts(request.content)
    who = _who_answers(request, request.person)
    forms.start(request, QUESTION, QuestionTextState())
    cancel = Option(t.cancel_button, "batal")
    turn = questions.last_question_turn(request.db, request.person, request.now)
    if turn is None:
        return [Reply(t.offer.format(who=who), (cancel,))]
    text = t.offer_last.format(who=who, question=_preview(turn.text))
    return [Reply(text, (Option(t.send_last_button, SEND_PAYLOAD), cancel))]


def talk_to_human(request: Request) -> list[Reply]:
    """ "Hubungi pendamping": who she is and where else to turn, then the offer to send her a question."""
    return [*knowledge.talk_to_human(request), *offer(request)]


def _question_text(request: Request, state: QuestionTextState) -> list[Reply] | None:
    """The question she was asked to type (a button or command closes the form and goes on as usual)."""
    text = " ".join(request.text.split())
    if not text:
        return None
    if not any(ch.isalnum() for ch in text):
        return _ask_text(request, state)
    forms.close(request)
    return _send(request, text, None)


def _question_cancelled(request: Request) -> list[Reply]:
    return [Reply(texts(request.content).cancelled)]


QUESTION = forms.Form(forms.FormName.QUESTION, QuestionTextState, _question_text, _ask_text, _question_cancelled)


def held_back(request: Request) -> list[Reply] | None:
    """A message the NLU read as a question about what a person is answering for her right now: the assistant
    stays quiet on it and says so, instead of answering from the catalogue."""
    if not questions.is_question_intent(request.intent):
        return None
    question = questions.being_answered(request.db, request.person, request.now)
    if question is None or not questions.same_subject(question, request.intent, request.text):
        return None
    return [Reply(texts(request.content).in_hand.format(who=_holder_of(request, question)))]


# The staff's side.


def inbox(request: Request) -> list[Reply]:
    """`/pertanyaan`: what waits for me, late first. Anyone else who types PERTANYAAN is offered to send one."""
    if request.person.role not in STAFF_ROLES:
        return offer(request)
    t = texts(request.content)
    questions.release_dropped(request.db, request.person, request.now)
    waiting = questions.waiting_for(request.db, request.person, request.now)
    if not waiting:
        return [Reply(t.inbox_empty)]
    lines = [t.inbox_intro.format(count=len(waiting))]
    options = []
    for number, question in enumerate(waiting[:_SHOWN], start=1):
        mark = t.overdue_mark if questions.is_overdue(question, request.now) else ""
        holder = question.claimed_by if questions.claim_alive(request.db, question, request.now) else None
        claimed = t.claimed_mark.format(name=holder.name or "") if holder is not None else ""
        line = t.inbox_line.format(
            number=number,
            mark=mark,
            name=question.asker.name or t.no_name,
            age=_age(request, question),
            question=_preview(question.text),
        )
        lines.append(line + claimed)
        options.append(Option(t.answer_button.format(number=number), questions.answer_payload(question)))
    if len(waiting) > _SHOWN:
        lines.append(t.inbox_more.format(count=len(waiting) - _SHOWN))
    return [Reply("\n".join(lines), tuple(options))]


def _age(request: Request, question: Question) -> str:
    t = texts(request.content)
    days = (as_utc(request.now) - as_utc(question.asked_at)).days
    return t.age_days.format(days=days) if days else t.age_today


def _question(request: Request, for_update: bool = True, raw: str | None = None) -> Question | None:
    """The question named by the button (or `raw`, its id), if this person may answer it."""
    raw = raw if raw is not None else request.entity("question") or ""
    if not raw.isdigit():
        return None
    question = request.db.get(Question, int(raw), with_for_update=for_update)
    return question if question is not None and questions.may_answer(request.db, request.person, question) else None


def _open_to_her(request: Request) -> Question | list[Reply]:
    """The open question the button names, or why she cannot take it (gone, or someone else is answering it)."""
    t = texts(request.content)
    question = _question(request)
    back = (Option(t.inbox_button, INBOX_PAYLOAD),)
    if question is None or question.status not in OPEN_QUESTION_STATUSES:
        return [Reply(t.gone, back)]
    holder = questions.claim_holder(request.db, question, request.person, request.now)
    if holder is not None:
        return [Reply(t.taken.format(name=holder.name or ""), back)]
    return question


def answer(request: Request) -> list[Reply]:
    """ "Jawab": I am writing the answer; my next message is it."""
    question = _open_to_her(request)
    if isinstance(question, list):
        return question
    questions.claim(question, request.person, request.now)
    state = AnswerState(question=question.id)
    forms.start(request, ANSWER, state)
    return _ask_answer(request, state)


def _ask_answer(request: Request, state: AnswerState) -> list[Reply]:
    t = texts(request.content)
    question = _question(request, for_update=False, raw=str(state.question))
    if question is None:
        forms.close(request)
        return [Reply(t.gone, (Option(t.inbox_button, INBOX_PAYLOAD),))]
    text = t.ask_answer.format(name=question.asker.name or t.no_name, question=question.text)
    close = Payload.of("question_close", question=str(question.id)).render()
    return [Reply(text, (Option(t.cancel_button, "batal"), Option(t.close_button, close)))]


def close(request: Request) -> list[Reply]:
    """ "Tutup tanpa jawaban": answered in person, or nothing to answer; she is told it was read."""
    t = texts(request.content)
    question = _open_to_her(request)
    if isinstance(question, list):
        return question
    back = (Option(t.inbox_button, INBOX_PAYLOAD),)
    question.status, question.closed_at = QuestionStatus.CLOSED, request.now
    question.claimed_by, question.claimed_by_id = request.person, request.person.id
    notice = t.closed_notice.format(who=_who_is(request.content, request.person), question=_preview(question.text))
    questions.tell(
        request.db, request.channels, question.asker, notice, f"question:{question.id}:closed", OutboxKind.ANSWER
    )
    return [Reply(t.closed.format(name=question.asker.name or t.no_name), back)]


def _answer(request: Request, state: AnswerState) -> list[Reply] | None:
    """Her answer, sent to the KPM through the outbox on the KPM's channel. (A button or command instead closes the
    form, which gives the question back to the waiting list: a claim lives only while this form is open.)"""
    t = texts(request.content)
    text = " ".join(request.text.split())[: questions.MAX_TEXT]
    question = _question(request, raw=str(state.question))
    forms.close(request)
    if question is None or question.status not in OPEN_QUESTION_STATUSES:
        return [Reply(t.gone, (Option(t.inbox_button, INBOX_PAYLOAD),))]
    if not text:
        questions.release(question, request.person)
        return None
    holder = questions.claim_holder(request.db, question, request.person, request.now)
    if holder is not None:
        return [Reply(t.taken.format(name=holder.name or ""), (Option(t.inbox_button, INBOX_PAYLOAD),))]
    question.status, question.answered_at = QuestionStatus.ANSWERED, request.now
    question.answer = questions.masked(text)
    question.claimed_by, question.claimed_by_id = request.person, request.person.id
    asker = question.asker
    message = t.answer.format(
        who=_who_is(request.content, request.person), question=_preview(question.text), answer=text
    )
    key = f"question:{question.id}:answer"
    told = questions.tell(request.db, request.channels, asker, message, key, OutboxKind.ANSWER)
    done = t.answer_sent if told else t.answer_kept
    return [Reply(done.format(name=asker.name or t.no_name), (Option(t.inbox_button, INBOX_PAYLOAD),))]


def _answer_cancelled(request: Request) -> list[Reply]:
    questions.release_dropped(request.db, request.person, request.now)  # the form is closed: her claim ends
    t = texts(request.content)
    return [Reply(t.answer_cancelled, (Option(t.inbox_button, INBOX_PAYLOAD),))]


ANSWER = forms.Form(forms.FormName.QUESTION_ANSWER, AnswerState, _answer, _ask_answer, _answer_cancelled)
