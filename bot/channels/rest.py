"""The REST channel: Rasa's REST contract, so Rasa web-chat widgets and test tools work unchanged.

POST /webhooks/rest/webhook {"sender": "...", "message": "..."} →
[{"recipient_id": "...", "text": "...", "buttons": [{"title": "...", "payload": "..."}]}]

Nothing can be pushed to a REST client, so messages the assistant starts for a REST sender (a complaint update, a
handler's answer) wait in the outbox and come first in the answer to that sender's next message. They are claimed
for that answer and count as sent only once it has been written; if writing fails they wait for the next one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from actions.replies import Reply
from bot.dialogue import Inbound, Router
from common.enums import Channel
from store import outbox
from store.locks import ProcessMark

CHANNEL = Channel.REST
MAX_BODY = 64 * 1024
ROUTER_KEY = web.AppKey("router", Router)
MARK_KEY = web.AppKey("mark", ProcessMark)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def render(recipient: str, replies: list[Reply]) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = []
    for reply in replies:
        message: dict[str, Any] = {"recipient_id": recipient, "text": reply.text}
        if reply.options:
            message["buttons"] = [{"title": o.title, "payload": o.payload} for o in reply.options]
        rendered.append(message)
    return rendered


async def webhook(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _bad_request(f"body larger than {MAX_BODY} bytes")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _bad_request("body is not valid JSON")
    if not isinstance(body, dict):
        return _bad_request('expected a JSON object {"sender": ..., "message": ...}')
    sender, message = body.get("sender"), body.get("message", "")
    if not isinstance(sender, str | int) or str(sender).strip() == "" or len(str(sender)) > 64:
        return _bad_request('"sender" must be a non-empty string of at most 64 characters')
    if not isinstance(message, str):
        return _bad_request('"message" must be a string')
    message_id = body.get("message_id")
    inbound = Inbound(CHANNEL, str(sender), message, str(message_id) if message_id is not None else None)
    router, mark = request.app[ROUTER_KEY], request.app[MARK_KEY]
    replies = await asyncio.to_thread(router.handle, inbound)
    waiting = await asyncio.to_thread(_claim_waiting, router, mark, str(sender))
    response = web.json_response(render(str(sender), [body for _, body in waiting] + replies))
    if not waiting:
        return response
    ids = [message_id for message_id, _ in waiting]
    try:
        await response.prepare(request)
        await response.write_eof()
    except Exception:  # the client went away: what waited for her waits for her next message
        await asyncio.to_thread(_in_session, router, outbox.not_handed_over, ids)
        raise
    await asyncio.to_thread(_in_session, router, outbox.handed_over, waiting, datetime.now(UTC))
    return response


def _claim_waiting(router: Router, mark: ProcessMark, sender: str) -> list[tuple[int, Reply]]:
    with router.db.session() as db:
        rows = outbox.claim_for_hand_over(db, CHANNEL, sender, mark.number, datetime.now(UTC))
        return [(row.id, Reply.from_body(row.body)) for row in rows]


def _in_session(router: Router, operation: Any, *args: Any) -> None:
    with router.db.session() as db:
        operation(db, *args)


def add_routes(app: web.Application, router: Router, mark: ProcessMark) -> None:
    app[ROUTER_KEY] = router
    app[MARK_KEY] = mark
    app.router.add_post("/webhooks/rest/webhook", webhook)
