"""Which meetings of some groups fall in a window of time, with the answers to their reminders: the digest's
"meetings this week" and the dashboard's Pertemuan page read the same calendar the reminders follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.enums import MeetingAnswer
from reminders.meetings import rule_of
from reminders.recurrence import occurrences
from store.models import Group, Meeting, MeetingReply, Membership


@dataclass(frozen=True)
class Occurrence:
    meeting_id: int
    group_id: int
    group: str
    start: dt.datetime  # aware, in the group's zone
    place: str
    topic: str
    invited: int  # the group's members
    hadir: int
    tidak: int

    @property
    def date(self) -> str:
        """The local date that names it in reminders and replies."""
        return self.start.date().isoformat()

    @property
    def no_answer(self) -> int:
        return max(0, self.invited - self.hadir - self.tidak)


def between(db: Session, group_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Every meeting start in [start, end) of these groups' meetings that are not cancelled, soonest first."""
    ids = list(group_ids)
    meetings = list(db.scalars(select(Meeting).where(Meeting.group_id.in_(ids), Meeting.cancelled_at.is_(None))))
    if not meetings:
        return []
    names = dict(db.execute(select(Group.id, Group.name).where(Group.id.in_(ids))).tuples().all())
    sizes = dict(
        db.execute(
            select(Membership.group_id, func.count(Membership.id))
            .where(Membership.group_id.in_(ids))
            .group_by(Membership.group_id)
        )
        .tuples()
        .all()
    )
    answers: dict[tuple[int, str, str], int] = {}
    for meeting_id, day, answer, count in db.execute(
        select(MeetingReply.meeting_id, MeetingReply.occurrence, MeetingReply.answer, func.count(MeetingReply.id))
        .where(MeetingReply.meeting_id.in_([m.id for m in meetings]))
        .group_by(MeetingReply.meeting_id, MeetingReply.occurrence, MeetingReply.answer)
    ):
        answers[(meeting_id, day, answer)] = count
    found = []
    for meeting in meetings:
        for begins in occurrences(rule_of(meeting), start - dt.timedelta(microseconds=1)):
            if begins >= end:
                break
            day = begins.date().isoformat()
            found.append(
                Occurrence(
                    meeting.id,
                    meeting.group_id,
                    names.get(meeting.group_id, ""),
                    begins,
                    meeting.place,
                    meeting.topic,
                    sizes.get(meeting.group_id, 0),
                    answers.get((meeting.id, day, MeetingAnswer.HADIR), 0),
                    answers.get((meeting.id, day, MeetingAnswer.TIDAK), 0),
                )
            )
    return sorted(found, key=lambda o: (o.start, o.group))
