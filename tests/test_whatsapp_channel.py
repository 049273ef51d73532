"""The WhatsApp channel: real signed webhooks posted to the app, replies sent to a local fake Graph API
(tests/fake_graph.py) by the real outbox sender — both ways, buttons and lists, bad signatures refused, duplicate
wamids answered once, delivery reports, and templates outside the 24-hour window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import Services, outbox_senders, web_app, whatsapp_transport
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_api import render
from bot.dialogue import Router
from bot.outbox import OutboxSender, SendFailure
from bot.settings import Settings, WhatsAppSettings
from common.enums import Channel, OutboxKind, OutboxStatus
from common.messages import Reply
from content.loader import Content
from nlu.client import NluClient
from store import outbox
from store.db import Database
from store.locks import ProcessMark
from store.models import ChannelIdentity, InboxMessage, OutboxMessage, Person, Turn
from tests import fake_graph
from tests.dialog import BOTH_CHANNELS
from tests.fake_graph import FakeGraphApi
from tests.waiting import wait_for

IBU = "6281234567890"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphApi]:
    api = FakeGraphApi()
    await api.start()
    yield api
    await api.stop()


def settings_for(graph: FakeGraphApi) -> WhatsAppSettings:
    templates = {OutboxKind.REMINDER: "pengingat_pertemuan", OutboxKind.BROADCAST: "pengumuman_kelompok"}
    return fake_graph.settings_for(graph, templates=templates)


@dataclass
class App:
    client: TestClient[Any, Any]
    channel: WhatsAppChannel
    sender: OutboxSender

    async def post(self, body: bytes, signature: str | None = "valid") -> int:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = fake_graph.signature(body) if signature == "valid" else signature
        response = await self.client.post("/webhooks/whatsapp", data=body, headers=headers)
        return response.status


@pytest.fixture
async def app(graph: FakeGraphApi, database: Database, content: Content, nlu: NluClient) -> AsyncIterator[App]:
    router = Router(database, content, nlu, channels=BOTH_CHANNELS)
    services = Services(Settings(whatsapp=settings_for(graph)), database, content, nlu, router)
    channel = whatsapp_channel(graph, router, database, content)
    [sender] = outbox_senders(services, [channel], mark := ProcessMark(database.engine))
    stop = asyncio.Event()
    await channel.start()
    tasks = [asyncio.create_task(sender.run(stop, idle=0.05)), *inbox(channel, stop)]
    async with TestClient(TestServer(web_app(services, [channel]))) as client:
        yield App(client, channel, sender)
    await stopped(stop, tasks)
    await channel.stop()
    mark.release()


def whatsapp_channel(graph: FakeGraphApi, router: Router, database: Database, content: Content) -> WhatsAppChannel:
    settings = settings_for(graph)
    return WhatsAppChannel(settings, router, database, content, whatsapp_transport(settings, database, content))


def inbox(channel: WhatsAppChannel, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """The inbox's dispatcher and two workers, as bot/app.py starts them."""
    workers = [asyncio.create_task(channel.answer_inbox(stop)) for _ in range(2)]
    return [asyncio.create_task(channel.dispatch_inbox(stop)), *workers]


async def stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """The sender (first) ends by itself at `stop`; the inbox workers wait on their queue and are cancelled."""
    stop.set()
    sender, *inbox_tasks = tasks
    for task in inbox_tasks:
        task.cancel()
    await sender
    await asyncio.gather(*inbox_tasks, return_exceptions=True)


def bodies(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        parts.append(
            m["text"]["body"] if m["type"] == "text" else m.get("interactive", {}).get("body", {}).get("text", "")
        )
    return "\n".join(parts)


def row(database: Database, dedup_key: str) -> OutboxMessage:
    with database.session() as db:
        return db.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)).one()


