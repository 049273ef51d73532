"""A local Bot API server python-telegram-bot talks to through `base_url`: it hands out the updates a test pushes,
records what the bot sends, scripts failures, and can enforce Telegram's limits (30/s per bot, 1/s per chat).

Also used by scripts/bench_outbox.py as the rate-enforcing server of the send benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

BOT_ID = 424242
TOKEN = f"{BOT_ID}:TEST-token"
JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "chat_id", "offset", "timeout", "limit"}


class FakeBotApi:
    def __init__(
        self,
        token: str = TOKEN,
        username: str = "SahabatTestBot",
        per_second: int | None = None,
        per_chat_interval: float | None = None,
    ) -> None:
        self.token, self.username = token, username
        self.per_second, self.per_chat_interval = per_second, per_chat_interval
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []  # sendMessage parameters, in order, with "at" (monotonic time)
        self.answered: list[str] = []
        self.commands: list[dict[str, Any]] = []  # setMyCommands parameters
        self.webhook: dict[str, Any] | None = None
        # Called with the number of messages accepted so far, after accepting one and before answering: a test can
        # kill the sender there, when the platform has the message and the sender has not heard back.
        self.on_accept: Callable[[int], None] | None = None
        self.refused = 0  # requests answered 429 for going over a limit
        self.refused_at: list[tuple[float, str]] = []  # when (monotonic time) and which limit: "bot" or "chat"
        # chat id → scripted errors (status, description, parameters), one popped per sendMessage to that chat
        self.failures: dict[str, list[tuple[int, str, dict[str, Any] | None]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._recent: deque[float] = deque()
        self._last_in_chat: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Server lifecycle.

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # What a test does as the people writing to the bot.

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Sahabat KPM", "username": self.username}

    def _message(self, chat_id: int, user_id: int, chat_type: str, **fields: Any) -> dict[str, Any]:
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Ibu"} if chat_type == "private" else {"title": "Kelompok Mawar"})
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ibu", "language_code": "id"},
            **fields,
        }

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._new_update.set()
        return update_id

    def update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An update for a webhook post (not queued for getUpdates)."""
        return {"update_id": next(self._update_ids), kind: payload}

    def text_message(
        self, chat_id: int, text: str, user_id: int | None = None, chat_type: str = "private"
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._message(chat_id, user_id or chat_id, chat_type, **fields)

    def say(self, chat_id: int, text: str, user_id: int | None = None, chat_type: str = "private") -> int:
        return self.push("message", self.text_message(chat_id, text, user_id, chat_type))

    def press(self, chat_id: int, data: str) -> int:
        """The person taps an inline button under one of the bot's messages."""
        message = self._message(chat_id, BOT_ID, "private", text="…")
        message["from"] = self.bot_user()
        sender = {"id": chat_id, "is_bot": False, "first_name": "Ibu"}
        query = {
            "id": f"cb{next(self._message_ids)}",
            "from": sender,
            "chat_instance": "ci-1",
            "data": data,
            "message": message,
        }
        return self.push("callback_query", query)

    def send_media(self, chat_id: int, kind: str) -> int:
        media_of: dict[str, dict[str, Any]] = {
            "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}},
            "sticker": {
                "sticker": {
                    "file_id": "s1",
                    "file_unique_id": "us1",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "photo": {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]},
            "document": {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "kk.pdf"}},
        }
        return self.push("message", self._message(chat_id, chat_id, "private", **media_of[kind]))

    async def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[name for name, _ in self.calls]}")
            await asyncio.sleep(0.02)

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [m["text"] for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    # The Bot API.

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method} is not in this fake")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            if key in JSON_FIELDS:
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    @staticmethod
    def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones are forgotten
        if not self._updates:
            self._new_update.clear()
            timeout = min(float(params.get("timeout") or 0), 0.5)
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return list(self._updates)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.append(params)
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.answered.append(str(params["callback_query_id"]))
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        chat = str(params["chat_id"])
        scripted = self.failures.get(chat)
        if scripted:
            status, description, parameters = scripted.pop(0)
            return self._error(status, description, parameters)
        now = time.monotonic()
        if self.per_second is not None:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.per_second:
                self.refused += 1
                self.refused_at.append((now, "bot"))
                return self._error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if self.per_chat_interval is not None and now - self._last_in_chat.get(chat, -1e9) < self.per_chat_interval:
            self.refused += 1
            self.refused_at.append((now, "chat"))
            return self._error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._recent.append(now)
        self._last_in_chat[chat] = now
        self.sent.append(params | {"at": now})
        if self.on_accept is not None:
            self.on_accept(len(self.sent))
        message_id = next(self._message_ids)
        chat_id = int(chat) if chat.lstrip("-").isdigit() else chat
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot_user(),
            "text": params.get("text", ""),
        }


def keyboard(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The inline keyboard of a sent message as (text, callback data) pairs."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
