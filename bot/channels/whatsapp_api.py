"""WhatsApp Cloud API, sending side: replies rendered within WhatsApp's limits, and the outbox transport.

Options become reply buttons (≤3, titles ≤20 characters), a list (≤10 rows, titles ≤24) or numbered text.
Outside the 24-hour customer-service window a message the assistant starts goes as the approved template configured
for its kind (reminder, notice), its text as the template's one body parameter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.budget import SendBudget
from bot.channels.text import shorten, split_text
from bot.outbox import Limits, SendFailure
from bot.settings import WHATSAPP_TEMPLATE_VARIABLES, WhatsAppSettings
from common.enums import Channel, Lane, OutboxKind
from common.messages import Reply
from content.schema import Strings
from store import channels
from store.db import Database

log = logging.getLogger(__name__)

CHANNEL = Channel.WHATSAPP
TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT, MAX_BUTTONS = 20, 3
ROW_TITLE_LIMIT, ROW_DESCRIPTION_LIMIT, MAX_ROWS = 24, 72, 10
ID_LIMIT = 200  # list row ids: 200 characters (button ids allow 256)
TEMPLATE_PARAMETER_LIMIT = 1024
# Leave a margin: a message queued at 23h59 may leave a little later.
WINDOW = timedelta(hours=23, minutes=50)

# Over a limit of the whole number or app (130429 throughput, 80007 and 4 call rate, 131048 spam rate): every
# process waits. Over the pair rate with one person (131056, about one message per 6 s): only she does.
ACCOUNT_LIMITED = {4, 80007, 130429, 131048}
PAIR_LIMITED = 131056
ACCOUNT_WAIT, PAIR_WAIT = 1.0, 6.0
BLOCKED = {131050}  # the person stopped messages from this business
WINDOW_CLOSED = 131047  # "re-engagement message": more than 24 hours since the person last wrote

Shortener = Callable[[list[str]], list[str]]


def sending_limits(rate: float) -> Limits:
    """WhatsApp's rate, with enough messages in flight per process to keep it (a request takes tens of ms)."""
    return Limits(per_second=rate, concurrency=max(4, int(rate) // 10))


def render(text: str, options: Sequence[tuple[str, str]], strings: Strings, ids: Shortener) -> list[dict[str, Any]]:
    """One reply as Graph API message objects (without `to`)."""
    pieces = split_text(text, TEXT_LIMIT)
    keys = ids([payload for _, payload in options]) if options else []
    interactive: dict[str, Any] | None = None
    if options and len(set(keys)) == len(keys):
        if len(options) <= MAX_BUTTONS and all(len(title) <= BUTTON_TITLE_LIMIT for title, _ in options):
            buttons = [
                {"type": "reply", "reply": {"id": k, "title": t}} for (t, _), k in zip(options, keys, strict=True)
            ]
            interactive = {"type": "button", "action": {"buttons": buttons}}
        elif len(options) <= MAX_ROWS:
            rows = []
            for (title, _), key in zip(options, keys, strict=True):
                row = {"id": key, "title": shorten(title, ROW_TITLE_LIMIT)}
                if len(title) > ROW_TITLE_LIMIT:
                    row["description"] = shorten(title, ROW_DESCRIPTION_LIMIT)
                rows.append(row)
            section = {"title": shorten(strings.more_options, ROW_TITLE_LIMIT), "rows": rows}
            interactive = {"type": "list", "action": {"button": strings.options_button, "sections": [section]}}
    if interactive is None and options:  # numbered text: the dialogue reads a number as a pick of the last menu
        numbered = "\n".join(f"{n}. {title}" for n, (title, _) in enumerate(options, start=1))
        pieces = split_text(f"{text}\n\n{strings.options_intro}\n{numbered}", TEXT_LIMIT)
    messages: list[dict[str, Any]] = []
    if interactive is not None:
        last = split_text(pieces.pop(), INTERACTIVE_BODY_LIMIT)
        pieces += last[:-1]
        interactive["body"] = {"text": last[-1]}
    messages += [{"type": "text", "text": {"body": piece, "preview_url": False}} for piece in pieces]
    if interactive is not None:
        messages.append({"type": "interactive", "interactive": interactive})
    return messages


def template(name: str, language: str, text: str) -> dict[str, Any]:
    # Template parameters may not hold line breaks or tabs.
    flat = shorten(" ".join(text.split()), TEMPLATE_PARAMETER_LIMIT)
    parameters = [{"type": "text", "text": flat}]
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": parameters}],
        },
    }