def all_answered_and_sent(database: Database) -> bool:
    """Nothing waits in the inbox or the outbox: every answer there will ever be has gone out."""
    with database.session() as db:
        unanswered = db.scalar(
            select(func.count()).select_from(InboxMessage).where(InboxMessage.processed_at.is_(None))
        )
        waiting = db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
    return unanswered == 0 and waiting == 0


def count(database: Database, model: Any) -> int:
    with database.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_verification_handshake(app: App) -> None:
    ok = await app.client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": fake_graph.VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status == 200 and await ok.text() == "1158201444"
    wrong = await app.client.get(
        "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status == 403


async def test_a_conversation_with_a_list_and_picks_both_ways(app: App, graph: FakeGraphApi, content: Content) -> None:
    assert await app.post(fake_graph.text(IBU, "wamid.IN1", "halo")) == 200
    await graph.wait_for(lambda: any(m["type"] == "interactive" for m in graph.to(IBU)))
    menu = next(m for m in graph.to(IBU) if m["type"] == "interactive")["interactive"]
    assert menu["type"] == "list" and menu["action"]["button"] == content.strings.options_button
    rows = menu["action"]["sections"][0]["rows"]
    assert {"id": "/ask_rights", "title": "Hak peserta"} in rows and all(len(r["title"]) <= 24 for r in rows)
    assert "Sahabat KPM" in bodies(graph.to(IBU))

    rights = content.overview("ask_rights")
    assert rights is not None
    assert await app.post(fake_graph.list_reply(IBU, "wamid.IN2", "/ask_rights", "Hak peserta")) == 200
    await graph.wait_for(lambda: rights.answer[:40] in bodies(graph.to(IBU)))

    before = len(graph.to(IBU))
    assert await app.post(fake_graph.button_reply(IBU, "wamid.IN3", "/ask_obligations", "Kewajiban")) == 200
    obligations = content.overview("ask_obligations")
    assert obligations is not None
    await graph.wait_for(lambda: obligations.answer[:40] in bodies(graph.to(IBU)[before:]))


async def test_unsupported_messages_get_a_friendly_answer(app: App, graph: FakeGraphApi, content: Content) -> None:
    media: list[tuple[str, dict[str, Any]]] = [
        ("audio", {"id": "a1", "voice": True}),
        ("image", {"id": "i1"}),
        ("sticker", {"id": "s1"}),
    ]
    for n, (kind, payload) in enumerate(media):
        assert await app.post(fake_graph.message(IBU, f"wamid.M{n}", kind, payload)) == 200
    await graph.wait_for(lambda: len(graph.to(IBU)) >= 3)
    assert bodies(graph.to(IBU)).count(content.strings.unsupported_media) == 3


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "md5=abc"])
async def test_a_bad_or_missing_signature_is_refused_and_nothing_is_kept(
    app: App, graph: FakeGraphApi, database: Database, signature: str | None
) -> None:
    body = fake_graph.text(IBU, "wamid.EVIL", "halo")
    assert await app.post(body, signature) in {401, 403}
    forged = fake_graph.signature(body, secret="not-the-app-secret")
    assert await app.post(body, forged) == 403
    # Refused before anything is stored (a message is stored before its 200): nothing can follow later.
    assert count(database, InboxMessage) == 0 and count(database, Turn) == 0 and graph.sent == []


async def test_a_retried_webhook_is_answered_once(app: App, graph: FakeGraphApi, database: Database) -> None:
    body = fake_graph.text(IBU, "wamid.SAME", "/help")
    statuses = await asyncio.gather(*(app.post(body) for _ in range(3)))
    assert statuses == [200, 200, 200]
    await graph.wait_for(lambda: len(graph.to(IBU)) >= 1)
    await wait_for(lambda: all_answered_and_sent(database), describe=lambda: graph.to(IBU))
    assert bodies(graph.to(IBU)).count("Saya bisa membantu") == 1
    assert count(database, InboxMessage) == 1


