"""The reporter's side after filing: status by ticket or all her open complaints, confirming it is solved, and
reopening within the allowed days. Someone else's ticket is "not found", exactly like a ticket that never was."""

from __future__ import annotations

from datetime import timedelta

from actions import complaints_handling
from actions.complaints_common import (
    category_title,
    complaints_content,
    payload,
    reporter_options,
    tell_handlers,
    texts,
)
from actions.replies import Option, Reply, Request, menu_options, with_menu
from common.enums import ComplaintEventKind, ComplaintStatus
from reminders.wording import date_text
from store import complaints
from store.models import Complaint
from store.workdays import add_working_days, as_utc

_LISTED = (ComplaintStatus.OPEN, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.RESOLVED)


def _not_found(request: Request, ticket: str) -> list[Reply]:
    return with_menu(request, texts(request.content).not_found.format(ticket=ticket.upper()))


def _own(request: Request, ticket: str | None) -> Complaint | None:
    """The reporter's complaint with this ticket; without one (she typed "sudah beres"), her latest resolved one."""
    if not ticket:
        resolved = complaints.reported_by(request.db, request.person, (ComplaintStatus.RESOLVED,))
        return resolved[-1] if resolved else None
    complaint = complaints.by_ticket(request.db, ticket, for_update=True)
    return complaint if complaint is not None and complaint.reporter_id == request.person.id else None


def status(request: Request) -> list[Reply]:
    """complaint_status: one ticket's status and last update, or the person's own open complaints."""
    t, ticket = texts(request.content), request.entity("ticket")
    if ticket:
        complaint = complaints.by_ticket(request.db, ticket)
        if complaint is not None and complaint.reporter_id == request.person.id:
            return [_one(request, complaint)]
        if complaint is not None and complaints.can_handle(complaint, request.person):
            return complaints_handling.view(request, complaint)
        return _not_found(request, ticket)
    mine = complaints.reported_by(request.db, request.person, _LISTED)
    if not mine:
        return with_menu(request, t.none_open)
    lines = [t.own_list_intro]
    for complaint in mine:
        title = category_title(request.content, complaint.category)
        lines.append(t.own_line.format(ticket=complaint.ticket, category=title, status=t.statuses[complaint.status]))
    options = tuple(Option(c.ticket, payload("complaint_status", c.ticket)) for c in mine[-10:])
    return [Reply("\n".join(lines), options)]


def _one(request: Request, complaint: Complaint) -> Reply:
    t = texts(request.content)
    last = complaint.history[-1]
    text = t.status_one.format(
        ticket=complaint.ticket,
        category=category_title(request.content, complaint.category),
        status=t.statuses[complaint.status],
        date=date_text(request.content, last.created_at, complaint.timezone),
        last=t.events[last.kind] + (f": {last.note}" if last.note and last.kind != ComplaintEventKind.CREATED else ""),
    )
    if complaint.status == ComplaintStatus.RESOLVED:
        return Reply(text, reporter_options(request.content, complaint))
    return Reply(text, menu_options(request.content.strings.main_menu))


def confirm(request: Request) -> list[Reply]:
    """The reporter says the problem is solved: the case is closed."""
    t, ticket = texts(request.content), request.entity("ticket") or ""
    complaint = _own(request, ticket)
    if complaint is None:
        return _not_found(request, ticket) if ticket else with_menu(request, t.none_resolved)
    if complaint.status != ComplaintStatus.RESOLVED:
        return with_menu(request, t.not_resolved_yet.format(ticket=complaint.ticket))
    complaint.status, complaint.closed_at, complaint.escalate_at = ComplaintStatus.CLOSED, request.now, None
    event_id = complaints.record(request.db, complaint, ComplaintEventKind.CONFIRMED, request.person.id, request.now)
    key = f"complaint:{complaint.ticket}:{event_id}"
    tell_handlers(request, complaint, t.handler_confirmed.format(ticket=complaint.ticket), key)
    return with_menu(request, t.confirmed.format(ticket=complaint.ticket))


def reopen(request: Request) -> list[Reply]:
    """The reporter says it is not solved, within the allowed days: back to the handler with a new clock."""
    rules, t, ticket = complaints_content(request.content), texts(request.content), request.entity("ticket") or ""
    complaint = _own(request, ticket)
    if complaint is None:
        return _not_found(request, ticket) if ticket else with_menu(request, t.none_resolved)
    if complaint.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED) or complaint.resolved_at is None:
        return with_menu(request, t.not_resolved_yet.format(ticket=complaint.ticket))
    if request.now - as_utc(complaint.resolved_at) > timedelta(days=rules.reopen_days):
        return with_menu(request, t.reopen_too_late.format(ticket=complaint.ticket, days=rules.reopen_days))
    category = rules.category(complaint.category)
    zone = complaint.timezone
    respond = rules.first_response_for(category) if category else rules.first_response_days
    resolve = rules.resolution_for(category) if category else rules.resolution_days
    complaint.status, complaint.resolved_at, complaint.closed_at = ComplaintStatus.OPEN, None, None
    complaint.escalate_at = add_working_days(request.now, respond, zone)
    complaint.resolution_due = add_working_days(request.now, resolve, zone)
    event_id = complaints.record(request.db, complaint, ComplaintEventKind.REOPENED, request.person.id, request.now)
    due = date_text(request.content, complaint.escalate_at, zone)
    title = category_title(request.content, complaint.category)
    note = t.handler_reopened.format(ticket=complaint.ticket, category=title, due=due)
    tell_handlers(request, complaint, note, f"complaint:{complaint.ticket}:{event_id}")
    return with_menu(request, t.reopened.format(ticket=complaint.ticket, due=due))
