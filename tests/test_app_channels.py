"""`sahabat run` as a newcomer (or an operator with their own Bot API and Graph API servers) starts it, configured
only through the documented environment variables: both channels answer, the outbox drains, SIGTERM stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot import cli
from bot.settings import Settings, SettingsError
from common.enums import Channel, OutboxKind
from common.messages import Reply
from store import outbox
from store.db import Database
from tests import fake_graph
from tests.fake_graph import FakeGraphApi
from tests.fake_telegram import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FakeBotApi, FakeGraphApi]]:
    telegram, graph = FakeBotApi(), FakeGraphApi()
    await telegram.start()
    await graph.start()
    yield telegram, graph
    await telegram.stop()
    await graph.stop()


async def test_the_app_serves_telegram_and_whatsapp_from_environment_variables(
    database: Database, servers: tuple[FakeBotApi, FakeGraphApi], nlu_url: str, tmp_path: Path
) -> None:
    telegram, graph = servers
    port = free_port()
    env = {
        **os.environ,
        "SAHABAT_DATABASE_URL": database.url,
        "SAHABAT_NLU_URL": nlu_url,
        "SAHABAT_REST_PORT": str(port),
        **fake_graph.platform_env(TOKEN, telegram.base_url, graph),
    }
    log = tmp_path / "app.log"
    with log.open("ab") as stderr:
        app = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/health") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert app.returncode is None, log.read_text()
                await asyncio.sleep(0.1)

            telegram.say(111, "/menu")
            await telegram.wait_for(lambda: any("Saya bisa membantu" in t for t in telegram.texts_to(111)), 20)
            assert telegram.commands  # the "/" menu was set at start

            body = fake_graph.text("628555", "wamid.APP1", "/help")
            headers = {"X-Hub-Signature-256": fake_graph.signature(body), "Content-Type": "application/json"}
            async with http.post(f"{base}/webhooks/whatsapp", data=body, headers=headers) as response:
                assert response.status == 200
            await graph.wait_for(lambda: any(m["type"] == "interactive" for m in graph.to("628555")), 20)

        with database.session() as db:
            outbox.enqueue(
                db,
                channel=Channel.TELEGRAM,
                recipient="111",
                message=Reply("Pertemuan besok jam 9."),
                kind=OutboxKind.BROADCAST,
                dedup_key="app:1",
            )
        await telegram.wait_for(lambda: "Pertemuan besok jam 9." in telegram.texts_to(111), 20)
    finally:
        app.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(app.wait(), 30)
    assert code == 0, log.read_text()


def test_a_malformed_variable_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SettingsError, match=r"SAHABAT_REST_PORT: .*integer.*'abc'"):
        Settings.from_env({"SAHABAT_REST_PORT": "abc"})
    with pytest.raises(SettingsError, match="TELEGRAM_RATE"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_RATE": "fast"})
    with pytest.raises(SettingsError, match="SAHABAT_REMINDER_OFFSETS"):
        Settings.from_env({"SAHABAT_REMINDER_OFFSETS": "2 jam"})
    monkeypatch.setenv("SAHABAT_REST_PORT", "abc")
    assert cli.main(["admin", "groups"]) == 2
    assert "SAHABAT_REST_PORT" in capsys.readouterr().err
    monkeypatch.setenv("SAHABAT_REST_PORT", "8080")
    monkeypatch.setenv("SAHABAT_REMINDER_OFFSETS", "2 jam")
    with pytest.raises(SettingsError, match="SAHABAT_REMINDER_OFFSETS"):
        Settings.from_env()


def test_the_process_environment_is_read_like_a_given_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHABAT_REMINDER_OFFSETS", "30m, 1d")
    monkeypatch.setenv("SAHABAT_REST_PORT", "9090")
    monkeypatch.setenv("SAHABAT_NLU_URL", "")
    settings = Settings.from_env()
    assert settings.reminder_offsets == Settings.from_env({"SAHABAT_REMINDER_OFFSETS": "30m, 1d"}).reminder_offsets
    assert settings.rest_port == 9090 and settings.nlu_url is None


def test_settings_defaults_and_empty_values() -> None:
    settings = Settings.from_env({"SAHABAT_REST_PORT": "", "SAHABAT_NLU_URL": ""})
    assert settings == Settings()
    assert Settings.from_env({"SAHABAT_REST_PORT": "9090"}).site_url == "http://127.0.0.1:9090"


def test_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_URL": "https://example.org/tg"})
    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET"):
        Settings.from_env({"WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_VERIFY_TOKEN": "v"})
    settings = Settings.from_env(
        {
            "WHATSAPP_TOKEN": "t",
            "WHATSAPP_PHONE_NUMBER_ID": "1",
            "WHATSAPP_APP_SECRET": "s",
            "WHATSAPP_VERIFY_TOKEN": "v",
            "WHATSAPP_TEMPLATE_REMINDER": "pengingat",
            "WHATSAPP_RATE": "20",
        }
    )
    assert settings.whatsapp is not None and settings.telegram is None
    assert settings.whatsapp.api_base_url == "https://graph.facebook.com/v21.0"
    assert settings.whatsapp.rate == 20 and settings.whatsapp.templates == {"reminder": "pengingat"}