async def test_a_message_accepted_before_a_crash_is_answered_after_the_restart(
    graph: FakeGraphApi, database: Database, content: Content, nlu: NluClient
) -> None:
    router = Router(database, content, nlu, channels=BOTH_CHANNELS)
    services = Services(Settings(), database, content, nlu, router)
    crashed = whatsapp_channel(graph, router, database, content)  # never started: dies after the 200
    async with TestClient(TestServer(web_app(services, [crashed]))) as client:
        body = fake_graph.text(IBU, "wamid.BEFORE-CRASH", "/help")
        response = await client.post(
            "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": fake_graph.signature(body)}
        )
        assert response.status == 200
    assert graph.sent == []

    restarted = whatsapp_channel(graph, router, database, content)
    [sender] = outbox_senders(services, [restarted], mark := ProcessMark(database.engine))
    stop = asyncio.Event()
    await restarted.start()
    tasks = [asyncio.create_task(sender.run(stop, idle=0.05)), *inbox(restarted, stop)]
    await graph.wait_for(lambda: "Saya bisa membantu" in bodies(graph.to(IBU)))
    await stopped(stop, tasks)
    await restarted.stop()
    mark.release()


async def test_delivery_reports_update_the_outbox_row(app: App, graph: FakeGraphApi, database: Database) -> None:
    await app.post(fake_graph.text(IBU, "wamid.HI", "/help"))  # opens the 24-hour window
    await graph.wait_for(lambda: len(graph.to(IBU)) >= 1)
    with database.session() as db:
        outbox.enqueue(
            db,
            channel=Channel.WHATSAPP,
            recipient=IBU,
            message=Reply("Pertemuan besok jam 9."),
            kind=OutboxKind.REMINDER,
            dedup_key="r:1",
        )
    app.sender.wake()
    await wait_for(lambda: row(database, "r:1").status == "sent")
    wamid = row(database, "r:1").platform_id
    assert wamid and "Pertemuan besok" in bodies(graph.to(IBU)[-1:])
    assert graph.sent[-1]["type"] == "text"  # inside the window: free-form, no template

    for state in ("sent", "delivered", "read"):
        assert await app.post(fake_graph.status(wamid, state, IBU)) == 200
    assert row(database, "r:1").delivery == "read"
    failed = [{"code": 131026, "title": "Message undeliverable"}]
    assert await app.post(fake_graph.status(wamid, "failed", IBU, failed)) == 200
    reported = row(database, "r:1")
    assert reported.delivery == "failed" and "131026" in (reported.last_error or "")


async def test_outside_the_window_reminders_use_their_template_and_a_missing_one_is_reported(
    app: App, graph: FakeGraphApi, database: Database
) -> None:
    with database.session() as db:
        person = Person()
        person.identities.append(ChannelIdentity(channel=Channel.WHATSAPP, external_id=IBU))
        db.add(person)
        db.flush()
        db.add(
            Turn(
                person_id=person.id,
                channel=Channel.WHATSAPP,
                direction="in",
                text="halo",
                created_at=datetime.now(UTC) - timedelta(hours=30),
            )
        )
        outbox.enqueue(
            db,
            channel=Channel.WHATSAPP,
            recipient=IBU,
            message=Reply("Pertemuan kelompok\nbesok jam 9."),
            kind=OutboxKind.REMINDER,
            dedup_key="r:tpl",
        )
        outbox.enqueue(
            db,
            channel=Channel.WHATSAPP,
            recipient=IBU,
            message=Reply("Pengaduan naik ke koordinator."),
            kind=OutboxKind.ESCALATION,
            dedup_key="e:tpl",
        )
    app.sender.wake()
    await graph.wait_for(lambda: any(m["type"] == "template" for m in graph.sent))
    sent = next(m for m in graph.sent if m["type"] == "template")["template"]
    assert sent["name"] == "pengingat_pertemuan" and sent["language"] == {"code": "id"}
    assert sent["components"][0]["parameters"] == [{"type": "text", "text": "Pertemuan kelompok besok jam 9."}]
    await wait_for(lambda: row(database, "e:tpl").status == "failed")
    escalation = row(database, "e:tpl")
    assert "no template" in (escalation.last_error or "") and "WHATSAPP_TEMPLATE_NOTICE" in (
        escalation.last_error or ""
    )


