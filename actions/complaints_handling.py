"""Handling complaints in chat, for pendamping, koordinator and Dinas Sosial staff: /aduan lists my open cases
(overdue first); a case opens with its story, age, deadlines and history; Terima, Balas, Selesai and Alihkan act on
it, and every change is told to the reporter through the outbox. A case someone may not handle is "not found"."""

from __future__ import annotations

from typing import Literal

from actions import forms
from actions.complaints_common import (
    category_title,
    complaints_content,
    payload,
    reporter_options,
    tell_handlers,
    tell_reporter,
    texts,
)
from actions.replies import Option, Reply, Request, with_menu
from common.enums import STAFF_ROLES, ComplaintEventKind, ComplaintStatus
from reminders.wording import date_text
from store import complaints
from store.models import Complaint, Person
from store.privacy import mask_personal_numbers
from store.workdays import as_utc

MAX_NOTE = 1000
_HISTORY_SHOWN = 6
_NOTE_SHOWN = 150


class NoteState(forms.FormState):
    """The handler's words for Balas, Selesai or Alihkan on one case."""

    TEXT_STEPS = frozenset({"note"})

    step: Literal["note"] = "note"
    ticket: str
    action: Literal["reply", "resolve", "reassign"]


def _staff(request: Request) -> bool:
    return request.person.role in STAFF_ROLES


def inbox(request: Request) -> list[Reply]:
    """/aduan: my open cases, overdue first."""
    t = texts(request.content)
    if not _staff(request):
        return with_menu(request, t.staff_only)
    cases = complaints.inbox(request.db, request.person, request.now)
    if not cases:
        return [Reply(t.inbox_empty)]
    lines = [t.inbox_intro.format(count=len(cases))]
    for case in cases:
        mark = t.overdue_mark if complaints.is_overdue(case, request.now) else ""
        due = date_text(request.content, case.escalate_at, case.timezone) if case.escalate_at else t.unknown
        title = category_title(request.content, case.category)
        lines.append(t.inbox_line.format(mark=mark, ticket=case.ticket, category=title, due=due))
    options = tuple(Option(c.ticket, payload("complaint_open", c.ticket)) for c in cases[:10])
    return [Reply("\n".join(lines), options)]


def _handled(request: Request, for_update: bool = True) -> Complaint | None:
    ticket = request.entity("ticket")
    complaint = complaints.by_ticket(request.db, ticket, for_update) if ticket else None
    return complaint if complaint is not None and complaints.can_handle(complaint, request.person) else None


def _not_found(request: Request) -> list[Reply]:
    ticket = (request.entity("ticket") or "").upper()
    return with_menu(request, texts(request.content).not_found.format(ticket=ticket))


def open_case(request: Request) -> list[Reply]:
    complaint = _handled(request, for_update=False)
    return view(request, complaint) if complaint is not None else _not_found(request)


def view(request: Request, complaint: Complaint) -> list[Reply]:
    t, content = texts(request.content), request.content
    reporter = complaint.reporter
    if complaint.secret or reporter is None:
        who = t.reporter_secret if complaint.secret else t.unknown
    else:
        who = t.reporter_known.format(name=reporter.name or t.unknown, phone=reporter.phone or t.unknown)
    history = [
        t.history_line.format(
            date=date_text(content, entry.created_at, complaint.timezone),
            event=t.events[entry.kind],
            who=_staff_name(request, entry.actor_id),
            note=f": {entry.note[:_NOTE_SHOWN]}" if entry.note else "",
        )
        for entry in complaint.history[-_HISTORY_SHOWN:]
    ]
    days = (request.now - as_utc(complaint.created_at)).days
    text = t.case_view.format(
        ticket=complaint.ticket,
        category=category_title(content, complaint.category),
        status=t.statuses[complaint.status],
        age=t.age_days.format(days=days) if days else t.age_today,
        first_due=date_text(content, complaint.first_response_due, complaint.timezone),
        resolution_due=date_text(content, complaint.resolution_due, complaint.timezone),
        reporter=who,
        text=complaint.text,
        since=complaint.since or t.unknown,
        history="\n".join(history),
    )
    options: list[Option] = []
    if complaint.status in complaints.OPEN:
        if complaint.status == ComplaintStatus.OPEN:
            options.append(Option(t.accept_button, payload("complaint_accept", complaint.ticket)))
        options += [
            Option(t.reply_button, payload("complaint_reply", complaint.ticket)),
            Option(t.resolve_button, payload("complaint_resolve", complaint.ticket)),
            Option(t.reassign_button, payload("complaint_reassign", complaint.ticket)),
        ]
    options.append(Option(t.inbox_button, "/aduan"))
    return [Reply(text, tuple(options))]


def _staff_name(request: Request, actor_id: int | None) -> str:
    """Who acted, when it was staff; the reporter is never named here (she may have asked for rahasia)."""
    actor = request.db.get(Person, actor_id) if actor_id is not None else None
    if actor is None or actor.role not in STAFF_ROLES or not actor.name:
        return ""
    return texts(request.content).history_who.format(name=actor.name)


