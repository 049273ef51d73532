"""The WhatsApp Cloud API channel, receiving side: the webhook and the worker that answers what it accepted.

POST /webhooks/whatsapp checks X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret) before
reading anything. Messages are then written to the inbox table and only then answered 200: a crash after the 200
cannot lose a message, and a crash before it makes Meta retry (the retry's wamid is already stored, or not yet:
either way it is stored once). Storing is all the webhook does, on threads of its own, so its 200 never waits for an
answer being worked out.

Several inbox workers (bot/app.py starts them) answer stored messages through the dialogue and put the replies in
the outbox, in the same transaction that marks the message answered; the WhatsApp outbox sender sends them. A worker
takes a sender, not a message: under that person's lock (held across processes) it answers her messages oldest
first until none is left, so one number's messages are answered one at a time and in order, in every replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from actions.replies import Reply, menu_options
from bot.channels.whatsapp_api import CHANNEL, WhatsAppTransport, sending_limits
from bot.dialogue import Inbound, Router
from bot.outbox import first_of
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
# Threads answering (router, NLU, database) and threads storing webhooks, apart: a burst of answers never delays a 200.
ANSWERING_THREADS = 8
WEBHOOK_THREADS = 4
# A look at the inbox this often even without a webhook: messages left by a replica that stopped mid-way.
LOOK_EVERY = 2.0


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
    def __init__(
        self, settings: WhatsAppSettings, router: Router, db: Database, content: Content, transport: WhatsAppTransport
    ) -> None:
        self.settings, self.router, self.db, self.content = settings, router, db, content
        self.transport = transport
        self.limits = sending_limits(settings.rate)
        # Called when replies were put in the outbox (the app wakes the WhatsApp sender).
        self.on_replies: Callable[[], None] = lambda: None
        self._work = asyncio.Event()
        self._senders: asyncio.Queue[str] = asyncio.Queue()
        self._taken: set[str] = set()  # senders queued or being answered in this process
        self._answering = ThreadPoolExecutor(ANSWERING_THREADS, thread_name_prefix="whatsapp-answer")
        self._storing = ThreadPoolExecutor(WEBHOOK_THREADS, thread_name_prefix="whatsapp-webhook")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self._verify)
        app.router.add_post(PATH, self._webhook)

    async def start(self) -> None:
        self._work.set()  # answer whatever the last run accepted and did not answer

    async def stop(self) -> None:
        self._answering.shutdown(wait=True, cancel_futures=True)
        self._storing.shutdown(wait=True, cancel_futures=True)
        await self.transport.client.close()

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
        loop = asyncio.get_running_loop()
        accepted = await loop.run_in_executor(self._storing, self._accept, _changes(data))
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

    # The inbox: one dispatcher hands senders to several workers (both started by bot/app.py).

    async def dispatch_inbox(self, stop: asyncio.Event) -> None:
        """Looks for senders waiting for an answer whenever a webhook stored something (and every LOOK_EVERY)."""
        while not stop.is_set():
            self._work.clear()
            try:
                waiting = await asyncio.to_thread(self._waiting_senders)
            except Exception:  # the database away for a moment: look again at the next webhook or tick
                log.exception("WhatsApp inbox: could not look for messages")
                waiting = []
            for sender in waiting:
                if sender not in self._taken:
                    self._taken.add(sender)
                    self._senders.put_nowait(sender)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first_of(stop, self._work), LOOK_EVERY)

    async def answer_inbox(self, stop: asyncio.Event) -> None:
        """One worker: answers one sender's waiting messages at a time."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            sender = await self._senders.get()
            try:
                if await loop.run_in_executor(self._answering, self._answer_sender, sender):
                    self.on_replies()
            except Exception:  # left in the inbox: the dispatcher hands her over again
                log.exception("WhatsApp inbox: answering %s failed", mask_personal_numbers(sender))
            finally:
                self._taken.discard(sender)

    def _waiting_senders(self) -> list[str]:
        with self.db.session() as db:
            return channels.waiting_senders(db, CHANNEL, 200)

    def _answer_sender(self, sender: str) -> int:
        """Her messages, oldest first, under her lock: a worker in another replica waits, then finds them answered."""
        answered = 0
        with self.router.locks.held(CHANNEL, sender):
            while True:
                with self.db.session() as db:
                    row = channels.oldest_unanswered(db, CHANNEL, sender)
                    found = None if row is None else (row.id, row.message_id, dict(row.payload))
                if found is None:
                    return answered
                self._answer(found[0], found[1], sender, found[2])
                answered += 1

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