async def test_a_refused_template_says_so_on_the_row(app: App, graph: FakeGraphApi, database: Database) -> None:
    graph.known_templates = {"something_else"}
    with database.session() as db:
        outbox.enqueue(
            db,
            channel=Channel.WHATSAPP,
            recipient="628111",
            message=Reply("Rapat"),
            kind=OutboxKind.BROADCAST,
            dedup_key="b:tpl",
        )
    app.sender.wake()
    await wait_for(lambda: row(database, "b:tpl").status == "failed")
    refused = row(database, "b:tpl").last_error or ""
    assert "template 'pengumuman_kelompok' refused" in refused and "132001" in refused


async def test_the_transport_maps_graph_errors(app: App, graph: FakeGraphApi) -> None:
    graph.failures["628222"] = [
        (429, {"code": 130429, "message": "Rate limit hit"}, {"Retry-After": "3"}),
        (500, {"code": 1, "message": "An unknown error occurred"}, {}),
        (400, {"code": 131050, "message": "User has stopped marketing messages"}, {}),
        (403, {"code": 10, "message": "Permission denied"}, {}),
        (400, {"code": 131009, "message": "Parameter value is not valid"}, {}),
    ]
    outcomes = []
    for _ in range(5):
        with pytest.raises(SendFailure) as failure:
            await app.channel.transport.deliver("628222", Reply("Halo"), OutboxKind.REPLY)
        outcomes.append((failure.value.kind, failure.value.retry_after))
    assert outcomes == [("retry", 3.0), ("retry", None), ("blocked", None), ("blocked", None), ("failed", None)]


def test_options_render_within_whatsapp_limits(content: Content) -> None:
    strings = content.strings
    same: Any = lambda payloads: payloads  # noqa: E731
    [buttons] = render("Mau lanjut?", [("Lanjutkan", "/a"), ("Menu", "/help")], strings, same)
    assert buttons["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in buttons["interactive"]["action"]["buttons"]] == ["Lanjutkan", "Menu"]

    long_titles = [("Judul yang sangat panjang sekali ya", f"/p{n}") for n in range(3)]
    [as_list] = render("Pilih:", long_titles, strings, same)
    rows = as_list["interactive"]["action"]["sections"][0]["rows"]
    assert as_list["interactive"]["type"] == "list" and all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["description"] == "Judul yang sangat panjang sekali ya"

    paragraphs = "\n\n".join(f"Bagian {n}. " + "kata " * 400 for n in range(5))
    messages = render(paragraphs, [("Ya", "/affirm")], strings, same)
    assert all(m["type"] == "text" and len(m["text"]["body"]) <= 4096 for m in messages[:-1])
    assert messages[-1]["type"] == "interactive" and len(messages[-1]["interactive"]["body"]["text"]) <= 1024

    [numbered] = render("Pilih:", [("Sama", "/x"), ("Sama", "/x")], strings, same)  # ids must be unique
    assert numbered["type"] == "text" and "1. Sama\n2. Sama" in numbered["text"]["body"]


async def test_hapus_data_also_erases_the_kept_webhook_messages(
    app: App, graph: FakeGraphApi, database: Database, content: Content
) -> None:
    for n, said in enumerate(["/help", "HAPUS DATA", "ya"]):  # answered in order, one person's after the other
        assert await app.post(fake_graph.text(IBU, f"wamid.E{n}", said)) == 200
    await graph.wait_for(lambda: content.strings.erase_done in bodies(graph.to(IBU)))
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(InboxMessage).where(InboxMessage.sender == IBU)) == 0
        assert db.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
