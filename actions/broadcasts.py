"""`/siaran`: a ketua writes a notice to the groups she leads (a pendamping: the groups they facilitate), sees a
preview with the number of recipients, and confirms. `STATUS SIARAN` shows progress, `BATAL SIARAN` stops it.

Only `groups.led_by` decides whom she may write to, and it is asked again when the notice is sent; the reach rule
(store/reach.py) decides where each member gets it, and the preview counts who cannot get it."""

from __future__ import annotations

import logging
from typing import Any

from actions.replies import Option, Reply, Request, with_menu
from common.enums import BroadcastStatus, OutboxKind
from reminders import wording
from store import broadcasts, groups, outbox, reach
from store.models import Broadcast, Group

log = logging.getLogger(__name__)

BROADCAST_FORM = "broadcast"
MAX_TEXT = 1000


def _word(request: Request) -> str:
    return " ".join(request.text.lower().strip(" .!?").split())


def _set(request: Request, **values: Any) -> None:
    request.state.form_data = {**request.state.form_data, **values}


def _chosen(request: Request) -> list[Group]:
    """The chosen groups the person still leads; anything else in the form data is ignored."""
    wanted = set(request.state.form_data.get("groups", []))
    return [g for g in groups.led_by(request.db, request.person) if g.id in wanted]


def _names(chosen: list[Group]) -> str:
    return ", ".join(g.name for g in chosen)


def start(request: Request) -> list[Reply]:
    words = request.content.strings.broadcasts
    led = groups.led_by(request.db, request.person)
    if not led:
        return with_menu(request, words.not_allowed)
    request.state.form = BROADCAST_FORM
    if len(led) == 1:
        request.state.form_data = {"step": "text", "groups": [led[0].id]}
        return _ask_text(request, led)
    request.state.form_data = {"step": "group"}
    options = [Option(words.all_button.format(count=len(led)), "semua")]
    options += [Option(g.name[:20], f"kelompok {n}") for n, g in enumerate(led[:9], start=1)]
    return [Reply(words.pick_group, tuple(options))]


def _ask_text(request: Request, chosen: list[Group]) -> list[Reply]:
    words = request.content.strings.broadcasts
    return [Reply(words.ask_text.format(groups=_names(chosen)), (Option(words.discard_button, "batal"),))]


def broadcast_form(request: Request) -> list[Reply] | None:
    words, word = request.content.strings.broadcasts, _word(request)
    step = request.state.form_data.get("step")
    if word == "batal":
        request.state.form = None
        return with_menu(request, words.discarded)
    if step == "group":
        led = groups.led_by(request.db, request.person)
        number = word.removeprefix("kelompok").strip()
        if word == "semua":
            chosen = led
        elif number.isdigit() and 1 <= int(number) <= len(led):
            chosen = [led[int(number) - 1]]
        else:
            return None
        _set(request, step="text", groups=[g.id for g in chosen])
        return _ask_text(request, chosen)
    chosen = _chosen(request)
    if not chosen:
        request.state.form = None
        return with_menu(request, words.not_allowed)
    if step == "text":
        text = request.text.strip()
        if len(text) > MAX_TEXT:
            return [Reply(words.too_long.format(limit=MAX_TEXT), (Option(words.discard_button, "batal"),))]
        _set(request, step="confirm", text=text)
        return _preview(request, chosen)
    if step == "confirm":
        if word == "kirim":
            return _send(request, chosen)
        if word == "ubah":
            _set(request, step="text")
            return _ask_text(request, chosen)
        return _preview(request, chosen)
    return None


def _preview(request: Request, chosen: list[Group]) -> list[Reply]:
    words = request.content.strings.broadcasts
    members = [pid for pid in groups.member_ids(request.db, [g.id for g in chosen]) if pid != request.person.id]
    found = reach.audience(request.db, members, request.channels)
    text = words.preview.format(
        text=request.state.form_data.get("text", ""), recipients=len(found.reachable), groups=_names(chosen)
    )
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


def _send(request: Request, chosen: list[Group]) -> list[Reply]:
    words = request.content.strings.broadcasts
    request.state.form = None
    text = str(request.state.form_data.get("text", ""))
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
