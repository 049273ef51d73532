"""Issue 9's "must show": a question a KPM sends on WhatsApp, answered by her pendamping in Telegram, delivered to
the KPM on WhatsApp. Both channels are the real ones (signed webhooks into the app; python-telegram-bot polling a
local Bot API), each with its outbox sender, against fake platform servers; the NLU is the real Rasa server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Services, outbox_senders, web_app, whatsapp_transport
from bot.budget import LocalBudget
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.dialogue import Router
from bot.settings import Settings, TelegramSettings
from common.enums import OutboxKind, OutboxStatus
from content.loader import Content
from nlu.client import NluClient
from store.db import Database
from store.locks import ProcessMark
from store.models import OutboxMessage
from tests import fake_graph
from tests.complaint_world import NURHAYATI, RINA, build
from tests.dialog import BOTH_CHANNELS
from tests.fake_graph import FakeGraphApi
from tests.fake_telegram import TOKEN, FakeBotApi, keyboard

ASKED = "bu kapan pkh tahap 4 cair di kelurahan saya"
ANSWERED = "Tahap 4 di Pasar Bengkulu cair minggu depan lewat BRI, Bu."


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(
        m["text"]["body"] if m["type"] == "text" else m.get("interactive", {}).get("body", {}).get("text", "")
        for m in messages
    )


class Deployment:
    def __init__(self, graph: FakeGraphApi, telegram: FakeBotApi, client: TestClient[Any, Any]) -> None:
        self.graph, self.telegram, self.client = graph, telegram, client
        self.wamids = 0

    async def whatsapp(self, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": fake_graph.signature(body)}
        response = await self.client.post("/webhooks/whatsapp", data=body, headers=headers)
        assert response.status == 200

    def wamid(self) -> str:
        self.wamids += 1
        return f"wamid.IN{self.wamids}"


@pytest.fixture
async def deployment(database: Database, content: Content, nlu: NluClient) -> AsyncIterator[Deployment]:
    build(database)
    graph, telegram = FakeGraphApi(), FakeBotApi()
    await graph.start()
    await telegram.start()
    router = Router(database, content, nlu, channels=BOTH_CHANNELS)
    settings = Settings(whatsapp=fake_graph.settings_for(graph), telegram=TelegramSettings(TOKEN, telegram.base_url))
    services = Services(settings, database, content, nlu, router)
    wa_settings = fake_graph.settings_for(graph)
    whatsapp = WhatsAppChannel(
        wa_settings, router, database, content, whatsapp_transport(wa_settings, database, content)
    )
    tg = TelegramChannel(TelegramSettings(TOKEN, telegram.base_url), router, database, content, LocalBudget(30))
    mark = ProcessMark(database.engine)
    senders = outbox_senders(services, [whatsapp, tg], mark)
    stop = asyncio.Event()
    await whatsapp.start()
    await tg.start()
    running = [asyncio.create_task(sender.run(stop, idle=0.05)) for sender in senders]
    workers = [asyncio.create_task(whatsapp.answer_inbox(stop)), asyncio.create_task(whatsapp.dispatch_inbox(stop))]
    async with TestClient(TestServer(web_app(services, [whatsapp, tg]))) as client:
        yield Deployment(graph, telegram, client)
    stop.set()
    for task in workers:
        task.cancel()
    await asyncio.gather(*running)
    await asyncio.gather(*workers, return_exceptions=True)
    await tg.stop()
    await whatsapp.stop()
    mark.release()
    await telegram.stop()
    await graph.stop()


async def test_a_whatsapp_question_answered_in_telegram_reaches_her_on_whatsapp(
    deployment: Deployment, database: Database, content: Content
) -> None:
    t = content.strings.questions
    graph, telegram = deployment.graph, deployment.telegram
    nurhayati, rina = NURHAYATI[1], int(RINA[1])

    await deployment.whatsapp(fake_graph.text(nurhayati, deployment.wamid(), ASKED))
    await graph.wait_for(lambda: graph.to(nurhayati))
    # The button an "I don't know" answer (or "Hubungi pendamping") carries.
    press = fake_graph.button_reply(nurhayati, deployment.wamid(), "/send_question", t.send_button)
    await deployment.whatsapp(press)
    await graph.wait_for(lambda: "Rina Wulandari" in texts(graph.to(nurhayati)), timeout=20)
    assert ASKED in texts(graph.to(nurhayati))

    # Rina is told on Telegram, lists what waits and presses Jawab.
    await telegram.wait_for(lambda: any(ASKED in text for text in telegram.texts_to(rina)), timeout=20)
    telegram.say(rina, "/pertanyaan")
    await telegram.wait_for(lambda: any(t.inbox_intro[:20] in text for text in telegram.texts_to(rina)), timeout=20)
    listing = next(m for m in telegram.sent if t.inbox_intro[:20] in m["text"])
    assert "Nurhayati" in listing["text"] and ASKED in listing["text"]
    [(title, data)] = keyboard(listing)
    assert title == t.answer_button.format(number=1)
    telegram.press(rina, data)
    await telegram.wait_for(lambda: any("Tulis jawaban" in text for text in telegram.texts_to(rina)), timeout=20)
    telegram.say(rina, ANSWERED)
    done = t.answer_sent.format(name="Nurhayati")
    await telegram.wait_for(lambda: any(done in text for text in telegram.texts_to(rina)), timeout=20)

    # The answer reaches her on WhatsApp, through the outbox, as an answer.
    await graph.wait_for(lambda: ANSWERED in texts(graph.to(nurhayati)), timeout=20)
    with database.session() as db:
        row = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.ANSWER)).one()
        assert (row.channel, row.recipient, row.status) == ("whatsapp", nurhayati, OutboxStatus.SENT)