def accept(request: Request) -> list[Reply]:
    """Terima: the handler has seen it; the clock now runs to the resolution deadline."""
    t, complaint = texts(request.content), _handled(request)
    if complaint is None:
        return _not_found(request)
    if complaint.status not in complaints.OPEN:
        return [Reply(t.case_closed.format(ticket=complaint.ticket))]
    _responded(request, complaint)
    event_id = complaints.record(request.db, complaint, ComplaintEventKind.ACKNOWLEDGED, request.person.id, request.now)
    key = f"complaint:{complaint.ticket}:{event_id}"
    tell_reporter(request, complaint, t.reporter_accepted.format(ticket=complaint.ticket), key)
    return [Reply(t.done_accept.format(ticket=complaint.ticket), (Option(t.inbox_button, "/aduan"),))]


def _responded(request: Request, complaint: Complaint) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = request.now
    complaint.status, complaint.escalate_at = ComplaintStatus.ACKNOWLEDGED, complaint.resolution_due


def _ask_note(request: Request, action: Literal["reply", "resolve", "reassign"]) -> list[Reply]:
    t, complaint = texts(request.content), _handled(request)
    if complaint is None:
        return _not_found(request)
    if complaint.status not in complaints.OPEN:
        return [Reply(t.case_closed.format(ticket=complaint.ticket))]
    state = NoteState(ticket=complaint.ticket, action=action)
    forms.start(request, NOTE, state)
    return ask_note(request, state)


def ask_note(request: Request, state: NoteState) -> list[Reply]:
    t = texts(request.content)
    ask = {"reply": t.ask_reply, "resolve": t.ask_resolve, "reassign": t.ask_reassign}[state.action]
    return [Reply(ask.format(ticket=state.ticket))]


def reply(request: Request) -> list[Reply]:
    return _ask_note(request, "reply")


def resolve(request: Request) -> list[Reply]:
    return _ask_note(request, "resolve")


def reassign(request: Request) -> list[Reply]:
    return _ask_note(request, "reassign")


def note_form(request: Request, state: NoteState) -> list[Reply] | None:
    """The handler's words for Balas, Selesai or Alihkan, on a case still open that she may handle."""
    text = " ".join(request.text.split())[:MAX_NOTE]
    forms.close(request)
    request.entities = {"ticket": [state.ticket]}
    complaint = _handled(request)
    if not text or complaint is None or complaint.status not in complaints.OPEN:
        return None
    stored = mask_personal_numbers(text)
    if state.action == "reply":
        return _reply_to_reporter(request, complaint, text, stored)
    if state.action == "resolve":
        return _resolve(request, complaint, text, stored)
    return _move_up(request, complaint, stored)


def _reply_to_reporter(request: Request, complaint: Complaint, text: str, stored: str) -> list[Reply]:
    t, ticket = texts(request.content), complaint.ticket
    _responded(request, complaint)
    event_id = complaints.record(
        request.db, complaint, ComplaintEventKind.REPLIED, request.person.id, request.now, stored
    )
    key = f"complaint:{ticket}:{event_id}"
    tell_reporter(request, complaint, t.reporter_reply.format(ticket=ticket, note=text), key)
    return [Reply(t.done_reply.format(ticket=ticket), (Option(t.inbox_button, "/aduan"),))]


def _resolve(request: Request, complaint: Complaint, text: str, stored: str) -> list[Reply]:
    t, ticket = texts(request.content), complaint.ticket
    complaint.first_response_at = complaint.first_response_at or request.now
    complaint.status, complaint.resolved_at, complaint.escalate_at = ComplaintStatus.RESOLVED, request.now, None
    event_id = complaints.record(
        request.db, complaint, ComplaintEventKind.RESOLVED, request.person.id, request.now, stored
    )
    days = complaints_content(request.content).reopen_days
    message = t.reporter_resolved.format(ticket=ticket, note=text, days=days)
    key = f"complaint:{ticket}:{event_id}"
    tell_reporter(request, complaint, message, key, reporter_options(request.content, complaint))
    return [Reply(t.done_resolve.format(ticket=ticket), (Option(t.inbox_button, "/aduan"),))]


def _move_up(request: Request, complaint: Complaint, reason: str) -> list[Reply]:
    t, rules = texts(request.content), complaints_content(request.content)
    category = rules.category(complaint.category)
    respond = rules.first_response_for(category) if category else rules.first_response_days
    moved = complaints.escalate(
        request.db,
        complaint,
        rules.escalation,
        actor_id=request.person.id,
        reason=reason,
        now=request.now,
        respond_within=respond,
    )
    if not moved:
        return [Reply(t.cannot_reassign.format(ticket=complaint.ticket))]
    if complaint.escalate_at is None:
        raise RuntimeError("a reassigned complaint always has a deadline")
    event_id = complaint.history[-1].id
    key = f"complaint:{complaint.ticket}:{event_id}"
    due = date_text(request.content, complaint.escalate_at, complaint.timezone)
    title = category_title(request.content, complaint.category)
    note = t.escalated_to.format(ticket=complaint.ticket, category=title, reason=reason, due=due)
    tell_handlers(request, complaint, note, key, skip=request.person.id, watchers=False)
    tell_reporter(request, complaint, t.reporter_reassigned.format(ticket=complaint.ticket, due=due), key)
    level = t.levels[complaint.level]
    return [Reply(t.done_reassign.format(ticket=complaint.ticket, level=level), (Option(t.inbox_button, "/aduan"),))]


def _note_cancelled(request: Request) -> list[Reply]:
    return [Reply(texts(request.content).note_cancelled, (Option(texts(request.content).inbox_button, "/aduan"),))]


NOTE = forms.Form(forms.FormName.COMPLAINT_NOTE, NoteState, note_form, ask_note, _note_cancelled)
