"""Filing a complaint: category (pre-filled from the NLU when it can), its guidance at once, what happened and
since when, a summary, consent and the *rahasia* choice. The complaint is saved (with its ticket) in the same
transaction as the reply, and the reply is only sent once that commits: nobody is given a ticket that was lost."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from actions.complaints_common import complaints_content, day_text, route, tell_handlers, texts, zone_of
from actions.knowledge import format_date
from actions.replies import Option, Reply, Request, menu_options
from common.enums import ComplaintEventKind, ComplaintStatus
from common.messages import Payload
from content.complaints_schema import Category
from store import complaints
from store.models import Complaint
from store.privacy import mask_personal_numbers
from store.workdays import add_working_days

COMPLAINT_FORM = "complaint"
MAX_STORY = 1000
# The summary repeats the story; a long one is shortened there so the message stays one phone screen.
SUMMARY_STORY = 300
_SEND = {"kirim", "ya", "iya", "y", "ok", "oke", "setuju", "boleh"}
_SEND_SECRET = {"kirim rahasia", "rahasia", "rahasiakan"}
_CANCEL = {"batal", "tidak", "tdk", "gak", "nggak", "jangan", "cancel"}
_TICKET_TRIES = 5


def _intake_payload(name: str, value: str) -> str:
    return Payload("file_complaint", {name: [value]}).render()


def file_complaint(request: Request) -> list[Reply]:
    """file_complaint: a category named by the NLU (or a button) starts the questions; otherwise pick one."""
    rules, t = complaints_content(request.content), texts(request.content)
    category = rules.category(request.entity("complaint_type") or "")
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
    # Typed words that named the category already say what happened; a button press does not.
    story = request.text if request.entity("complaint_type") and not request.text.startswith("/") else None
    return _start(request, category, story)


def _guidance(request: Request, category: Category) -> Reply:
    parts = [category.guidance]
    if category.factual and category.checked is not None:
        sources = "; ".join(category.sources)
        line = request.content.strings.source_line.format(
            sources=sources, checked=format_date(category.checked, request.content)
        )
        parts.append(line)
    return Reply("\n\n".join(parts))


def _start(request: Request, category: Category, story: str | None) -> list[Reply]:
    data: dict[str, str] = {"category": category.id, "step": "what"}
    if story:
        data |= {"text": _clean(story), "step": "since"}
    request.state.form, request.state.form_data = COMPLAINT_FORM, data
    return [_guidance(request, category), _ask(request)]


def _clean(text: str) -> str:
    return mask_personal_numbers(" ".join(text.split()))[:MAX_STORY]


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_STORY else text[: SUMMARY_STORY - 1].rstrip() + "…"


def _ask(request: Request) -> Reply:
    t, data = texts(request.content), request.state.form_data
    if data["step"] == "what":
        return Reply(t.ask_what)
    if data["step"] == "since":
        return Reply(t.ask_since, tuple(Option(label, label) for label in t.since_options))
    category = complaints_content(request.content).category(data["category"])
    summary = t.summary.format(
        category=category.title if category else data["category"], text=_short(data["text"]), since=data["since"]
    )
    options = (
        Option(t.send_button, "kirim"),
        Option(t.send_secret_button, "kirim rahasia"),
        Option(t.cancel_button, "batal"),
    )
    return Reply(summary, options)


def complaint_form(request: Request) -> list[Reply] | None:
    """Takes the answers; a button for something else (a payload) closes the form and is answered as usual."""
    data = dict(request.state.form_data)
    text = request.text.strip()
    if text.startswith("/") or complaints_content(request.content).category(data.get("category", "")) is None:
        return None
    word = " ".join(text.lower().strip(" .!?").split())
    if data.get("step") == "what":
        data |= {"text": _clean(text), "step": "since"}
    elif data.get("step") == "since":
        data |= {"since": _clean(text)[:200], "step": "confirm"}
    elif word in _SEND_SECRET or word in _SEND:
        return _save(request, secret=word in _SEND_SECRET)
    elif word in _CANCEL:
        request.state.form, request.state.form_data = None, {}
        return [Reply(texts(request.content).cancelled, menu_options(request.content.strings.main_menu))]
    else:
        return [Reply(texts(request.content).summary_pick), _ask(request)]
    request.state.form_data = data
    return [_ask(request)]


def _save(request: Request, secret: bool) -> list[Reply]:
    db, person, content = request.db, request.person, request.content
    rules, t, data = complaints_content(content), texts(content), request.state.form_data
    category = rules.category(data["category"])
    if category is None:
        raise RuntimeError(f"the form kept a category the content no longer has: {data['category']}")
    routing = route(db, content, person, category, data["text"])
    zone = zone_of(person)
    first_due = add_working_days(request.now, rules.first_response_for(category), zone)
    resolution_due = add_working_days(request.now, rules.resolution_for(category), zone)
    complaint = Complaint(
        reporter=person,
        category=category.id,
        text=data["text"],
        since=data.get("since", ""),
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
    for attempt in range(_TICKET_TRIES):  # two people can draw the same new ticket at the same moment
        complaint.ticket = complaints.new_ticket(db)
        try:
            with db.begin_nested():
                db.add(complaint)
                db.flush()
            break
        except IntegrityError:
            if attempt == _TICKET_TRIES - 1:
                raise
    event_id = complaints.record(db, complaint, ComplaintEventKind.CREATED, person.id, request.now)
    key = f"complaint:{complaint.ticket}:{event_id}"
    due = day_text(first_due, zone, content)
    new_case = t.new_case.format(ticket=complaint.ticket, category=category.title, due=due)
    tell_handlers(request, complaint, new_case, key, watchers=False)
    for watcher in routing.watchers:
        watch = t.watch_case.format(ticket=complaint.ticket, category=category.title)
        complaints.notify(db, request.channels, watcher, watch, f"{key}:watch:{watcher.id}")
    request.state.form, request.state.form_data = None, {}
    saved = t.saved.format(
        ticket=complaint.ticket, first_due=due, resolution_due=day_text(resolution_due, zone, content)
    )
    if secret:
        saved += "\n" + t.saved_secret
    return [Reply(saved, menu_options(content.strings.main_menu))]
