"""One small form engine for the questions the assistant asks in a row (a complaint, a meeting time, a notice).

A form is a pydantic model of where she is (`FormState`, one per form) and a few functions: `handle` takes her
answer, `ask` repeats the question of a step. The engine does what every form needs the same way:

- The state is validated when it is loaded from `ConversationState.form_data`; one that no longer reads (an old
  format after an update, a corrupt row) closes the form with a polite word instead of a crash.
- A form in progress gets her message before a menu number is read: a number picks from the form's own buttons,
  except in a step that takes her own words (`takes_text`), where "1" is what she wrote.
- A button for something else (a payload) closes the form and is answered as usual.
- "batal" (content/words.yml `cancel`) closes any form with the form's own `cancelled` answer; "kembali" (`back`)
  goes back one step and asks that question again (at the first step: asks it again). A lesson, whose steps are
  kept in LessonProgress, reads "kembali" itself (`reads_back`).

`ConversationState.form_data` holds {"state": the model, "back": the earlier states, newest last}.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from actions.replies import Reply, Request, menu_options
from common.messages import Payload
from content.words_schema import plain

log = logging.getLogger(__name__)

# Enough to walk back through any form; older steps are forgotten.
MAX_BACK = 8


class FormName(StrEnum):
    ERASE = "erase"
    LESSON = "lesson"
    COMPLAINT = "complaint"
    COMPLAINT_NOTE = "complaint_note"
    SCHEDULE = "schedule"
    BROADCAST = "broadcast"
    # A question for a person (actions/questions.py): hers to send, and staff's answer to it.
    QUESTION = "question_text"
    QUESTION_ANSWER = "question_answer"


class FormState(BaseModel):
    """Where she is in one form. Subclasses narrow `step` and add their answers; unknown keys fail the load."""

    model_config = ConfigDict(extra="forbid")
    # Steps whose answer is her own words (a story, a notice): a number there is text, not a pick from the menu.
    TEXT_STEPS: ClassVar[frozenset[str]] = frozenset()

    step: str


State = TypeVar("State", bound=FormState)


@dataclass(frozen=True)
class Form(Generic[State]):
    name: FormName
    state: type[State]
    # Her answer at the current step. None: the message is not for this form; it closes and is routed as usual.
    handle: Callable[[Request, State], list[Reply] | None]
    # The question of a step, asked again after "kembali".
    ask: Callable[[Request, State], list[Reply]]
    # What "batal" answers; without it the form closes and the word is routed as usual.
    cancelled: Callable[[Request], list[Reply]] | None = None
    # "kembali" goes to `handle` instead of back to the earlier step.
    reads_back: bool = False


def start(request: Request, form: Form[State], state: State, back: list[State] | None = None) -> None:
    """Opens the form at `state`; `back` are the steps "kembali" returns to (answers taken from her words)."""
    request.state.form = form.name
    _store(request, state, back or [])


def close(request: Request) -> None:
    request.state.form, request.state.form_data = None, {}


def is_open(request: Request, form: Form[Any]) -> bool:
    return request.state.form == form.name


def take(request: Request, forms: Mapping[str, Form[Any]]) -> list[Reply] | None:
    """The form in progress answers the message, or returns None (closed) so the router answers it."""
    form = forms.get(request.state.form or "")
    loaded = _load(form, request.state.form_data) if form is not None else None
    if form is None or loaded is None:
        log.info("closed a form that no longer reads: %s", request.state.form)
        close(request)
        strings = request.content.strings
        return [Reply(strings.form_closed, menu_options(strings.main_menu))]
    state, back = loaded
    if state.step not in state.TEXT_STEPS and request.text.isdigit() and request.state.menu:
        number = int(request.text)
        if not 1 <= number <= len(request.state.menu):
            return [Reply(request.content.strings.menu_pick_unknown.format(number=number))]
        request.text = str(request.state.menu[number - 1])
    word, words = plain(request.text), request.content.words
    if Payload.parse(request.text) is not None:
        close(request)
        return None
    if word in words.cancel:
        close(request)
        return form.cancelled(request) if form.cancelled else None
    if word in words.back and not form.reads_back:
        earlier = back.pop() if back else state
        _store(request, earlier, back)
        return form.ask(request, earlier)
    before = state.model_copy(deep=True)
    replies = form.handle(request, state)
    if replies is None:
        close(request)
    elif is_open(request, form):
        if state.step != before.step:
            back = [*back, before][-MAX_BACK:]
        _store(request, state, back)
    return replies


def _load(form: Form[State], data: dict[str, Any]) -> tuple[State, list[State]] | None:
    try:
        return form.state.model_validate(data["state"]), [form.state.model_validate(b) for b in data.get("back", [])]
    except (KeyError, TypeError, ValidationError):
        return None


def _store(request: Request, state: FormState, back: list[State]) -> None:
    request.state.form_data = {
        "state": state.model_dump(mode="json"),
        "back": [earlier.model_dump(mode="json") for earlier in back],
    }
