"""The Telegram channel (python-telegram-bot 22): updates in, replies out, and the outbox transport.

Polling by default; with TELEGRAM_WEBHOOK_URL the Bot API posts updates to that URL's path on the app's web server,
refused without the right secret header. A webhook update is answered before the 200, so a crash mid-update makes
Telegram retry it, and the retry is recognised by its update id (bot/dialogue.py drops seen message ids).

Updates of different chats are handled at once, one chat's in order, and every message the bot sends (answers and
outbox rows) takes a slot of the bot's send budget, shared with every process (bot/channels/telegram_pacing.py). An
answer refused with 429 waits for that chat alone, briefly; a longer wait puts the rest of it in the outbox.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, ExtBot, MessageHandler, filters
from telegram.request import HTTPXRequest
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from actions.replies import Option, Reply, menu_options
from bot.budget import SendBudget
from bot.channels.telegram_pacing import CONCURRENT_UPDATES, BudgetRateLimiter, PerChatUpdates, retry_seconds
from bot.channels.text import split_text
from bot.dialogue import Inbound, Router
from bot.outbox import Limits, SendFailure
from bot.settings import TelegramSettings
from common.enums import Channel, Lane, OutboxKind, Role
from content.loader import Content
from content.schema import BotCommand as CommandEntry
from store import channels, outbox
from store.db import Database

# python-telegram-bot 22 is moving time periods (RetryAfter.retry_after) from int to timedelta and warns on every
# flood-control error until a program opts in; we take timedeltas (retry_seconds handles both).
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

CHANNEL = Channel.TELEGRAM
TEXT_LIMIT = 4096
# An answer refused with 429 is tried again after the wait Telegram asks for, up to this many times and only while
# that wait is short (the chat's next update waits for it); after that the rest of the answer goes to the outbox.
REPLY_ATTEMPTS = 3
MAX_REPLY_WAIT = 5.0
CALLBACK_DATA_LIMIT = 64
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
# Telegram: about 30 messages a second per bot (TELEGRAM_RATE, kept by the send budget), one a second in one chat;
# 8 rows in flight per process keep the budget busy while each waits for its slot and its answer.
LIMITS = Limits(per_second=30, per_chat_interval=1.0, concurrency=8)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


Rendered = list[tuple[str, InlineKeyboardMarkup | None]]


def _rendered(db: Database, text: str, options: Sequence[tuple[str, str]]) -> Rendered:
    """One reply as Telegram messages: the text in pieces of at most 4096 characters, the keyboard on the last.
    A payload longer than callback data allows travels as a short key (store/channels.py)."""
    pieces = split_text(text, TEXT_LIMIT)
    if not options:
        return [(piece, None) for piece in pieces]
    if any(len(payload.encode()) > CALLBACK_DATA_LIMIT for _, payload in options):
        with db.session() as session:
            data = [channels.short_payload(session, payload, CALLBACK_DATA_LIMIT) for _, payload in options]
    else:
        data = [payload for _, payload in options]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=key)] for (title, _), key in zip(options, data, strict=True)]
    )
    return [(piece, None) for piece in pieces[:-1]] + [(pieces[-1], keyboard)]


async def _rendered_soon(db: Database, text: str, options: Sequence[tuple[str, str]]) -> Rendered:
    """_rendered, on a thread only when a payload needs a short key from the database."""
    if any(len(payload.encode()) > CALLBACK_DATA_LIMIT for _, payload in options):
        return await asyncio.to_thread(_rendered, db, text, options)
    return _rendered(db, text, options)


def _options(options: Sequence[Option]) -> list[tuple[str, str]]:
    return [(option.title, option.payload) for option in options]


class TelegramTransport:
    """The outbox's way to Telegram: one outbox row → one or more messages (long texts are split)."""

    channel = CHANNEL

    def __init__(self, bot: ExtBot[Lane], db: Database) -> None:
        self.bot, self.db = bot, db

    async def deliver(
        self, recipient: str, message: Reply, kind: OutboxKind, lane: Lane = Lane.URGENT, first_part: int = 0
    ) -> str:
        if message.edit_of is not None:
            # A broadcast's progress ("Terkirim 120/350"): the one message the sender already has is updated.
            return await self._edit(recipient, message.edit_of, message.text, lane)
        messages = await _rendered_soon(self.db, message.text, _options(message.options))
        platform_id, sent = "", first_part
        try:
            for text, markup in messages[first_part:]:
                accepted = await self.bot.send_message(
                    chat_id=recipient, text=text, reply_markup=markup, rate_limit_args=lane
                )
                platform_id, sent = str(accepted.message_id), sent + 1
        except TelegramError as error:
            raise _failure(error, sent) from error
        return platform_id

    async def _edit(self, recipient: str, message_id: str, text: str, lane: Lane) -> str:
        try:
            await self.bot.edit_message_text(
                text[:TEXT_LIMIT], chat_id=recipient, message_id=int(message_id), rate_limit_args=lane
            )
        except TelegramError as error:
            # The same count twice is no failure.
            if not (isinstance(error, BadRequest) and "not modified" in str(error).lower()):
                raise _failure(error) from error
        return message_id


