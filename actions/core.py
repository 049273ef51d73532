"""Small talk and the way back to the menu: greet, goodbye, thanks, help, bot_challenge, fallback."""

from __future__ import annotations

from actions import knowledge
from actions.replies import Reply, Request, with_menu


def greet(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.greet)


def goodbye(request: Request) -> list[Reply]:
    return [Reply(request.content.strings.goodbye)]


def thanks(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.thanks)


def help_menu(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.help)


def bot_challenge(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.bot_challenge)


def out_of_scope(request: Request) -> list[Reply]:
    if knowledge.is_question(request.text, request.content):
        return knowledge.unknown(request)
    return with_menu(request, request.content.strings.out_of_scope)


def fallback(request: Request) -> list[Reply]:
    """Not understood: a question gets the honest "no sure answer" and the way to the pendamping."""
    if knowledge.is_question(request.text, request.content):
        return knowledge.unknown(request)
    return with_menu(request, request.content.strings.fallback)


def affirm(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.affirm_without_question)


def deny(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.deny_without_question)


def not_available_yet(request: Request) -> list[Reply]:
    return with_menu(request, request.content.strings.not_available_yet)
