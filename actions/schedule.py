"""`/jadwal`: a ketua or pendamping sets, changes or cancels the meetings of the groups they lead.

Steps: group (when there are several) → what to do → when → place → topic → confirm. Each step offers buttons;
typed answers work too. Only `groups.led_by` decides which groups can be touched, at every step and again when
saving, so no text or forged button reaches another group.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from actions import forms
from actions import groups as groups_actions
from actions.replies import Option, Reply, Request, with_menu
from common.enums import OutboxKind, Recurrence
from content.words_schema import plain
from reminders import meetings, wording
from reminders.recurrence import Rule, next_occurrence
from reminders.when import When, parse_when
from store import groups, outbox, reach
from store.models import Group, Meeting
from store.workdays import local

_KINDS = {
    "bulanan": Recurrence.MONTHLY,
    "dua mingguan": Recurrence.BIWEEKLY,
    "mingguan": Recurrence.WEEKLY,
    "sekali": Recurrence.ONCE,
}
_KIND_PREFIX = {Recurrence.BIWEEKLY: "2 minggu sekali ", Recurrence.WEEKLY: "setiap "}
_MAX_LISTED = 4


class ScheduleState(forms.FormState):
    step: Literal["group", "menu", "when", "place", "topic", "confirm"]
    group: int | None = None
    # The meeting being changed; None for a new one.
    meeting: int | None = None
    # The kind picked by button at the "when" step, before the day and time are typed.
    kind: Recurrence | None = None
    recurrence: Recurrence | None = None
    first_date: date | None = None
    local_time: str = ""  # "09:00", as meetings keep it
    weekday: int | None = None
    week_of_month: int | None = None
    timezone: str = ""
    place: str = ""
    topic: str = ""

    def rule(self) -> Rule:
        if self.recurrence is None or self.first_date is None:
            raise ValueError("the meeting's day is asked before its rule is read")
        time = wording.parse_clock(self.local_time)
        return Rule(self.recurrence, self.first_date, time, self.timezone, self.weekday, self.week_of_month)


def start(request: Request) -> list[Reply]:
    led = groups.led_by(request.db, request.person)
    if not led:
        # Someone who leads no group and asks for "the schedule" gets the meetings she can attend.
        return [Reply(request.content.strings.meetings.not_allowed), *groups_actions.ask_meeting(request)]
    state = ScheduleState(step="menu", group=led[0].id) if len(led) == 1 else ScheduleState(step="group")
    forms.start(request, SCHEDULE, state)
    return ask(request, state)


def _group(request: Request, state: ScheduleState) -> Group | None:
    """The chosen group, only while the person still leads it."""
    return next((g for g in groups.led_by(request.db, request.person) if g.id == state.group), None)


def _meeting(request: Request, state: ScheduleState, group: Group) -> Meeting | None:
    return next((m for m in meetings.active(request.db, [group.id]) if m.id == state.meeting), None)


def ask(request: Request, state: ScheduleState) -> list[Reply]:
    """The question of the step she is at."""
    words = request.content.strings.meetings
    if state.step == "group":
        led = groups.led_by(request.db, request.person)
        options = tuple(Option(g.name[:20], f"kelompok {n}") for n, g in enumerate(led[:10], start=1))
        return [Reply(words.pick_group, options)]
    group = _group(request, state)
    if group is None:
        forms.close(request)
        return with_menu(request, words.not_allowed)
    keep = (Option(words.keep_button, "tetap"),) if _meeting(request, state, group) is not None else ()
    discard = Option(words.discard_button, "batal")
    if state.step == "menu":
        return _group_menu(request, group)
    if state.step == "when":
        return [Reply(words.ask_when, _when_options(request, state, group))]
    if state.step == "place":
        return [Reply(words.ask_place, (*keep, discard))]
    if state.step == "topic":
        return [Reply(words.ask_topic, (*keep, Option(words.skip_button, "lewati"), discard))]
    return _confirm(request, state, group)


def _group_menu(request: Request, group: Group) -> list[Reply]:
    words = request.content.strings.meetings
    listed = meetings.active(request.db, [group.id])[:_MAX_LISTED]
    lines = [words.group_schedule.format(group=group.name)]
    options = [Option(words.new_button, "baru")]
    for number, meeting in enumerate(listed, start=1):
        rule = wording.rule_text(request.content, meetings.rule_of(meeting))
        lines.append(words.schedule_line.format(number=number, rule=rule, place=meeting.place or "-"))
        options.append(Option(words.change_button.format(number=number), f"ubah {number}"))
        options.append(Option(words.cancel_meeting_button.format(number=number), f"batalkan {number}"))
    if not listed:
        lines.append(words.no_schedule)
    options.append(Option(words.discard_button, "batal"))
    return [Reply("\n".join(lines), tuple(options))]


def schedule_form(request: Request, state: ScheduleState) -> list[Reply] | None:
    word = plain(request.text)
    if state.step == "group":
        led = groups.led_by(request.db, request.person)
        number = word.removeprefix("kelompok").strip()
        chosen = led[int(number) - 1] if number.isdigit() and 1 <= int(number) <= len(led) else None
        chosen = chosen or next((g for g in led if g.name.lower() == word), None)
        if chosen is None:
            return None
        state.step, state.group = "menu", chosen.id
        return ask(request, state)
    group = _group(request, state)
    if group is None or state.step == "menu":
        return ask(request, state) if group is None else _menu_choice(request, state, group, word)
    if state.step == "when":
        return _when(request, state, group, word)
    if state.step == "place":
        state.place, state.step = _keep_or(request, state, group, "place", request.text.strip()[:200]), "topic"
    elif state.step == "topic":
        topic = "" if word == "lewati" else request.text.strip()[:200]
        state.topic, state.step = _keep_or(request, state, group, "topic", topic), "confirm"
    elif word == "simpan":
        return _save(request, state, group)
    return ask(request, state)


def _keep_or(request: Request, state: ScheduleState, group: Group, field: str, value: str) -> str:
    meeting = _meeting(request, state, group)
    return str(getattr(meeting, field)) if meeting is not None and plain(request.text) == "tetap" else value


def _menu_choice(request: Request, state: ScheduleState, group: Group, word: str) -> list[Reply] | None:
    action, _, number = word.partition(" ")
    listed = meetings.active(request.db, [group.id])[:_MAX_LISTED]
    chosen = listed[int(number) - 1] if number.isdigit() and 1 <= int(number) <= len(listed) else None
    if action == "baru":
        state.step, state.meeting = "when", None
    elif action == "ubah" and chosen is not None:
        state.step, state.meeting = "when", chosen.id
    elif action == "batalkan" and chosen is not None:
        return _cancel(request, group, chosen)
    else:
        return None
    return ask(request, state)


def _when_options(request: Request, state: ScheduleState, group: Group) -> tuple[Option, ...]:
    words = request.content.strings.meetings
    options = [Option(getattr(words, f"{kind}_button"), token) for token, kind in _KINDS.items()]
    if _meeting(request, state, group) is not None:
        options.insert(0, Option(words.keep_button, "tetap"))
    return (*options, Option(words.discard_button, "batal"))


def _local_today(request: Request, group: Group) -> date:
    return local(request.now, groups.timezone_of(request.db, request.person, group)).date()


def _kind(request: Request, word: str) -> Recurrence | None:
    """The kind a button sent, or its title typed."""
    words = request.content.strings.meetings
    return _KINDS.get(word) or {getattr(words, f"{kind}_button").lower(): kind for kind in Recurrence}.get(word)


def _when(request: Request, state: ScheduleState, group: Group, word: str) -> list[Reply]:
    words = request.content.strings.meetings
    kind, meeting = _kind(request, word), _meeting(request, state, group)
    if kind is not None:
        state.kind = kind
        return [Reply(words.ask_when_kind.format(example=getattr(words, f"{kind}_example")))]
    when = _kept(meeting) if word == "tetap" and meeting is not None else _typed_when(request, state, group, meeting)
    if when is None:
        return [Reply(words.bad_when, _when_options(request, state, group))]
    timezone = meeting.timezone if meeting else groups.timezone_of(request.db, request.person, group)
    state.recurrence, state.first_date, state.timezone = when.recurrence, when.first_date, timezone
    state.local_time, state.weekday, state.week_of_month = (
        when.local_time.strftime("%H:%M"),
        when.weekday,
        when.week_of_month,
    )
    if next_occurrence(state.rule(), request.now) is None:
        return [Reply(words.in_the_past, _when_options(request, state, group))]
    state.step = "topic" if when.place else "place"
    state.place = when.place[:200] if when.place else state.place
    return ask(request, state)


def _kept(meeting: Meeting) -> When:
    time = wording.parse_clock(meeting.local_time)
    return When(meeting.recurrence, meeting.first_date, time, meeting.weekday, meeting.week_of_month)


def _typed_when(request: Request, state: ScheduleState, group: Group, meeting: Meeting | None) -> When | None:
    """A kind chosen by button, else the kind of the meeting being changed ("Jumat jam 15.00" keeps it every two
    weeks); a monthly rule needs its week, so after "Setiap bulan" nothing else is accepted."""
    kind = state.kind or (meeting.recurrence if meeting else None)
    prefix = _KIND_PREFIX.get(kind, "") if kind else ""
    parsed = parse_when(prefix + request.text, _local_today(request, group), request.content.words)
    if parsed is None or (state.kind == Recurrence.MONTHLY and parsed.recurrence != Recurrence.MONTHLY):
        return None
    return parsed


def _confirm(request: Request, state: ScheduleState, group: Group) -> list[Reply]:
    words = request.content.strings.meetings
    text = words.confirm.format(
        group=group.name,
        rule=wording.rule_text(request.content, state.rule()),
        place=state.place or "-",
        topic=state.topic or words.no_topic,
    )
    return [Reply(text, (Option(words.save_button, "simpan"), Option(words.discard_button, "batal")))]


def _save(request: Request, state: ScheduleState, group: Group) -> list[Reply]:
    words = request.content.strings.meetings
    meeting = _meeting(request, state, group)
    if meeting is None:
        meeting = Meeting(group_id=group.id, created_by_id=request.person.id, version=0)
        request.db.add(meeting)
    else:
        meetings.cancel_pending(request.db, meeting.id)
    rule = state.rule()
    meeting.recurrence, meeting.first_date, meeting.local_time = rule.recurrence, rule.first_date, state.local_time
    meeting.weekday, meeting.week_of_month, meeting.timezone = rule.weekday, rule.week_of_month, rule.timezone
    meeting.place, meeting.topic = state.place, state.topic
    meetings.changed(meeting)
    request.db.flush()
    forms.close(request)
    start = next_occurrence(rule, request.now)
    if start is None:
        raise RuntimeError("a rule without a next meeting got past the check when the time was read")
    day, at = wording.moment_text(request.content, local(start, groups.timezone_of(request.db, request.person, group)))
    return with_menu(request, words.saved.format(next=f"{day}, {at}"))


def _cancel(request: Request, group: Group, meeting: Meeting) -> list[Reply]:
    words = request.content.strings.meetings
    meeting.cancelled_at = request.now
    meetings.changed(meeting)
    meetings.cancel_pending(request.db, meeting.id)
    rule = wording.rule_text(request.content, meetings.rule_of(meeting))
    members = reach.audience(request.db, groups.member_ids(request.db, [group.id]), request.channels)
    for address in members.reachable:
        if address.person_id != request.person.id:
            outbox.enqueue(
                request.db,
                channel=address.channel,
                recipient=address.external_id,
                message=Reply(words.cancelled_notice.format(group=group.name, rule=rule)),
                kind=OutboxKind.REMINDER,
                dedup_key=f"meeting-cancelled:{meeting.id}:{address.person_id}",
                person_id=address.person_id,
            )
    forms.close(request)
    return with_menu(request, words.cancelled.format(group=group.name, rule=rule))


def discarded(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.meetings.discarded)


SCHEDULE = forms.Form(forms.FormName.SCHEDULE, ScheduleState, schedule_form, ask, discarded)
