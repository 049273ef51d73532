"""The REST channel over real HTTP: Rasa's REST contract, health, and bad input answered with 400."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Services, web_app
from bot.dialogue import Router
from bot.settings import Settings
from common.enums import Channel, OutboxKind
from common.messages import Option, Reply
from content.loader import Content
from nlu.client import NluClient
from store import outbox
from store.db import Database
from store.models import OutboxMessage
from tests.dialog import BOTH_CHANNELS


@pytest.fixture
async def client(
    database: Database, content: Content, nlu: NluClient
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    services = Services(Settings(), database, content, nlu, Router(database, content, nlu, channels=BOTH_CHANNELS))
    async with TestClient(TestServer(web_app(services))) as test_client:
        yield test_client


async def test_rest_contract(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post("/webhooks/rest/webhook", json={"sender": "ibu-rest", "message": "halo"})
    assert response.status == 200
    messages = await response.json()
    assert all(m["recipient_id"] == "ibu-rest" for m in messages)
    assert any("Sahabat KPM" in m["text"] for m in messages)
    buttons = messages[-1]["buttons"]
    assert {"title": "Hak peserta", "payload": "/ask_rights"} in buttons

    response = await client.post("/webhooks/rest/webhook", json={"sender": "ibu-rest", "message": "/help"})
    assert "Saya bisa membantu" in (await response.json())[0]["text"]


async def test_health_is_ok_when_the_nlu_answers(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.get("/health")
    assert response.status == 200 and (await response.json())["status"] == "ok"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"message": "halo"}', "sender"),
        (b'{"sender": "", "message": "halo"}', "sender"),
        (b'{"sender": "x", "message": 42}', "message"),
    ],
)
async def test_malformed_requests_get_400_with_a_reason(
    client: TestClient[web.Request, web.Application], body: bytes, reason: str
) -> None:
    response = await client.post("/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert reason in (await response.json())["error"]


async def test_a_huge_body_is_refused_not_crashed(client: TestClient[web.Request, web.Application]) -> None:
    body = io.BytesIO(b'{"sender":"x","message":"' + b"a" * 2_000_000 + b'"}')
    response = await client.post("/webhooks/rest/webhook", data=body)
    assert response.status in {400, 413}


async def test_messages_started_for_a_rest_sender_come_with_their_next_answer(
    client: TestClient[web.Request, web.Application], database: Database
) -> None:
    with database.session() as db:
        outbox.enqueue(
            db,
            channel=Channel.REST,
            recipient="ibu-tunggu",
            message=Reply("Pengaduan ADU-TEST22 sudah diterima pendamping.", (Option("Cek pengaduan", "/x"),)),
            kind=OutboxKind.COMPLAINT,
            dedup_key="test:waiting",
        )
    ask = {"sender": "ibu-tunggu", "message": "/help"}
    first = await (await client.post("/webhooks/rest/webhook", json=ask)).json()
    assert "ADU-TEST22" in first[0]["text"] and first[0]["buttons"] == [{"title": "Cek pengaduan", "payload": "/x"}]
    assert "Saya bisa membantu" in first[-1]["text"]
    again = await (await client.post("/webhooks/rest/webhook", json=ask)).json()
    assert all("ADU-TEST22" not in m["text"] for m in again)
    with database.session() as db:
        assert db.scalar(select(OutboxMessage.status).where(OutboxMessage.dedup_key == "test:waiting")) == "sent"
