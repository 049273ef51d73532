"""Filing a complaint: category (pre-filled from the NLU when it can), its guidance at once, what happened and
since when, a summary, consent and the *rahasia* choice. The complaint is saved (with its ticket) in the same
transaction as the reply, and the reply is only sent once that commits: nobody is given a ticket that was lost."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from actions import forms
from actions.complaints_common import Routing, complaints_content, route, tell_handlers, texts, zone_of
from actions.replies import Option, Reply, Request, menu_options
from common.enums import ComplaintEventKind, ComplaintStatus, Direction
from common.messages import Payload
from content.complaints_schema import Category
from content.words_schema import plain
from reminders.wording import date_text
from store import complaints
from store.models import Complaint, Turn
from store.privacy import mask_personal_numbers
from store.workdays import add_working_days

MAX_STORY = 1000
# The summary repeats the story; a long one is shortened there so the message stays one phone screen.
SUMMARY_STORY = 300
# A message of fewer words ("mau lapor", "kartu hilang") names a complaint but does not tell it.
STORY_WORDS = 4
_TICKET_TRIES = 5


class IntakeState(forms.FormState):
    TEXT_STEPS = frozenset({"what"})
    step: Literal["what", "since", "confirm"]
    category: str
    text: str = ""
    since: str = ""


def _intake_payload(name: str, value: str) -> str:
    return Payload("file_complaint", {name: [value]}).render()


def file_complaint(request: Request) -> list[Reply]:
    """file_complaint: a category named by the NLU or a button starts the questions; otherwise pick one. What she
    already said is her story: the typed words the NLU found the category in, or (after an answer's "Buat
    pengaduan" button, whose payload names the category) the question she asked before it."""
    rules, t = complaints_content(request.content), texts(request.content)
    category = rules.category(request.entity("category") or request.entity("complaint_type") or "")
    group = request.entity("complaint_group")
    if category is None and group is not None:
        in_group = rules.in_group(group)
        if len(in_group) == 1:
            category = in_group[0]
        elif in_group:
            title = next(g.title for g in rules.groups if g.id == group)
            options = tuple(Option(c.title, _intake_payload("complaint_type", c.id)) for c in in_group)
            return [Reply(t.choose_category.format(group=title), options)]
    if category is None:
        options = tuple(Option(g.title, _intake_payload("complaint_group", g.id)) for g in rules.groups)
        return [Reply(t.choose_group, options)]
    if request.entity("complaint_type") and not request.text.startswith("/"):
        return _start(request, category, request.text)
    earlier = _asked_before(request) if request.entity("category") else None
    return _start(request, category, earlier if earlier and len(earlier.split()) >= STORY_WORDS else None)


def _asked_before(request: Request) -> str | None:
    """Her message before this one, when it says something: the question the answer with the button was for."""
    last = request.db.scalars(
        select(Turn.text)
        .where(Turn.person_id == request.person.id, Turn.direction == Direction.IN)
        .order_by(Turn.id.desc())
        .limit(1)
    ).first()
    return last if last is not None and not last.startswith("/") else None


def _guidance(request: Request, category: Category) -> Reply:
    parts = [category.guidance]
    if category.factual and category.checked is not None:
        sources = "; ".join(category.sources)
        line = request.content.strings.source_line.format(
            sources=sources, checked=date_text(request.content, category.checked)
        )
        parts.append(line)
    return Reply("\n\n".join(parts))


def _start(request: Request, category: Category, story: str | None) -> list[Reply]:
    """The questions start at what is still missing; "kembali" after a story taken from her words asks for it."""
    state = IntakeState(step="what", category=category.id)
    if not story:
        forms.start(request, INTAKE, state)
        return [_guidance(request, category), *ask(request, state)]
    told = IntakeState(step="since", category=category.id, text=_clean(story))
    forms.start(request, INTAKE, told, back=[state])
    return [_guidance(request, category), *ask(request, told)]


def _clean(text: str) -> str:
    return mask_personal_numbers(" ".join(text.split()))[:MAX_STORY]


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_STORY else text[: SUMMARY_STORY - 1].rstrip() + "…"


def ask(request: Request, state: IntakeState) -> list[Reply]:
    t = texts(request.content)
    if state.step == "what":
        return [Reply(t.ask_what)]
    if state.step == "since":
        return [Reply(t.ask_since, tuple(Option(label, label) for label in t.since_options))]
    category = complaints_content(request.content).category(state.category)
    summary = t.summary.format(
        category=category.title if category else state.category, text=_short(state.text), since=state.since
    )
    options = (
        Option(t.send_button, "kirim"),
        Option(t.send_secret_button, "kirim rahasia"),
        Option(t.cancel_button, "batal"),
    )
    return [Reply(summary, options)]


def complaint_form(request: Request, state: IntakeState) -> list[Reply] | None:
    """Takes the answers: her story, since when, then send (openly or rahasia) or not."""
    category = complaints_content(request.content).category(state.category)
    if category is None:
        return None
    word, words = plain(request.text), request.content.words
    if state.step == "what":
        state.text, state.step = _clean(request.text), "since"
    elif state.step == "since":
        state.since, state.step = _clean(request.text)[:200], "confirm"
    elif word in words.send | words.yes or word in words.send_secret:
        return _save(request, state, category, secret=word in words.send_secret)
    elif word in words.no:
        forms.close(request)
        return cancelled(request)
    else:
        return [Reply(texts(request.content).summary_pick), *ask(request, state)]
    return ask(request, state)


def cancelled(request: Request) -> list[Reply]:
    return [Reply(texts(request.content).cancelled, menu_options(request.content.strings.main_menu))]


def _save(request: Request, state: IntakeState, category: Category, secret: bool) -> list[Reply]:
    db, person, content = request.db, request.person, request.content
    t = texts(content)
    routing = route(db, content, person, category, state.text)
    complaint = _new_complaint(request, state, category, routing, secret)
    zone, first_due, resolution_due = complaint.timezone, complaint.first_response_due, complaint.resolution_due
    _add_with_ticket(request, complaint)
    event_id = complaints.record(db, complaint, ComplaintEventKind.CREATED, person.id, request.now)
    key = f"complaint:{complaint.ticket}:{event_id}"
    due = date_text(content, first_due, zone)
    new_case = t.new_case.format(ticket=complaint.ticket, category=category.title, due=due)
    tell_handlers(request, complaint, new_case, key, watchers=False)
    for watcher in routing.watchers:
        watch = t.watch_case.format(ticket=complaint.ticket, category=category.title)
        complaints.notify(db, request.channels, watcher, watch, f"{key}:watch:{watcher.id}")
    forms.close(request)
    saved = t.saved.format(
        ticket=complaint.ticket, first_due=due, resolution_due=date_text(content, resolution_due, zone)
    )
    if secret:
        saved += "\n" + t.saved_secret
    return [Reply(saved, menu_options(content.strings.main_menu))]


def _new_complaint(
    request: Request, state: IntakeState, category: Category, routing: Routing, secret: bool
) -> Complaint:
    rules, person = complaints_content(request.content), request.person
    zone = zone_of(person)
    first_due = add_working_days(request.now, rules.first_response_for(category), zone)
    resolution_due = add_working_days(request.now, rules.resolution_for(category), zone)
    complaint = Complaint(
        reporter=person,
        category=category.id,
        text=state.text,
        since=state.since,
        secret=secret,
        status=ComplaintStatus.OPEN,
        level=routing.level,
        assignee=routing.assignee,
        watcher_ids=[p.id for p in routing.watchers],
        hidden_ids=[p.id for p in routing.hidden],
        timezone=zone,
        created_at=request.now,
        updated_at=request.now,
        first_response_due=first_due,
        resolution_due=resolution_due,
        escalate_at=first_due,
    )
    return complaint


def _add_with_ticket(request: Request, complaint: Complaint) -> None:
    """Two people can draw the same new ticket at the same moment: the second draws again."""
    for attempt in range(_TICKET_TRIES):
        complaint.ticket = complaints.new_ticket(request.db)
        try:
            with request.db.begin_nested():
                request.db.add(complaint)
                request.db.flush()
            return
        except IntegrityError:
            if attempt == _TICKET_TRIES - 1:
                raise


INTAKE = forms.Form(forms.FormName.COMPLAINT, IntakeState, complaint_form, ask, cancelled)
