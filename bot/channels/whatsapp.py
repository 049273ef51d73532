"""The WhatsApp Cloud API channel, receiving side: the webhook and the worker that answers what it accepted.

POST /webhooks/whatsapp checks X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret) before
reading anything. Messages are then written to the inbox table and only then answered 200: a crash after the 200
cannot lose a message, and a crash before it makes Meta retry (the retry's wamid is already stored, or not yet:
either way it is stored once). The inbox worker answers stored messages through the dialogue and puts the replies
in the outbox, in the same transaction that marks the message answered; the WhatsApp outbox sender sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from actions.replies import Reply, menu_options
from bot.channels.whatsapp_api import CHANNEL, GraphClient, WhatsAppTransport, sending_limits
from bot.dialogue import Inbound, Router
from bot.settings import WhatsAppSettings
from common.enums import Delivery, OutboxKind
from content.loader import Content
from store import channels, outbox
from store.db import Database
from store.privacy import mask_personal_numbers

log = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Message types the assistant answers with "I can only read text" (reactions and system notices get no answer).
UNREADABLE = {"audio", "voice", "image", "sticker", "video", "document", "location", "contacts", "unsupported"}


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


def message_text(message: dict[str, Any]) -> str | None:
    """What the person said or chose; None for something the assistant cannot read."""
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        chosen = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return str(chosen["id"]) if "id" in chosen else None
    if kind == "button":  # a quick-reply button of a template
        button = message.get("button") or {}
        return str(button.get("payload") or button.get("text") or "")
    return None


def _changes(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return []
    values = []
    for entry in data.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value")
            if isinstance(value, dict):
                values.append(value)
    return values


class WhatsAppChannel:
    def __init__(self, settings: WhatsAppSettings, router: Router, db: Database, content: Content) -> None:
        self.settings, self.router, self.db, self.content = settings, router, db, content
        self.client = GraphClient(settings)
        self.limits = sending_limits(settings.rate)
        self.transport = WhatsAppTransport(settings, self.client, db, content.strings)
        # Called when replies were put in the outbox (the app wakes the WhatsApp sender).
        self.on_replies: Callable[[], None] = lambda: None
        self._work = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self._verify)
        app.router.add_post(PATH, self._webhook)

    async def start(self) -> None:
        self._work.set()  # answer whatever the last run accepted and did not answer
        self._worker = asyncio.create_task(self._answer_forever())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.client.close()

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self.settings.verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="verification failed")

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return web.Response(status=401, text="signature missing")
        if not signature_valid(self.settings.app_secret, body, header):
            return web.Response(status=403, text="signature does not match")
        try:
            data = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="body is not JSON")
        accepted = await asyncio.to_thread(self._accept, _changes(data))
        if accepted:
            self._work.set()
        return web.Response(text="ok")

    def _accept(self, values: list[dict[str, Any]]) -> int:
        """Stores new messages and applies delivery reports, in one transaction; returns how many were new."""
        new = 0
        with self.db.session() as db:
            for value in values:
                for message in value.get("messages") or []:
                    message_id, sender = message.get("id"), message.get("from")
                    if message_id and sender and channels.accept(db, CHANNEL, str(message_id), str(sender), message):
                        new += 1
                for status in value.get("statuses") or []:
                    state = status.get("status")
                    if state in set(Delivery) and status.get("id"):
                        errors = status.get("errors") or []
                        error = "; ".join(f"{e.get('code')}: {e.get('title') or e.get('message')}" for e in errors)
                        outbox.record_delivery(db, str(status["id"]), Delivery(state), error or None)
        return new

    async def _answer_forever(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            try:
                while await self._answer_batch():
                    pass
            except Exception:  # the database may be away for a moment: try again at the next webhook or in 5 s
                log.exception("WhatsApp inbox: answering failed")
                await asyncio.sleep(5)
                self._work.set()

    async def _answer_batch(self) -> int:
        rows = await asyncio.to_thread(self._unanswered)
        by_sender: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        for row in rows:
            by_sender.setdefault(row[2], []).append((row[0], row[1], row[3]))
        # One person's messages in order; different people at once.
        await asyncio.gather(*(self._answer_sender(sender, items) for sender, items in by_sender.items()))
        if rows:
            self.on_replies()
        return len(rows)

    def _unanswered(self) -> list[tuple[int, str, str, dict[str, Any]]]:
        with self.db.session() as db:
            return [(r.id, r.message_id, r.sender, dict(r.payload)) for r in channels.unanswered(db, CHANNEL, 50)]

    async def _answer_sender(self, sender: str, items: list[tuple[int, str, dict[str, Any]]]) -> None:
        for inbox_id, message_id, message in items:
            await asyncio.to_thread(self._answer, inbox_id, message_id, sender, message)

    def _answer(self, inbox_id: int, message_id: str, sender: str, message: dict[str, Any]) -> None:
        text = message_text(message)
        if text is not None:
            with self.db.session() as db:
                full = channels.full_payload(db, text)
            replies = self.router.handle(Inbound(CHANNEL, sender, full if full is not None else "menu", message_id))
        elif message.get("type") in UNREADABLE:
            strings = self.content.strings
            replies = [Reply(strings.unsupported_media, menu_options(strings.main_menu))]
        else:
            replies = []
        with self.db.session() as db:
            for number, reply in enumerate(replies):
                outbox.enqueue(
                    db,
                    channel=CHANNEL,
                    recipient=sender,
                    message=reply,
                    kind=OutboxKind.REPLY,
                    dedup_key=f"reply:{CHANNEL}:{message_id}:{number}",
                )
            channels.answered(db, inbox_id, datetime.now(UTC))
        # The answer is safe in the outbox now: the router need not keep a copy for a retry.
        self.router.delivered(Inbound(CHANNEL, sender, "", message_id))
        log.info("WhatsApp: answered %s from %s", message.get("type"), mask_personal_numbers(sender))
