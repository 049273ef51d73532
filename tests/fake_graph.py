"""A local WhatsApp Cloud API (Graph API) that records what the assistant sends, plus signed webhook factories.

POST {base}/{phone_number_id}/messages answers like Graph: {"messages": [{"id": "wamid...."}]}, or a scripted error.
People listed in `window_closed` refuse free-form messages with error 131047, as Graph does after 24 hours.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from aiohttp import web

from bot.settings import WhatsAppSettings

VERSION = "v21.0"
PHONE_NUMBER_ID = "109876543210"
TOKEN = "wa-test-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"


class FakeGraphApi:
    def __init__(self, phone_number_id: str = PHONE_NUMBER_ID, token: str = TOKEN) -> None:
        self.phone_number_id, self.token = phone_number_id, token
        self.sent: list[dict[str, Any]] = []  # request bodies accepted, in order
        self.sent_at: list[float] = []  # when each of `sent` was accepted (monotonic time)
        self.refused: list[dict[str, Any]] = []
        # recipient → scripted (status, error object, headers), one popped per request to that recipient
        self.failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self.window_closed: set[str] = set()
        self.known_templates: set[str] | None = None  # None: every template name is approved
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(f"/{VERSION}/{{phone_number_id}}/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def to(self, recipient: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["to"] == recipient]

    async def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; sent so far: {self.sent}")
            await asyncio.sleep(0.02)

    @staticmethod
    def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Afake"}
        return web.json_response({"error": error}, status=status, headers=headers)

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token.")
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return self._error(400, 100, "Unsupported post request: unknown phone number id")
        body = await request.json()
        recipient = str(body.get("to"))
        scripted = self.failures.get(recipient)
        if scripted:
            status, error, headers = scripted.pop(0)
            self.refused.append(body)
            return web.json_response({"error": error}, status=status, headers=headers)
        if body.get("type") == "template":
            name = body["template"]["name"]
            if self.known_templates is not None and name not in self.known_templates:
                self.refused.append(body)
                return self._error(404, 132001, "(#132001) Template name does not exist in the translation")
        elif recipient in self.window_closed:
            self.refused.append(body)
            return self._error(400, 131047, "Re-engagement message")
        self.sent.append(body)
        self.sent_at.append(time.monotonic())
        wamid = f"wamid.OUT{next(self._ids)}"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [{"id": wamid}],
            }
        )


# Webhooks as Meta posts them.


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(value: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> bytes:
    metadata = {"display_phone_number": "15550001111", "phone_number_id": phone_number_id}
    value = {"messaging_product": "whatsapp", "metadata": metadata, **value}
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def message(sender: str, wamid: str, kind: str, content: dict[str, Any]) -> bytes:
    contacts = [{"profile": {"name": "Ibu Sari"}, "wa_id": sender}]
    item = {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": kind, kind: content}
    return webhook({"contacts": contacts, "messages": [item]})


def text(sender: str, wamid: str, body: str) -> bytes:
    return message(sender, wamid, "text", {"body": body})


def button_reply(sender: str, wamid: str, payload: str, title: str) -> bytes:
    return message(
        sender, wamid, "interactive", {"type": "button_reply", "button_reply": {"id": payload, "title": title}}
    )


def list_reply(sender: str, wamid: str, payload: str, title: str) -> bytes:
    return message(sender, wamid, "interactive", {"type": "list_reply", "list_reply": {"id": payload, "title": title}})


def status(wamid: str, state: str, recipient: str, errors: list[dict[str, Any]] | None = None) -> bytes:
    item: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(int(time.time())), "recipient_id": recipient}
    if errors:
        item["errors"] = errors
    return webhook({"statuses": [item]})


def settings_for(graph: FakeGraphApi, **overrides: Any) -> WhatsAppSettings:
    """The app's WhatsApp settings pointed at this fake Graph API (80 msg/s, Meta's default throughput)."""
    return WhatsAppSettings(
        token=TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        api_base_url=graph.base_url,
        **{"rate": 80, **overrides},
    )


def platform_env(telegram_token: str, telegram_base_url: str, graph: FakeGraphApi) -> dict[str, str]:
    """The environment variables that point a `sahabat run` process at a fake Bot API and this fake Graph API."""
    return {
        "TELEGRAM_BOT_TOKEN": telegram_token,
        "TELEGRAM_API_BASE_URL": telegram_base_url,
        "WHATSAPP_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph.base_url,
    }
