"""HAPUS DATA: erase what the assistant keeps about a person, after an explicit yes."""

from __future__ import annotations

from actions.replies import Reply, Request
from store import people

ERASE_FORM = "erase"
_YES = {"ya", "iya", "y", "yes", "ok", "oke", "setuju", "hapus"}


def start_erase(request: Request) -> list[Reply]:
    request.state.form = ERASE_FORM
    request.state.form_data = {}
    return [Reply(request.content.strings.erase_confirm)]


def erase_form(request: Request) -> list[Reply]:
    """Second step: anything but a clear yes cancels, so nothing is deleted by accident."""
    request.state.form = None
    words = request.text.strip().lower().rstrip(".!").split()
    if not words or words[0] not in _YES:
        return [Reply(request.content.strings.erase_cancelled)]
    kept_in_directory = people.erase(request.db, request.person)
    request.erased = True
    strings = request.content.strings
    return [Reply(strings.erase_done_directory if kept_in_directory else strings.erase_done)]
