"""Complaint deadlines, run periodically (and by hand: `sahabat admin complaints escalate`).

Before the deadline of the current step the handler gets a reminder; once it has passed, the case moves up one
level (pendamping → koordinator → Dinas Sosial) and the reporter is told in plain words. Everything goes out
through the outbox with a dedup key, so running this twice, or after a crash, never sends a message twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.complaints_schema import ComplaintsFile
from content.loader import Content
from reminders.wording import date_text
from store import complaints
from store.db import Database
from store.models import Complaint
from store.reach import Channels
from store.workdays import as_utc

log = logging.getLogger(__name__)


def run_escalations(db: Session, content: Content, now: datetime, channels: Channels) -> int:
    """Reminds and escalates every open complaint that needs it, telling people where the reach rule finds them
    (store/reach.py); returns how many complaints were acted on."""
    rules = content.complaints
    if rules is None:
        return 0
    now, window = as_utc(now), timedelta(hours=rules.reminder_hours)
    query = select(Complaint).where(
        Complaint.status.in_(complaints.OPEN), Complaint.escalate_at.is_not(None), Complaint.escalate_at <= now + window
    )
    # A case a handler is changing right now is left for the next run (PostgreSQL; SQLite has one writer anyway).
    query = query.order_by(Complaint.id).with_for_update(skip_locked=True)
    acted = 0
    for complaint in db.scalars(query).all():
        if complaint.escalate_at is None:
            raise RuntimeError("the query selects complaints with a deadline only")
        due = as_utc(complaint.escalate_at)
        if now >= due:
            acted += _overdue(db, channels, content, rules, complaint, due, now)
        elif now >= due - window:
            acted += _remind(db, channels, content, complaint, due)
    if acted:
        log.info("complaints: %d reminded or escalated", acted)
    return acted


def _title(rules: ComplaintsFile, complaint: Complaint) -> str:
    category = rules.category(complaint.category)
    return category.title if category else complaint.category


def _remind(db: Session, channels: Channels, content: Content, complaint: Complaint, due: datetime) -> bool:
    rules = content.complaints
    if rules is None:
        raise RuntimeError("complaint escalation runs only with the complaints content loaded")
    text = rules.texts.reminder.format(
        ticket=complaint.ticket, category=_title(rules, complaint), due=date_text(content, due, complaint.timezone)
    )
    key = f"complaint:{complaint.ticket}:reminder:{due.isoformat()}"
    handlers = complaints.handlers(db, complaint, False)
    return any([complaints.notify(db, channels, p, text, f"{key}:{p.id}") for p in handlers])


def _overdue(
    db: Session,
    channels: Channels,
    content: Content,
    rules: ComplaintsFile,
    complaint: Complaint,
    due: datetime,
    now: datetime,
) -> bool:
    t, title = rules.texts, _title(rules, complaint)
    category = rules.category(complaint.category)
    respond = rules.first_response_for(category) if category else rules.first_response_days
    moved = complaints.escalate(
        db, complaint, rules.escalation, actor_id=None, reason=t.overdue_reason, now=now, respond_within=respond
    )
    if not moved:  # already at the top: Dinas Sosial is told once per missed deadline
        text = t.overdue_top.format(ticket=complaint.ticket, category=title)
        key = f"complaint:{complaint.ticket}:overdue:{due.isoformat()}"
        handlers = complaints.handlers(db, complaint, False)
        return any([complaints.notify(db, channels, p, text, f"{key}:{p.id}") for p in handlers])
    if complaint.escalate_at is None:
        raise RuntimeError("an escalated complaint always has a deadline")
    new_due = date_text(content, complaint.escalate_at, complaint.timezone)
    key = f"complaint:{complaint.ticket}:{complaint.history[-1].id}"
    text = t.escalated_to.format(ticket=complaint.ticket, category=title, reason=t.overdue_reason, due=new_due)
    for person in complaints.handlers(db, complaint, False):
        complaints.notify(db, channels, person, text, f"{key}:{person.id}")
    told = t.reporter_escalated.format(ticket=complaint.ticket, due=new_due)
    complaints.notify(db, channels, complaint.reporter, told, key)
    return True


def escalate_now(db: Database, content: Content, channels: Channels) -> int:
    """The periodic job: one pass of `run_escalations` in its own unit of work, as of now."""
    with db.session() as session:
        return run_escalations(session, content, datetime.now(UTC), channels)