def _failure(error: TelegramError, parts_sent: int = 0) -> SendFailure:
    """What a Bot API error means for an outbox row."""
    if isinstance(error, RetryAfter):
        return SendFailure("retry", str(error), retry_after=retry_seconds(error), parts_sent=parts_sent)
    if isinstance(error, Forbidden):
        return SendFailure("blocked", str(error))
    if isinstance(error, BadRequest):  # before NetworkError: PTB makes BadRequest a kind of NetworkError
        return SendFailure("failed", str(error))
    if isinstance(error, NetworkError):  # timeouts, connection errors, 5xx
        return SendFailure("retry", str(error), parts_sent=parts_sent)
    return SendFailure("failed", str(error))


def _telegram_wait(state: RetryCallState) -> float:
    """Before sending again: the wait Telegram asked for in its 429."""
    error = state.outcome.exception() if state.outcome is not None else None
    return retry_seconds(error) if isinstance(error, RetryAfter) else 0.0


def outbox_bot(settings: TelegramSettings, budget: SendBudget) -> ExtBot[Lane]:
    """A bot for a sender-only process, paying from the same budget as every other process of this bot."""
    return ExtBot(
        settings.token,
        base_url=settings.api_base_url or "https://api.telegram.org/bot",
        request=HTTPXRequest(connection_pool_size=LIMITS.concurrency * 2),
        rate_limiter=BudgetRateLimiter(budget),
    )


