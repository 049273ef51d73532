"""`/siaran`: a ketua writes a notice to the groups she leads (a pendamping: the groups they facilitate), sees a
preview with the number of recipients, and confirms. `STATUS SIARAN` shows progress, `BATAL SIARAN` stops it.

Only `groups.led_by` decides whom she may write to, and it is asked again when the notice is sent; the reach rule
(store/reach.py) decides where each member gets it, and the preview counts who cannot get it."""

from __future__ import annotations

import logging
from typing import Literal

from actions import forms
from actions.replies import Option, Reply, Request, with_menu
from common.enums import BroadcastStatus, OutboxKind
from content.words_schema import plain
from reminders import wording
from store import broadcasts, groups, outbox, reach
from store.models import Broadcast, Group

log = logging.getLogger(__name__)

MAX_TEXT = 1000


class BroadcastState(forms.FormState):
    TEXT_STEPS = frozenset({"text"})
    step: Literal["group", "text", "confirm"]
    groups: tuple[int, ...] = ()
    text: str = ""


def _chosen(request: Request, state: BroadcastState) -> list[Group]:
    """The chosen groups the person still leads; anything else in the form state is ignored."""
    return [g for g in groups.led_by(request.db, request.person) if g.id in state.groups]


def _names(chosen: list[Group]) -> str:
    return ", ".join(g.name for g in chosen)


def start(request: Request) -> list[Reply]:
    led = groups.led_by(request.db, request.person)
    if not led:
        return with_menu(request, request.content.strings.broadcasts.not_allowed)
    state = BroadcastState(step="text", groups=(led[0].id,)) if len(led) == 1 else BroadcastState(step="group")
    forms.start(request, BROADCAST, state)
    return ask(request, state)


def ask(request: Request, state: BroadcastState) -> list[Reply]:
    words = request.content.strings.broadcasts
    if state.step == "group":
        led = groups.led_by(request.db, request.person)
        options = [Option(words.all_button.format(count=len(led)), "semua")]
        options += [Option(g.name[:20], f"kelompok {n}") for n, g in enumerate(led[:9], start=1)]
        return [Reply(words.pick_group, tuple(options))]
    chosen = _chosen(request, state)
    if state.step == "text":
        return [Reply(words.ask_text.format(groups=_names(chosen)), (Option(words.discard_button, "batal"),))]
    return _preview(request, state, chosen)


def broadcast_form(request: Request, state: BroadcastState) -> list[Reply] | None:
    words, word = request.content.strings.broadcasts, plain(request.text)
    if state.step == "group":
        led = groups.led_by(request.db, request.person)
        number = word.removeprefix("kelompok").strip()
        if word == "semua":
            state.groups = tuple(g.id for g in led)
        elif number.isdigit() and 1 <= int(number) <= len(led):
            state.groups = (led[int(number) - 1].id,)
        else:
            return None
        state.step = "text"
        return ask(request, state)
    chosen = _chosen(request, state)
    if not chosen:
        forms.close(request)
        return with_menu(request, words.not_allowed)
    if state.step == "text":
        if len(request.text.strip()) > MAX_TEXT:
            return [Reply(words.too_long.format(limit=MAX_TEXT), (Option(words.discard_button, "batal"),))]
        state.step, state.text = "confirm", request.text.strip()
    elif word in request.content.words.send:
        return _send(request, state, chosen)
    elif word == "ubah":
        state.step = "text"
    return ask(request, state)


def discarded(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.broadcasts.discarded)


def _preview(request: Request, state: BroadcastState, chosen: list[Group]) -> list[Reply]:
    words = request.content.strings.broadcasts
    members = [pid for pid in groups.member_ids(request.db, [g.id for g in chosen]) if pid != request.person.id]
    found = reach.audience(request.db, members, request.channels)
    text = words.preview.format(text=state.text, recipients=len(found.reachable), groups=_names(chosen))
    if found.unreachable:
        text += "\n" + words.unreachable.format(count=len(found.unreachable))
    if found.opted_out:
        text += "\n" + words.opted_out.format(count=len(found.opted_out))
    options = (
        Option(words.send_button, "kirim"),
        Option(words.edit_button, "ubah"),
        Option(words.discard_button, "batal"),
    )
    return [Reply(text, options)]


def _send(request: Request, state: BroadcastState, chosen: list[Group]) -> list[Reply]:
    words, text = request.content.strings.broadcasts, state.text
    forms.close(request)
    sender = request.person.name or words.default_sender
    notice = Reply(words.notice.format(sender=sender, groups=_names(chosen), text=text))
    group_ids = [g.id for g in chosen]
    broadcast = broadcasts.create(request.db, request.person, group_ids, text, notice, request.now, request.channels)
    log.info(
        "broadcast %d by person %d to groups %s: %d recipients, %d opted out, %d unreachable",
        broadcast.id,
        request.person.id,
        broadcast.group_ids,
        broadcast.recipients,
        broadcast.skipped_opted_out,
        broadcast.skipped_unreachable,
    )
    if broadcast.recipients == 0:
        return with_menu(request, words.nobody.format(groups=_names(chosen)))
    _enqueue_progress(request, broadcast)
    options = (Option(words.status_button, "status siaran"), Option(words.cancel_button, "batal siaran"))
    return [Reply(words.started.format(recipients=broadcast.recipients), options)]


def _enqueue_progress(request: Request, broadcast: Broadcast) -> None:
    """The message the sender watches: "Terkirim 0/350", edited as rows are sent (reminders/broadcast_watch.py)."""
    words = request.content.strings.broadcasts
    address = reach.address(request.db, request.person.id, request.channels)
    if address is None:
        return
    outbox.enqueue(
        request.db,
        channel=address.channel,
        recipient=address.external_id,
        message=Reply(
            words.progress.format(number=broadcast.id, sent=0, total=broadcast.recipients), progress_of=broadcast.id
        ),
        kind=OutboxKind.PROGRESS,
        dedup_key=f"broadcast:{broadcast.id}:progress",
        person_id=request.person.id,
    )


def status(request: Request) -> list[Reply]:
    words = request.content.strings.broadcasts
    broadcast = broadcasts.latest_of(request.db, request.person)
    if broadcast is None:
        return with_menu(request, words.none_sent)
    counts = broadcasts.tally(request.db, broadcast.id)
    # Closing the broadcast is left to the watcher, which also sends the report.
    if broadcast.status == BroadcastStatus.SENDING and any(status not in broadcasts.FINAL for status in counts):
        options = (Option(words.status_button, "status siaran"), Option(words.cancel_button, "batal siaran"))
        return [Reply(wording.progress_text(request.content, broadcast, counts), options)]
    return with_menu(request, wording.report_text(request.content, broadcast, counts))


def cancel(request: Request) -> list[Reply]:
    words = request.content.strings.broadcasts
    broadcast = broadcasts.latest_of(request.db, request.person)
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return with_menu(request, words.not_running)
    stopped = broadcasts.cancel(request.db, broadcast)
    text = words.cancelled.format(number=broadcast.id, cancelled=stopped)
    return [Reply(text, (Option(words.status_button, "status siaran"),))]


BROADCAST = forms.Form(forms.FormName.BROADCAST, BroadcastState, broadcast_form, ask, discarded)
