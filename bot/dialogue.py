"""The dialogue router: one inbound message in, replies out, whatever the channel (docs/architecture.md).

Two messages of one person are never handled at once, in any process (store/locks.py), and no database transaction
stays open while the NLU parses: a turn that needs the NLU is rolled back, the text parsed, and the turn run again
with the parse (under the person's lock nothing of hers changed meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from actions import forms
from actions.registry import ACTIONS, COMMANDS, FORMS, HELD_BACK, TEXT_COMMANDS
from actions.replies import Reply, Request, menu_options
from bot.logs import masked_id
from common.enums import Channel, Direction
from common.messages import Payload
from content.loader import Content
from nlu.client import FALLBACK_INTENT, NluUnavailable, Parse
from store import people
from store.dashboard_access import mask_login_links
from store.db import Database
from store.locks import PersonLocks
from store.models import ProcessedMessage, Turn
from store.privacy import mask_personal_numbers
from store.reach import Channels

log = logging.getLogger(__name__)

# Longer messages are not sent to the NLU: nobody types this much on a phone, and it would only slow it down.
MAX_TEXT = 1500


class Parser(Protocol):
    def parse(self, text: str) -> Parse: ...


@dataclass(frozen=True)
class Inbound:
    """One message from any channel, in the same shape."""

    channel: Channel
    sender: str
    text: str = ""
    # The platform's id for this message: a retried webhook carries the same one and is answered once.
    message_id: str | None = None
    # Written in a group chat (Telegram): the answer is read by everyone there, so no privacy notice goes with it;
    # she gets it with her first answer in a private chat.
    in_group: bool = False


@dataclass(frozen=True)
class Understood:
    intent: str
    entities: dict[str, list[str]]
    confidence: float | None = None


class _NeedsParse(Exception):
    """The turn reached the NLU: roll its transaction back and parse outside it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# Text → what the NLU understood (None: the NLU was unavailable), carried into the turn's second run.
Parsed = dict[str, Understood | None]


def with_notice(notice: str, replies: list[Reply]) -> list[Reply]:
    """The privacy notice at the top of the first reply: one platform message, not two (Telegram allows one bot 30
    messages a second, so a separate notice halved how many new people it could answer at once)."""
    if not replies or replies[0].edit_of is not None:
        return [Reply(notice), *replies]
    first = replies[0]
    return [replace(first, text=f"{notice}\n\n{first.text}"), *replies[1:]]


