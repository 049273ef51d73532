"""How the Telegram channel keeps pace: updates of different chats handled at once, one chat's in order, and every
message the bot sends paid for from the account's shared send budget (bot/budget.py).

Both are python-telegram-bot's own extension points: a `BaseUpdateProcessor` (its concurrent update handling, with a
per-chat turn added) and a `BaseRateLimiter` (every Bot API request passes through it, replies and outbox alike).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

from bot.budget import SendBudget
from common.enums import Lane

# Updates waiting for their turn (PTB's own bound) and updates being handled at once.
WAITING_UPDATES = 512
CONCURRENT_UPDATES = 16
# Requests that put a message in a chat: they pay for a slot. getUpdates, answerCallbackQuery, setMyCommands… don't.
PAID = ("send", "edit", "copy", "forward")
# Telegram answers 429 both for one chat sent to too fast and for the whole bot over its limit, alike. Refusals for
# this many different chats within a second mean the bot (over it, nearly every request is refused): then everyone
# waits; a refusal or two (one chat, a late request) holds back only that message.
ACCOUNT_REFUSALS = 5


class PerChatUpdates(BaseUpdateProcessor):
    """Up to CONCURRENT_UPDATES updates at once; two updates of one chat never at once, and in the order they came
    (each waits for the one before it in its chat)."""

    def __init__(self, concurrency: int = CONCURRENT_UPDATES) -> None:
        super().__init__(WAITING_UPDATES)
        self._working = asyncio.Semaphore(concurrency)
        self._last_in_chat: dict[int, asyncio.Event] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        previous = self._last_in_chat.get(chat) if chat is not None else None
        done = asyncio.Event()
        if chat is not None:
            self._last_in_chat[chat] = done
        try:
            if previous is not None:
                await previous.wait()
            async with self._working:
                await coroutine
        finally:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # cancelled while waiting its turn: never started
            done.set()
            if chat is not None and self._last_in_chat.get(chat) is done:
                del self._last_in_chat[chat]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class BudgetRateLimiter(BaseRateLimiter[Lane]):
    """Every message the bot sends takes a slot of the account's budget, in the lane its caller names
    (`rate_limit_args=Lane.BULK` for broadcasts and reminders; replies by default go first)."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget
        self._refusals: deque[tuple[float, str]] = deque()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.budget.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint.startswith(PAID) and "chat_id" in data:
            await self.budget.slot(Lane.URGENT if rate_limit_args is None else rate_limit_args)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            await self._refused(str(data.get("chat_id")), retry_seconds(error))
            raise

    async def _refused(self, chat: str, seconds: float) -> None:
        now = time.monotonic()
        self._refusals.append((now, chat))
        while self._refusals and self._refusals[0][0] < now - 1.0:
            self._refusals.popleft()
        if len({refused for _, refused in self._refusals}) >= ACCOUNT_REFUSALS:
            await self.budget.hold(seconds)
