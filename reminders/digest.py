"""The weekly digest: every Monday from 07:00 in her own time zone, each pendamping and koordinator gets one short
message with her overdue cases, the deadlines kept last week, last week's new complaints and this week's meetings,
and the hint to open the dashboard.

A periodic job on the one scheduler (bot/app.py) writes it to the outbox; the dedup key names the person and the
Monday, so however often the job runs that day, after a restart too, she gets one. A Monday the app was down all
day is skipped: a digest on Tuesday would already be stale. `BERHENTI` stops it (opted-out people are skipped, and
their pending digest is cancelled with the reminders)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import OutboxKind, Role
from common.messages import Reply
from content.dashboard_schema import DashboardChat
from content.loader import Content
from reminders import agenda, wording
from store import groups, outbox
from store.db import Database
from store.models import Group, OutboxMessage, Person
from store.reach import Channels
from store.reports import complaints as report
from store.reports.reach import how_reached
from store.reports.scope import scope_of
from store.workdays import local

log = logging.getLogger(__name__)

SEND_FROM = dt.time(7, 0)
MEETINGS_LISTED = 5


def key_for(person_id: int, monday: dt.date) -> str:
    return f"digest:{person_id}:{monday.isoformat()}"


def run_digests(db: Session, content: Content, now: dt.datetime, channels: Channels) -> int:
    """Writes the digest of every pendamping and koordinator whose Monday 07:00 has come and who has not had this
    Monday's; returns how many were written."""
    if content.dashboard is None:
        return 0
    staff = list(
        db.scalars(
            select(Person)
            .where(Person.role.in_([Role.PENDAMPING, Role.KOORDINATOR]), Person.opted_out_at.is_(None))
            .order_by(Person.id)
        )
    )
    due: dict[int, tuple[Person, str, dt.date]] = {}
    for person in staff:
        zone = groups.timezone_of(db, person)
        today = local(now, zone)
        if today.weekday() == 0 and today.time() >= SEND_FROM:
            due[person.id] = (person, zone, today.date())
    keys = {key_for(pid, monday): pid for pid, (_, _, monday) in due.items()}
    sent = set(db.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(list(keys)))))
    waiting = [keys[k] for k in keys if k not in sent]
    if not waiting:
        return 0
    addresses = how_reached(db, waiting, channels)
    cases = report.all_cases(db, now)
    written = 0
    for person_id in waiting:
        person, zone, monday = due[person_id]
        address = addresses.get(person_id)
        if address is None:
            continue
        text = digest_text(db, content.dashboard.chat, content, person, zone, cases, now)
        written += outbox.enqueue(
            db,
            channel=address.channel,
            recipient=address.external_id,
            message=Reply(text),
            kind=OutboxKind.DIGEST,
            dedup_key=key_for(person_id, monday),
            person_id=person_id,
        )
    if written:
        log.info("weekly digest: %d written", written)
    return written


def digest_text(
    db: Session,
    words: DashboardChat,
    content: Content,
    person: Person,
    zone: str,
    cases: list[report.CaseRow],
    now: dt.datetime,
) -> str:
    scope = scope_of(db, person)
    if scope is None:
        raise RuntimeError("digests are written for staff only, who always have a scope")
    mine = report.visible(cases, scope)
    start, end = report.last_week(now, zone)
    met, deadlines = report.deadlines_met_between(mine, start, end)
    rate = (
        words.digest_rate.format(percent=round(100 * met / deadlines), met=met, due=deadlines)
        if deadlines
        else words.digest_no_deadlines
    )
    group_ids = list(db.scalars(select(Group.id).where(scope.groups())))
    week = agenda.between(db, group_ids, end, end + dt.timedelta(days=7))
    lines = []
    for meeting in week[:MEETINGS_LISTED]:
        day, at = wording.moment_text(content, local(meeting.start, zone))
        lines.append(words.digest_meeting.format(group=meeting.group, day=day, time=at))
    if len(week) > MEETINGS_LISTED:
        lines.append(words.digest_more_meetings.format(count=len(week) - MEETINGS_LISTED))
    text = words.digest.format(
        name=person.name or "",
        overdue=sum(1 for c in mine if c.due == report.Due.OVERDUE),
        rate=rate,
        new=sum(1 for c in mine if start <= c.created_at < end),
        meetings=len(week),
        meeting_lines="\n".join(lines),
    )
    return "\n".join(line for line in text.splitlines() if line.strip())  # no meetings: no empty line


def send_digests(db: Database, content: Content, channels: Channels) -> int:
    """The periodic job: one pass of `run_digests` in its own unit of work, as of now."""
    with db.session() as session:
        return run_digests(session, content, dt.datetime.now(dt.UTC), channels)
