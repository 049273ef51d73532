"""HAPUS DATA: erase what the assistant keeps about a person, after an explicit yes."""

from __future__ import annotations

from typing import Literal

from actions import forms
from actions.replies import Reply, Request
from store import people


class EraseState(forms.FormState):
    step: Literal["confirm"] = "confirm"


def start_erase(request: Request) -> list[Reply]:
    forms.start(request, ERASE, EraseState())
    return ask(request, EraseState())


def ask(request: Request, state: EraseState) -> list[Reply]:
    return [Reply(request.content.strings.erase_confirm)]


def erase(request: Request, state: EraseState) -> list[Reply]:
    """Anything but a clear yes cancels, so nothing is deleted by accident."""
    forms.close(request)
    words, first = request.content.words, request.text.strip().lower().rstrip(".!").split()[:1]
    if not first or not {first[0]} & (words.yes | words.erase):
        return cancelled(request)
    kept_in_directory = people.erase(request.db, request.person)
    request.erased = True
    strings = request.content.strings
    return [Reply(strings.erase_done_directory if kept_in_directory else strings.erase_done)]


def cancelled(request: Request) -> list[Reply]:
    return [Reply(request.content.strings.erase_cancelled)]


ERASE = forms.Form(forms.FormName.ERASE, EraseState, erase, ask, cancelled)