class Router:
    def __init__(
        self,
        db: Database,
        content: Content,
        nlu: Parser,
        clock: Callable[[], datetime] | None = None,
        public_url: str = "",
        *,
        channels: Channels,
    ) -> None:
        self.db = db
        self.content = content
        self.nlu = nlu
        # The channels messages can be started on here (bot/app.py, from the settings): store/reach.py.
        self.channels = channels
        self.clock = clock or (lambda: datetime.now(UTC))
        self.public_url = public_url
        self.locks = PersonLocks(db.engine)

    def handle(self, inbound: Inbound) -> list[Reply]:
        with self.locks.held(inbound.channel, inbound.sender):
            return self._handle_safely(inbound)

    def _handle_safely(self, inbound: Inbound) -> list[Reply]:
        try:
            return self._handle(inbound)
        except IntegrityError:  # the same message handled at the same moment by another worker
            earlier = self._earlier_answer(inbound)
            if earlier is not None:
                return earlier
            raise
        except Exception:
            log.exception("failed to handle a %s message from %s", inbound.channel, masked_id(inbound.sender))
            return [Reply(self.content.strings.internal_error)]

    def _earlier_answer(self, inbound: Inbound) -> list[Reply] | None:
        """The answer already given to this platform message, or None if it is new."""
        if inbound.message_id is None:
            return None
        with self.db.session() as db:
            seen = db.get(ProcessedMessage, (inbound.channel, inbound.message_id))
            if seen is None:
                return None
            return [Reply.from_body(body) for body in seen.replies]

    def delivered(self, inbound: Inbound) -> None:
        """The channel has put the answer in front of the person: a later retry of the message gets nothing."""
        if inbound.message_id is None:
            return
        with self.db.session() as db:
            db.execute(
                update(ProcessedMessage)
                .where(ProcessedMessage.channel == inbound.channel, ProcessedMessage.message_id == inbound.message_id)
                .values(replies=[])
            )

    def _handle(self, inbound: Inbound) -> list[Reply]:
        earlier = self._earlier_answer(inbound)
        if earlier is not None:
            # Acted on once already; the platform retried because our answer may not have reached the person.
            log.info(
                "answering a retried %s message %s again, without acting on it", inbound.channel, inbound.message_id
            )
            return earlier
        try:
            return self._turn(inbound, {})
        except _NeedsParse as needed:
            parsed: Parsed = {}
            try:
                parsed[needed.text] = self._understand(needed.text)
            except NluUnavailable as error:
                log.warning("NLU unavailable: %s", error)
                parsed[needed.text] = None
            return self._turn(inbound, parsed)

    def _turn(self, inbound: Inbound, parsed: Parsed) -> list[Reply]:
        with self.db.session() as db:
            seen = None
            if inbound.message_id is not None:
                seen = ProcessedMessage(channel=inbound.channel, message_id=inbound.message_id)
                db.add(seen)
                db.flush()
            now = self.clock()
            person, _ = people.find_or_create(db, inbound.channel, inbound.sender, now)
            state = people.state_of(db, person)
            text = inbound.text.strip()
            request = Request(
                db, person, state, self.content, text, "", self.channels, now=now, public_url=self.public_url
            )
            replies, understood = self._reply(request, parsed)
            request.text = text
            if not request.erased and person.privacy_notice_at is None and not inbound.in_group:
                person.privacy_notice_at = request.now
                replies = with_notice(self.content.strings.privacy_notice, replies)
            if seen is not None:
                seen.replies = [reply.as_body() for reply in replies]
            if request.erased:
                return replies
            menus = [reply.options for reply in replies if reply.options]
            if menus:  # a reply without options leaves the last menu sent in force
                state.menu = [option.payload for option in menus[-1]]
            self._record(request, inbound.channel, understood, replies)
            intent = understood.intent if understood else "-"
            log.info("%s message from %s: %s", inbound.channel, masked_id(inbound.sender), intent)
            return replies

    def _reply(self, request: Request, parsed: Parsed) -> tuple[list[Reply], Understood | None]:
        state = request.state
        if state.form is not None and self._fixed(request.text) is None:
            # A form in progress reads the message before any menu number does (actions/forms.py).
            replies = forms.take(request, FORMS)
            if replies is not None:
                return replies, None
        text = request.text
        if text.isdigit() and state.menu:
            number = int(text)
            if not 1 <= number <= len(state.menu):
                return [Reply(self.content.strings.menu_pick_unknown.format(number=number))], None
            text = request.text = state.menu[number - 1]
        if _command_key(text) in COMMANDS:
            state.form = None  # "menu", "HAPUS DATA", "BERHENTI": the person leaves whatever was in progress
        understood = self._fixed(text)
        payload = Payload.parse(text) if understood is None else None
        if payload is not None:
            understood = Understood(payload.intent, payload.entities, 1.0)
        if understood is None:
            if not text:
                return self._menu_reply(self.content.strings.empty_message), None
            if not any(ch.isalnum() for ch in text):  # emoji or punctuation only: nothing for the NLU to read
                return self._menu_reply(self.content.strings.fallback), None
            if len(text) > MAX_TEXT:
                return self._menu_reply(self.content.strings.too_long), None
            if text not in parsed:
                raise _NeedsParse(text)
            understood = parsed[text]
            if understood is None:
                return self._menu_reply(self.content.strings.nlu_unavailable), None
            request.intent, request.entities = understood.intent, understood.entities
            held = HELD_BACK(request)
            if held is not None:
                return held, understood
        request.intent, request.entities = understood.intent, understood.entities
        action = ACTIONS.get(understood.intent, ACTIONS[FALLBACK_INTENT])
        return action(request), understood

    @staticmethod
    def _fixed(text: str) -> Understood | None:
        """A fixed command ("menu", "HAPUS DATA"), or a typed tool with arguments ("catat keluar 15000 beras"):
        one meaning whatever the NLU would say, and before any form. A typed tool leaves a form open."""
        command = COMMANDS.get(_command_key(text))
        if command is not None:
            return Understood(command, {}, 1.0)
        for pattern, intent in TEXT_COMMANDS:
            match = pattern.match(text.strip())
            if match:
                return Understood(intent, {k: [v.strip()] for k, v in match.groupdict().items() if v is not None}, 1.0)
        return None

    def _understand(self, text: str) -> Understood:
        parse = self.nlu.parse(text)
        entities: dict[str, list[str]] = {}
        for entity in parse.entities:
            value = entity.value.upper() if entity.entity == "ticket" else entity.value
            entities.setdefault(entity.entity, [])
            if value not in entities[entity.entity]:
                entities[entity.entity].append(value)
        # The catalogue topic the NLU is sure enough of, as a button would name it (actions/knowledge.py).
        if parse.answered_topic is not None:
            entities["topic"] = [parse.answered_topic]
        return Understood(parse.intent, entities, parse.confidence)

    def _menu_reply(self, text: str) -> list[Reply]:
        return [Reply(text, menu_options(self.content.strings.main_menu))]

    def _record(self, request: Request, channel: Channel, understood: Understood | None, replies: list[Reply]) -> None:
        person_id = request.person.id
        request.db.add(
            Turn(
                person_id=person_id,
                channel=channel,
                direction=Direction.IN,
                text=mask_personal_numbers(request.text[:MAX_TEXT]),
                intent=understood.intent if understood else None,
                confidence=understood.confidence if understood else None,
                topic=request.topic,
                created_at=request.now,
            )
        )
        for reply in replies:
            # A sign-in link is kept without its token: the history must not hold a way into the dashboard.
            text = mask_login_links(reply.text)
            request.db.add(Turn(person_id=person_id, channel=channel, direction=Direction.OUT, text=text))


def _command_key(text: str) -> str:
    return " ".join(text.lower().split())
