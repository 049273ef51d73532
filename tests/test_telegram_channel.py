"""The Telegram channel: the real python-telegram-bot code against a local fake Bot API server (tests/fake_telegram.py),
polling and webhook, buttons both ways, commands, deep links, media, group chats, and the outbox transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Services, web_app
from bot.budget import LocalBudget
from bot.channels.telegram import TelegramChannel, TelegramTransport, _rendered, outbox_bot
from bot.dialogue import Router
from bot.outbox import Limits, OutboxSender, SendFailure
from bot.settings import Settings, TelegramSettings
from common.enums import Channel, OutboxKind
from common.messages import Option, Reply
from content.loader import Content
from nlu.client import NluClient
from store import channels, outbox
from store.db import Database
from store.models import ChannelIdentity, OutboxMessage, Person, Turn
from tests.dialog import BOTH_CHANNELS
from tests.fake_telegram import TOKEN, FakeBotApi, keyboard
from tests.waiting import wait_for


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


@pytest.fixture
async def polling(
    fake: FakeBotApi, router: Router, database: Database, content: Content
) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(TelegramSettings(TOKEN, fake.base_url), router, database, content, LocalBudget(30))
    await channel.start()
    yield channel
    await channel.stop()


async def test_a_conversation_with_inline_buttons_both_ways(
    fake: FakeBotApi, polling: TelegramChannel, content: Content
) -> None:
    fake.say(501, "halo")
    await fake.wait_for(lambda: any(keyboard(m) for m in fake.sent))
    greeting = fake.sent[-1]
    assert "Sahabat KPM" in greeting["text"]
    assert ("Hak peserta", "/ask_rights") in keyboard(greeting)

    fake.press(501, "/ask_rights")
    await fake.wait_for(lambda: len(fake.answered) == 1 and len(fake.texts_to(501)) >= 2)
    rights = content.overview("ask_rights")
    assert rights is not None and rights.answer[:40] in "\n".join(fake.texts_to(501))


async def test_the_commands_menu_and_deep_links_reach_the_dialogue(
    fake: FakeBotApi, polling: TelegramChannel, content: Content, database: Database
) -> None:
    default = fake.commands[0]
    assert "scope" not in default and {c["command"] for c in default["commands"]} >= {"menu", "hak", "pengaduan"}

    fake.say(502, "/hak")
    rights = content.overview("ask_rights")
    assert rights is not None
    await fake.wait_for(lambda: any(rights.answer[:40] in t for t in fake.texts_to(502)))

    fake.say(502, "/start KLP-7Q2X")

    def said_last() -> str | None:
        with database.session() as db:
            return db.scalars(select(Turn.text).where(Turn.direction == "in").order_by(Turn.id.desc())).first()

    await wait_for(lambda: said_last() == "/start KLP-7Q2X", describe=said_last)


@pytest.mark.parametrize("kind", ["voice", "sticker", "photo", "document"])
async def test_media_gets_a_friendly_answer(
    fake: FakeBotApi, polling: TelegramChannel, content: Content, kind: str
) -> None:
    fake.send_media(503, kind)
    await fake.wait_for(lambda: fake.texts_to(503))
    assert fake.texts_to(503) == [content.strings.unsupported_media]
    assert keyboard(fake.sent[0])[0] == ("Hak peserta", "/ask_rights")


async def test_in_a_group_only_commands_for_this_bot_are_answered_and_never_with_the_privacy_notice(
    fake: FakeBotApi, polling: TelegramChannel, content: Content
) -> None:
    group = -100200300
    fake.say(group, "halo semua", user_id=601, chat_type="group")
    fake.say(group, "/menu@OtherBot", user_id=601, chat_type="group")
    fake.say(group, "/menu@SahabatTestBot", user_id=601, chat_type="group")
    # One chat's updates are handled in order: once /menu@SahabatTestBot is answered, the two before were looked at.
    await fake.wait_for(lambda: any(content.strings.help in text for text in fake.texts_to(group)))
    answers = fake.texts_to(group)
    assert len(answers) == 1  # the menu alone: "halo semua" and /menu@OtherBot got nothing
    # a group is no place for the privacy notice: everyone there reads it
    assert not any(content.strings.privacy_notice in text for text in answers)
    fake.say(601, "/menu")  # her first private message is where she is told
    await fake.wait_for(lambda: any(content.strings.privacy_notice in text for text in fake.texts_to(601)))


async def test_staff_get_their_own_commands_menu(
    fake: FakeBotApi, polling: TelegramChannel, database: Database
) -> None:
    with database.session() as db:
        person = Person(role="pendamping", name="Pak Joko")
        person.identities.append(ChannelIdentity(channel=Channel.TELEGRAM, external_id="701"))
        db.add(person)
    fake.say(701, "/menu")
    await fake.wait_for(lambda: any(c.get("scope") for c in fake.commands))
    scoped = next(c for c in fake.commands if c.get("scope"))
    assert scoped["scope"] == {"type": "chat", "chat_id": 701}
    names = {c["command"] for c in scoped["commands"]}
    assert {"aduan", "siaran", "jadwal", "pertemuan"} <= names and "hak" not in names
    fake.say(701, "/menu")  # set once, not on every message
    await fake.wait_for(lambda: len(fake.texts_to(701)) >= 2)
    assert sum(1 for c in fake.commands if c.get("scope")) == 1


def test_long_texts_split_on_paragraphs_and_long_payloads_fit_callback_data(database: Database) -> None:
    paragraphs = [f"Paragraf {n}. " + "kata " * 300 for n in range(6)]
    payload = '/ask_rights{"topic": ["' + "x" * 80 + '"]}'
    messages = _rendered(database, "\n\n".join(paragraphs), [("Hak peserta", payload), ("Menu", "/help")])
    assert len(messages) > 1 and all(len(text) <= 4096 for text, _ in messages)
    assert all(text.startswith("Paragraf") for text, _ in messages)  # cut between paragraphs
    assert [markup is None for _, markup in messages] == [True] * (len(messages) - 1) + [False]
    markup = messages[-1][1]
    assert markup is not None
    data = [button.callback_data for row in markup.inline_keyboard for button in row]
    assert all(len(str(d).encode()) <= 64 for d in data) and data[1] == "/help"
    with database.session() as db:
        assert channels.full_payload(db, str(data[0])) == payload


async def test_a_long_payload_button_press_is_routed_like_the_payload(
    fake: FakeBotApi, polling: TelegramChannel, database: Database, content: Content
) -> None:
    with database.session() as db:
        key = channels.short_payload(db, '/ask_rights{"note": "' + "n" * 80 + '"}', 64)
    fake.press(504, key)
    rights = content.overview("ask_rights")
    assert rights is not None
    await fake.wait_for(lambda: any(rights.answer[:40] in t for t in fake.texts_to(504)))


@pytest.fixture
async def webhook(
    fake: FakeBotApi, router: Router, database: Database, content: Content, nlu: NluClient
) -> AsyncIterator[tuple[TestClient[Any, Any], TelegramChannel]]:
    settings = TelegramSettings(TOKEN, fake.base_url, "https://bot.example.org/tg/hook-1", "s3cret-token")
    channel = TelegramChannel(settings, router, database, content, LocalBudget(30))
    services = Services(Settings(), database, content, nlu, router)
    await channel.start()
    async with TestClient(TestServer(web_app(services, [channel]))) as client:
        yield client, channel
    await channel.stop()


async def test_webhook_mode_refuses_a_wrong_secret_and_answers_once(
    fake: FakeBotApi, webhook: tuple[TestClient[Any, Any], TelegramChannel]
) -> None:
    client, _ = webhook
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://bot.example.org/tg/hook-1" and fake.webhook["secret_token"] == "s3cret-token"
    update = fake.update("message", fake.text_message(801, "/menu"))
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        response = await client.post("/tg/hook-1", json=update, headers=headers)
        assert response.status == 403
    assert fake.sent == []

    good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
    for _ in range(2):  # Telegram retries a webhook it thinks failed: the same update is answered once
        response = await client.post("/tg/hook-1", json=update, headers=good)
        assert response.status == 200
    assert [t for t in fake.texts_to(801) if "Saya bisa membantu" in t] != []
    assert len(fake.texts_to(801)) == 1  # the menu with the privacy notice on top, once


async def test_the_outbox_transport_maps_telegram_errors(fake: FakeBotApi, database: Database) -> None:
    bot = outbox_bot(TelegramSettings(TOKEN, fake.base_url), LocalBudget(30))
    await bot.initialize()
    transport = TelegramTransport(bot, database)
    fake.failures["901"] = [
        (429, "Too Many Requests: retry after 7", {"retry_after": 7}),
        (403, "Forbidden: bot was blocked by the user", None),
        (400, "Bad Request: chat not found", None),
        (502, "Bad Gateway", None),
    ]
    outcomes = []
    for _ in range(4):
        with pytest.raises(SendFailure) as failure:
            await transport.deliver("901", Reply("Pengingat"), OutboxKind.REMINDER)
        outcomes.append((failure.value.kind, failure.value.retry_after))
    assert outcomes == [("retry", 7.0), ("blocked", None), ("failed", None), ("retry", None)]
    message_id = await transport.deliver(
        "901", Reply("Pengingat", (Option("Lihat", "/ask_meeting"),)), OutboxKind.REMINDER
    )
    assert message_id.isdigit() and keyboard(fake.sent[-1]) == [("Lihat", "/ask_meeting")]
    await bot.shutdown()


async def test_outbox_rows_reach_telegram_within_the_limits(fake: FakeBotApi, database: Database) -> None:
    fake.per_second, fake.per_chat_interval = 30, 1.0
    with database.session() as db:
        for n in range(40):
            outbox.enqueue(
                db,
                channel=Channel.TELEGRAM,
                recipient=str(950 + n % 20),
                message=Reply(f"Pengumuman {n}"),
                kind=OutboxKind.BROADCAST,
                dedup_key=f"t:{n}",
            )
    bot = outbox_bot(TelegramSettings(TOKEN, fake.base_url), LocalBudget(30))
    await bot.initialize()
    sender = OutboxSender(database, TelegramTransport(bot, database), Limits(per_second=30, per_chat_interval=1.0))
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, idle=0.05))
    await fake.wait_for(lambda: len(fake.sent) == 40, timeout=20)
    stop.set()
    await task
    await bot.shutdown()
    assert sorted(m["text"] for m in fake.sent) == sorted(f"Pengumuman {n}" for n in range(40))
    assert fake.refused == 0  # never over 30 a second, never two a second in one chat
    with database.session() as db:
        assert set(db.scalars(select(OutboxMessage.status))) == {"sent"}


async def test_an_answer_refused_for_the_rate_limit_is_sent_after_the_wait(
    fake: FakeBotApi, polling: TelegramChannel
) -> None:
    fake.failures["905"] = [(429, "Too Many Requests: retry after 1", {"retry_after": 1})]
    fake.say(905, "/menu")
    await fake.wait_for(lambda: any("Saya bisa membantu" in text for text in fake.texts_to(905)))
    assert fake.failures["905"] == []  # the scripted refusal was used, and the answer still arrived
