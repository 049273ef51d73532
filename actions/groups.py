"""Joining a group by its code, the next meetings of one's groups, and answering a reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from actions.replies import Reply, Request, with_menu
from common.enums import MeetingAnswer, OutboxKind
from reminders import meetings, wording
from store import groups
from store.models import Group, Meeting, MeetingReply, OutboxMessage
from store.workdays import local


def join(request: Request) -> list[Reply]:
    """`/start CODE` (a Telegram invite link) or `GABUNG CODE`."""
    words = request.content.strings.groups
    code = (request.entity("code") or "").strip().upper()
    group = groups.by_code(request.db, code) if code else None
    if group is None:
        return with_menu(request, words.join_unknown.format(code=code[:16]))
    if not groups.join(request.db, group, request.person):
        return with_menu(request, words.join_already.format(group=group.name))
    return [Reply(words.join_done.format(group=group.name)), *ask_meeting(request, only=[group])]


def ask_meeting(request: Request, only: list[Group] | None = None) -> list[Reply]:
    """The next meeting of each of the person's groups, in her own time zone; leaders also see the answers."""
    words = request.content.strings.meetings
    mine = only if only is not None else groups.groups_of(request.db, request.person)
    if not mine:
        return with_menu(request, words.no_group)
    led = {g.id for g in groups.led_by(request.db, request.person)}
    timezone = groups.timezone_of(request.db, request.person, mine[0])
    lines = []
    for group in mine:
        upcoming = []
        for meeting in meetings.active(request.db, [group.id]):
            start = meetings.next_start(meeting, request.now)
            if start is not None:
                upcoming.append((start, meeting))
        for start, meeting in sorted(upcoming, key=lambda pair: pair[0])[:2]:
            day, at = wording.moment_text(request.content, local(start, timezone))
            lines.append(words.next_line.format(group=group.name, date=day, time=at, place=meeting.place or "-"))
            if meeting.topic:
                lines.append(words.topic_line.format(topic=meeting.topic))
            if group.id in led:
                yes, no, unknown = meetings.reply_counts(request.db, meeting, start.date().isoformat())
                lines.append(words.replies_line.format(yes=yes, no=no, unknown=unknown))
    if not lines:
        return [] if only is not None else with_menu(request, words.none)
    return [Reply("\n".join([words.header, *lines]))]


def meeting_reply(request: Request) -> list[Reply]:
    """Hadir / Tidak bisa hadir: from a reminder's button, or typed after a reminder."""
    words = request.content.strings.meetings
    typed = (request.entity("answer") or "").lower()
    answer = MeetingAnswer.HADIR if typed.startswith("hadir") else MeetingAnswer.TIDAK
    meeting_id, occurrence = request.entity("meeting"), request.entity("occurrence")
    if meeting_id is None or occurrence is None:
        latest = _latest_reminder(request)
        if latest is None:
            return with_menu(request, words.reply_gone)
        reminder = Reply.from_body(latest.body)
        if reminder.meeting is None or reminder.occurrence is None:
            return with_menu(request, words.reply_gone)
        meeting_id, occurrence = str(reminder.meeting), reminder.occurrence
    meeting = request.db.get(Meeting, int(meeting_id)) if meeting_id.isdigit() else None
    member_of = {g.id for g in groups.groups_of(request.db, request.person)}
    start = meetings.next_start(meeting, request.now - timedelta(hours=12)) if meeting else None
    if meeting is None or meeting.group_id not in member_of or start is None or start.date().isoformat() != occurrence:
        return with_menu(request, words.reply_gone)
    found = request.db.scalar(
        select(MeetingReply).where(
            MeetingReply.meeting_id == meeting.id,
            MeetingReply.occurrence == occurrence,
            MeetingReply.person_id == request.person.id,
        )
    )
    if found is None:
        request.db.add(
            MeetingReply(meeting_id=meeting.id, occurrence=occurrence, person_id=request.person.id, answer=answer)
        )
    else:
        found.answer, found.answered_at = answer, request.now
    return [Reply(words.reply_yes if answer == MeetingAnswer.HADIR else words.reply_no)]


def _latest_reminder(request: Request) -> OutboxMessage | None:
    return request.db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.person_id == request.person.id, OutboxMessage.kind == OutboxKind.REMINDER)
        .order_by(OutboxMessage.id.desc())
    ).first()