class WindowClosed(Exception):
    """Graph refused a free-form message: the person has not written in the last 24 hours."""


class GraphClient:
    """A thin client for POST /{phone_number_id}/messages, each message on a slot of the number's send budget;
    errors come out as SendFailure."""

    def __init__(self, settings: WhatsAppSettings, budget: SendBudget) -> None:
        self.budget = budget
        self.url = f"{settings.api_base_url}/{settings.phone_number_id}/messages"
        self.headers = {"Authorization": f"Bearer {settings.token}"}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.budget.close()

    async def send(self, recipient: str, message: dict[str, Any], lane: Lane = Lane.URGENT) -> str:
        await self.budget.slot(lane)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, **message}
        try:
            async with self._session.post(self.url, json=payload, headers=self.headers) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailure("retry", f"network error: {error!r}") from error
        if status == 200 and isinstance(data, dict) and data.get("messages"):
            return str(data["messages"][0]["id"])
        problem = data.get("error", {}) if isinstance(data, dict) else {}
        code = problem.get("code")
        reason = f"HTTP {status}, code {code}: {problem.get('message') or 'no error message'}"
        details = (problem.get("error_data") or {}).get("details") if isinstance(problem, dict) else None
        if details:
            reason += f" ({details})"
        if code == PAIR_LIMITED:
            raise SendFailure("retry", reason, retry_after=_seconds(retry_after) or PAIR_WAIT)
        if status == 429 or code in ACCOUNT_LIMITED:
            wait = _seconds(retry_after) or ACCOUNT_WAIT
            await self.budget.hold(wait)
            raise SendFailure("retry", reason, retry_after=wait)
        if status >= 500:
            raise SendFailure("retry", reason)
        if code == WINDOW_CLOSED:
            raise WindowClosed(reason)
        if status == 403 or code in BLOCKED:
            raise SendFailure("blocked", reason)
        raise SendFailure("failed", reason)


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None


class WhatsAppTransport:
    """The outbox's way to WhatsApp. Replies go free-form (the person just wrote); what the assistant starts goes
    free-form inside the 24-hour window and as its kind's template outside it."""

    channel = CHANNEL

    def __init__(self, settings: WhatsAppSettings, client: GraphClient, db: Database, strings: Strings) -> None:
        self.settings, self.client, self.db, self.strings = settings, client, db, strings

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        if message.edit_of is not None:
            # WhatsApp cannot edit a sent message: a broadcast's progress is not sent again at every count.
            return message.edit_of
        text = message.text
        if kind != OutboxKind.REPLY and not await asyncio.to_thread(self._window_open, recipient):
            return await self._send_template(recipient, kind, text, lane)
        options = [(option.title, option.payload) for option in message.options]
        messages = await asyncio.to_thread(render, text, options, self.strings, self._ids)
        platform_id, sent = "", first_part
        try:
            for piece in messages[first_part:]:
                platform_id = await self.client.send(recipient, piece, lane)
                sent += 1
        except SendFailure as failure:
            failure.parts_sent = sent  # a retry goes on from the part that failed
            raise
        except WindowClosed:
            if kind == OutboxKind.REPLY:
                raise SendFailure("failed", "WhatsApp says the 24-hour window is closed for a reply") from None
            return await self._send_template(recipient, kind, text, lane)
        return platform_id

    async def _send_template(self, recipient: str, kind: OutboxKind, text: str, lane: Lane) -> str:
        name = self.settings.templates.get(kind)
        if name is None:
            variable = WHATSAPP_TEMPLATE_VARIABLES.get(kind, "WHATSAPP_TEMPLATE_NOTICE")
            raise SendFailure("failed", f"outside the 24-hour window and no template for {kind} messages ({variable})")
        try:
            return await self.client.send(recipient, template(name, self.settings.template_language, text), lane)
        except SendFailure as failure:
            if failure.kind != "failed":
                raise
            raise SendFailure("failed", f"template {name!r} refused: {failure.reason}") from failure
        except WindowClosed as closed:
            raise SendFailure("failed", f"template {name!r} refused: {closed}") from closed

    def _window_open(self, recipient: str) -> bool:
        with self.db.session() as session:
            last = channels.last_inbound_at(session, CHANNEL, recipient)
        return last is not None and datetime.now(UTC) - last < WINDOW

    def _ids(self, payloads: list[str]) -> list[str]:
        if all(len(payload) <= ID_LIMIT for payload in payloads):
            return payloads
        with self.db.session() as session:
            return [channels.short_payload(session, payload, ID_LIMIT) for payload in payloads]
