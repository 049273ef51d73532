"""`/jadwal`: a ketua or pendamping sets, changes or cancels the meetings of the groups they lead.

Steps: group (when there are several) → what to do → when → place → topic → confirm. Each step offers buttons;
typed answers work too. Only `groups.led_by` decides which groups can be touched, at every step and again when
saving, so no text or forged button reaches another group.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from actions import groups as groups_actions
from actions.replies import Option, Reply, Request, with_menu
from common.enums import OutboxKind, Recurrence
from reminders import meetings, wording
from reminders.recurrence import Rule, next_occurrence
from reminders.when import When, parse_when
from store import groups, outbox, reach
from store.models import Group, Meeting

SCHEDULE_FORM = "schedule"
_KINDS = {
    "bulanan": Recurrence.MONTHLY,
    "dua mingguan": Recurrence.BIWEEKLY,
    "mingguan": Recurrence.WEEKLY,
    "sekali": Recurrence.ONCE,
}
_KIND_PREFIX = {Recurrence.BIWEEKLY: "2 minggu sekali ", Recurrence.WEEKLY: "setiap "}
_MAX_LISTED = 4


def start(request: Request) -> list[Reply]:
    led = groups.led_by(request.db, request.person)
    words = request.content.strings.meetings
    if not led:
        # Someone who leads no group and asks for "the schedule" gets the meetings she can attend.
        return [Reply(words.not_allowed), *groups_actions.ask_meeting(request)]
    if len(led) == 1:
        return _group_menu(request, led[0])
    request.state.form, request.state.form_data = SCHEDULE_FORM, {"step": "group"}
    options = tuple(Option(g.name[:20], f"kelompok {n}") for n, g in enumerate(led[:10], start=1))
    return [Reply(words.pick_group, options)]


def _word(request: Request) -> str:
    return " ".join(request.text.lower().strip(" .!?").split())


def _set(request: Request, **values: Any) -> None:
    request.state.form_data = {**request.state.form_data, **values}


def _group(request: Request) -> Group | None:
    """The chosen group, only while the person still leads it."""
    wanted = request.state.form_data.get("group")
    return next((g for g in groups.led_by(request.db, request.person) if g.id == wanted), None)


def _meeting(request: Request, group: Group) -> Meeting | None:
    wanted = request.state.form_data.get("meeting")
    return next((m for m in meetings.active(request.db, [group.id]) if m.id == wanted), None)


def _group_menu(request: Request, group: Group) -> list[Reply]:
    words = request.content.strings.meetings
    request.state.form, request.state.form_data = SCHEDULE_FORM, {"step": "menu", "group": group.id}
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


def schedule_form(request: Request) -> list[Reply] | None:
    words = request.content.strings.meetings
    data, word = request.state.form_data, _word(request)
    if word == "batal":
        request.state.form = None
        return with_menu(request, words.discarded)
    if data.get("step") == "group":
        led = groups.led_by(request.db, request.person)
        number = word.removeprefix("kelompok").strip()
        chosen = led[int(number) - 1] if number.isdigit() and 1 <= int(number) <= len(led) else None
        chosen = chosen or next((g for g in led if g.name.lower() == word), None)
        return _group_menu(request, chosen) if chosen else None
    group = _group(request)
    if group is None:
        request.state.form = None
        return with_menu(request, words.not_allowed)
    step = data.get("step")
    if step == "menu":
        return _menu_choice(request, group, word)
    if step == "when":
        return _when(request, group, word)
    if step == "place":
        _set(request, place=_keep_or(request, group, "place", request.text.strip()[:200]), step="topic")
        return _ask_topic(request, group)
    if step == "topic":
        topic = "" if word == "lewati" else request.text.strip()[:200]
        _set(request, topic=_keep_or(request, group, "topic", topic), step="confirm")
        return _confirm(request, group)
    if step == "confirm":
        return _save(request, group) if word == "simpan" else _confirm(request, group)
    return None


def _keep_or(request: Request, group: Group, field: str, value: str) -> str:
    meeting = _meeting(request, group)
    return str(getattr(meeting, field)) if meeting is not None and _word(request) == "tetap" else value


def _menu_choice(request: Request, group: Group, word: str) -> list[Reply] | None:
    words = request.content.strings.meetings
    action, _, number = word.partition(" ")
    listed = meetings.active(request.db, [group.id])[:_MAX_LISTED]
    chosen = listed[int(number) - 1] if number.isdigit() and 1 <= int(number) <= len(listed) else None
    if action == "baru":
        _set(request, step="when", meeting=None)
    elif action == "ubah" and chosen is not None:
        _set(request, step="when", meeting=chosen.id)
    elif action == "batalkan" and chosen is not None:
        return _cancel(request, group, chosen)
    else:
        return None
    return [Reply(words.ask_when, _when_options(request, group))]


def _when_options(request: Request, group: Group) -> tuple[Option, ...]:
    words = request.content.strings.meetings
    options = [
        Option(words.monthly_button, "bulanan"),
        Option(words.biweekly_button, "dua mingguan"),
        Option(words.weekly_button, "mingguan"),
        Option(words.once_button, "sekali"),
    ]
    if _meeting(request, group) is not None:
        options.insert(0, Option(words.keep_button, "tetap"))
    return (*options, Option(words.discard_button, "batal"))


def _local_today(request: Request, group: Group) -> date:
    return wording.local(request.now, groups.timezone_of(request.db, request.person, group)).date()


def _when(request: Request, group: Group, word: str) -> list[Reply]:
    words = request.content.strings.meetings
    meeting = _meeting(request, group)
    titles = {
        words.monthly_button.lower(): Recurrence.MONTHLY,
        words.biweekly_button.lower(): Recurrence.BIWEEKLY,
        words.weekly_button.lower(): Recurrence.WEEKLY,
        words.once_button.lower(): Recurrence.ONCE,
    }
    kind = _KINDS.get(word) or titles.get(word)  # the button's payload, or its title typed
    if kind is not None:
        _set(request, kind=kind)
        example = getattr(words, f"{kind}_example")
        return [Reply(words.ask_when_kind.format(example=example))]
    if word == "tetap" and meeting is not None:
        when = When(
            meeting.recurrence,
            meeting.first_date,
            wording.parse_clock(meeting.local_time),
            meeting.weekday,
            meeting.week_of_month,
        )
    else:
        # A kind chosen by button, else the kind of the meeting being changed ("Jumat jam 15.00" keeps it
        # every two weeks); a monthly rule needs its week, so after "Setiap bulan" nothing else is accepted.
        chosen = request.state.form_data.get("kind")
        kind = Recurrence(chosen) if chosen else meeting.recurrence if meeting else None
        prefix = _KIND_PREFIX.get(kind, "") if kind else ""
        parsed = parse_when(prefix + request.text, _local_today(request, group))
        if parsed is None or (chosen == Recurrence.MONTHLY and parsed.recurrence != Recurrence.MONTHLY):
            return [Reply(words.bad_when, _when_options(request, group))]
        when = parsed
    timezone = meeting.timezone if meeting else groups.timezone_of(request.db, request.person, group)
    rule = Rule(when.recurrence, when.first_date, when.local_time, timezone, when.weekday, when.week_of_month)
    if next_occurrence(rule, request.now) is None:
        return [Reply(words.in_the_past, _when_options(request, group))]
    _set(
        request,
        recurrence=when.recurrence,
        first_date=when.first_date.isoformat(),
        local_time=when.local_time.strftime("%H:%M"),
        weekday=when.weekday,
        week_of_month=when.week_of_month,
        timezone=timezone,
    )
    if when.place:
        _set(request, place=when.place[:200], step="topic")
        return _ask_topic(request, group)
    _set(request, step="place")
    keep = (Option(words.keep_button, "tetap"),) if meeting is not None else ()
    return [Reply(words.ask_place, (*keep, Option(words.discard_button, "batal")))]


def _ask_topic(request: Request, group: Group) -> list[Reply]:
    words = request.content.strings.meetings
    keep = (Option(words.keep_button, "tetap"),) if _meeting(request, group) is not None else ()
    return [Reply(words.ask_topic, (*keep, Option(words.skip_button, "lewati"), Option(words.discard_button, "batal")))]


def _rule(data: dict[str, Any]) -> Rule:
    return Rule(
        data["recurrence"],
        date.fromisoformat(data["first_date"]),
        wording.parse_clock(data["local_time"]),
        data["timezone"],
        data.get("weekday"),
        data.get("week_of_month"),
    )


def _confirm(request: Request, group: Group) -> list[Reply]:
    words, data = request.content.strings.meetings, request.state.form_data
    text = words.confirm.format(
        group=group.name,
        rule=wording.rule_text(request.content, _rule(data)),
        place=data.get("place") or "-",
        topic=data.get("topic") or words.no_topic,
    )
    return [Reply(text, (Option(words.save_button, "simpan"), Option(words.discard_button, "batal")))]


def _save(request: Request, group: Group) -> list[Reply]:
    words, data = request.content.strings.meetings, request.state.form_data
    meeting = _meeting(request, group)
    if meeting is None:
        meeting = Meeting(group_id=group.id, created_by_id=request.person.id, version=0)
        request.db.add(meeting)
    else:
        meetings.cancel_pending(request.db, meeting.id)
    rule = _rule(data)
    meeting.recurrence, meeting.first_date, meeting.local_time = rule.recurrence, rule.first_date, data["local_time"]
    meeting.weekday, meeting.week_of_month, meeting.timezone = rule.weekday, rule.week_of_month, rule.timezone
    meeting.place, meeting.topic = data.get("place") or "", data.get("topic") or ""
    meetings.changed(meeting)
    request.db.flush()
    request.state.form = None
    start = next_occurrence(rule, request.now)
    if start is None:
        raise RuntimeError("a rule without a next meeting got past the check when the time was read")
    day, at = wording.moment_text(
        request.content, wording.local(start, groups.timezone_of(request.db, request.person, group))
    )
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
    request.state.form = None
    return with_menu(request, words.cancelled.format(group=group.name, rule=rule))