class TelegramChannel:
    def __init__(
        self, settings: TelegramSettings, router: Router, db: Database, content: Content, budget: SendBudget
    ) -> None:
        self.settings, self.router, self.db, self.content = settings, router, db, content
        builder = (
            Application.builder()
            .token(settings.token)
            .concurrent_updates(PerChatUpdates(CONCURRENT_UPDATES))
            .rate_limiter(BudgetRateLimiter(budget))
        )
        if settings.api_base_url:
            builder = builder.base_url(settings.api_base_url)
        if settings.webhook_url:
            builder = builder.updater(None)
        self.application: TelegramApp = builder.build()
        self._menus: dict[int, str] = {}  # chat id → the role whose commands menu that chat has
        # The order matters: the first matching handler takes the update.
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT, self._on_text))
        self.application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self._on_group_command))
        self.application.add_handler(MessageHandler(filters.ChatType.PRIVATE, self._on_other))
        self.application.add_error_handler(self._on_error)

    @property
    def transport(self) -> TelegramTransport:
        return TelegramTransport(self.application.bot, self.db)

    @property
    def limits(self) -> Limits:
        return LIMITS

    def add_routes(self, app: web.Application) -> None:
        if self.settings.webhook_url:
            app.router.add_post(urlparse(self.settings.webhook_url).path or WEBHOOK_PATH, self._webhook)

    async def start(self) -> None:
        await self.application.initialize()
        await self._set_commands(Role.KPM, None)
        await self.application.start()
        if self.settings.webhook_url:
            await self.application.bot.set_webhook(
                self.settings.webhook_url, secret_token=self.settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("Telegram: webhook mode, updates at %s", urlparse(self.settings.webhook_url).path)
        else:
            updater = self.application.updater
            if updater is None:
                raise RuntimeError("the Telegram application is built with an updater unless in webhook mode")
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("Telegram: polling as @%s", self.application.bot.username)

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = request.headers.get(SECRET_HEADER, "")
        expected = self.settings.webhook_secret or ""
        if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
            return web.Response(status=403, text="wrong secret token")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not a Telegram update")
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        # Answered before the 200, in its chat's turn.
        await self.application.update_processor.process_update(update, self.application.process_update(update))
        return web.Response(text="ok")

    # Handlers: small, typed, one kind of update each.

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        await self._route(update, user.id, message.chat_id, self._as_payload(message.text))

    async def _on_group_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        command, _, _ = message.text.partition(" ")
        _, at, addressee = command.partition("@")
        if at and addressee.lower() != (self.application.bot.username or "").lower():
            return  # a command for another bot in the same group
        await self._route(update, user.id, message.chat_id, self._as_payload(message.text))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # stops the button's spinner; the answer itself follows as a message
        except TelegramError as error:
            log.warning("Telegram: could not answer a button press: %s", error)
        data = query.data or ""
        payload = await asyncio.to_thread(self._full_payload, data)
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        # A key this database never gave out (an old keyboard after a reset): show the menu again.
        await self._route(update, query.from_user.id, chat_id, payload if payload is not None else "menu")

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Voice notes, stickers, photos, documents…: say what the assistant can read."""
        message = update.effective_message
        if message is None:
            return
        strings = self.content.strings
        await self._send(message.chat_id, [Reply(strings.unsupported_media, menu_options(strings.main_menu))])

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram: an update failed", exc_info=context.error)

    # Helpers.

    def _as_payload(self, text: str) -> str:
        """A menu command ("/hak", "/hak@SahabatBot") becomes its payload; /start and its deep-link code go on as
        typed, so the dialogue sees "/start CODE"."""
        if not text.startswith("/"):
            return text
        command, space, rest = text.partition(" ")
        name = command[1:].partition("@")[0].lower()
        if name == "start":
            return f"/start{space}{rest}".strip()
        for entries in self.content.strings.telegram_commands.values():
            for entry in entries:
                if entry.command == name:
                    return entry.payload
        return text

    def _full_payload(self, data: str) -> str | None:
        if not data.startswith(channels.KEY_PREFIX):
            return data
        with self.db.session() as session:
            return channels.full_payload(session, data)

    async def _route(self, update: Update, sender: int, chat_id: int, text: str) -> None:
        message_id = f"{self.application.bot.id}:{update.update_id}"
        inbound = Inbound(CHANNEL, str(sender), text, message_id, in_group=chat_id != sender)
        replies = await asyncio.to_thread(self.router.handle, inbound)
        await self._send(chat_id, replies, inbound)
        # Sent: a retry of this update (a webhook answer that got lost) now gets nothing rather than a repeat; in a
        # private chat, the commands menu follows the person's role (one trip to the database for both).
        role = await asyncio.to_thread(self._delivered, inbound, str(chat_id) if chat_id == sender else None)
        if role is not None:
            await self._update_menu(chat_id, role)

    def _delivered(self, inbound: Inbound, private_chat: str | None) -> str | None:
        self.router.delivered(inbound)
        return None if private_chat is None else self._role(private_chat)

    async def _send(self, chat_id: int, replies: list[Reply], inbound: Inbound | None = None) -> None:
        for number, reply in enumerate(replies):
            messages = await _rendered_soon(self.db, reply.text, _options(reply.options))
            for part, (text, markup) in enumerate(messages):
                try:
                    await self._send_one(chat_id, text, markup)
                except RetryAfter as error:  # a long wait: the rest goes out through the outbox, in order
                    await asyncio.to_thread(self._defer, chat_id, replies[number:], part, error, inbound)
                    return

    async def _send_one(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
        """One message; refused for the rate limit, it is tried again after Telegram's wait if that is short."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, RetryAfter) and retry_seconds(e) <= MAX_REPLY_WAIT),
            wait=_telegram_wait,
            stop=stop_after_attempt(REPLY_ATTEMPTS),
            reraise=True,
        ):
            with attempt:
                await self.application.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)

    def _defer(
        self, chat_id: int, replies: list[Reply], parts_sent: int, error: RetryAfter, inbound: Inbound | None
    ) -> None:
        not_before = datetime.now(UTC) + timedelta(seconds=retry_seconds(error))
        key = inbound.message_id if inbound is not None else f"{chat_id}:{not_before.timestamp()}"
        with self.db.session() as db:
            for number, reply in enumerate(replies):
                outbox.enqueue(
                    db,
                    channel=CHANNEL,
                    recipient=str(chat_id),
                    message=reply,
                    kind=OutboxKind.REPLY,
                    dedup_key=f"reply:{CHANNEL}:{key}:{number}",
                    not_before=not_before,
                    parts_sent=parts_sent if number == 0 else 0,
                )
        log.info("Telegram: an answer waits %.0f s for the rate limit; it went to the outbox", retry_seconds(error))

    def _commands(self, role: str) -> list[BotCommand]:
        menus = self.content.strings.telegram_commands
        entries: tuple[CommandEntry, ...] = menus.get(role) or menus[Role.KPM]
        return [BotCommand(entry.command, entry.description) for entry in entries]

    async def _update_menu(self, chat_id: int, role: str) -> None:
        if self._menus.get(chat_id, Role.KPM) == role:
            return  # everyone starts with the default (kpm) menu
        if await self._set_commands(role, chat_id):
            self._menus[chat_id] = role

    async def _set_commands(self, role: str, chat_id: int | None) -> bool:
        """The "/" menu for a role, in one chat or (chat_id None) for everyone; a failure only costs the menu."""
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        try:
            return bool(await self.application.bot.set_my_commands(self._commands(role), scope=scope))
        except TelegramError as error:
            log.warning("Telegram: could not set the commands menu for %s: %s", role, error)
            return False

    def _role(self, external_id: str) -> str:
        with self.db.session() as session:
            return channels.command_role(session, CHANNEL, external_id)
