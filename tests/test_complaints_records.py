"""A complaint survives a crash between saving and answering, exactly once; the export and the escalate command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import Services, web_app
from bot.cli import main
from bot.dialogue import Inbound, Router
from bot.settings import Settings
from common.enums import Channel
from content.loader import Content
from nlu.client import NluClient
from store.db import Database
from store.models import Complaint, OutboxMessage
from tests.complaint_world import NURHAYATI, RINA, Clock, NoNlu, build, file, payload, say
from tests.dialog import BOTH_CHANNELS, shown

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)

# The app handles one message and dies (SIGKILL, no clean-up) the moment the transaction that saved a complaint has
# committed: before any reply can leave the process.
CRASHING_APP = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from bot.dialogue import Inbound, Router
from content.loader import load_content
from store.db import Database
from store.models import Complaint
from tests.complaint_world import NoNlu
from tests.dialog import BOTH_CHANNELS

@event.listens_for(Session, "after_flush")
def _saw_complaint(session, _context):
    if any(isinstance(obj, Complaint) for obj in session.new):
        session.info["complaint"] = True

@event.listens_for(Session, "after_commit")
def _die(session):
    if session.info.get("complaint") and not session.in_nested_transaction():  # the real commit, not a savepoint
        os.kill(os.getpid(), signal.SIGKILL)

url, channel, sender, text, message_id = sys.argv[1:]
router = Router(Database(url), load_content(), NoNlu(), channels=BOTH_CHANNELS)
replies = router.handle(Inbound(channel, sender, text, message_id=message_id))
print("ANSWERED", [reply.text for reply in replies], flush=True)
"""


@pytest.fixture
def router(database: Database, content: Content) -> Router:
    build(database)
    return Router(database, content, NoNlu(), clock=Clock(START), channels=BOTH_CHANNELS)


def count(database: Database) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(Complaint)) or 0


def test_killed_between_saving_and_answering_the_complaint_exists_once_and_can_be_found(
    router: Router, database: Database
) -> None:
    say(router, NURHAYATI, payload("file_complaint", complaint_type="kks_tertelan"))
    say(router, NURHAYATI, "Kartu KKS tertelan mesin ATM di pasar")
    assert "Ringkasan" in say(router, NURHAYATI, "Hari ini")

    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_APP, database.url, *NURHAYATI, "kirim", "wamid.KIRIM-1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert "ANSWERED" not in crashed.stdout
    assert count(database) == 1

    # WhatsApp retries the webhook with the same message id: no second complaint, and the answer that never
    # reached her (with her ticket) is given again.
    retried = shown(router.handle(Inbound(*NURHAYATI, "kirim", message_id="wamid.KIRIM-1")))
    assert count(database) == 1
    with database.session() as db:
        ticket = db.scalar(select(Complaint.ticket))
        assert ticket is not None
        # The handler was told in the same transaction, so the crash lost nothing.
        assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == RINA[1]))
    assert ticket in retried
    listing = say(router, NURHAYATI, payload("complaint_status"))
    assert ticket in listing and "Tertelan ATM" in listing
    assert "Kartu KKS tertelan mesin ATM" in say(router, RINA, payload("complaint_open", ticket=ticket))


def test_export_has_exactly_the_agreed_columns_and_no_personal_data(
    router: Router, database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assigned = file(router, NURHAYATI, "kks_hilang", "Kartu hilang, NIK saya 1771234567890001")
    queued = file(router, (Channel.REST, "ibu-tanpa-data"), "lainnya", "Saya tidak tahu pendamping saya siapa")
    say(router, RINA, payload("complaint_resolve", ticket=assigned))
    say(router, RINA, "Sudah dibantu urus kartu baru")
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    capsys.readouterr()
    assert main(["admin", "complaints", "export", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "ticket",
        "category",
        "status",
        "assignee_kode",
        "escalation_level",
        "created_at",
        "first_response_due",
        "resolution_due",
        "resolved_at",
    ]
    by_ticket = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_ticket[assigned]["assignee_kode"] == "PD001" and by_ticket[assigned]["status"] == "resolved"
    assert by_ticket[assigned]["created_at"] == "2026-11-23T02:00:00+00:00"
    assert by_ticket[assigned]["first_response_due"] == "2026-11-25T16:59:59+00:00"
    assert by_ticket[assigned]["resolved_at"] == "2026-11-23T02:00:00+00:00"
    assert by_ticket[queued]["assignee_kode"] == "" and by_ticket[queued]["resolved_at"] == ""
    assert by_ticket[queued]["escalation_level"] == "0"
    assert "Nurhayati" not in out and "Kartu hilang" not in out and "1771234567890001" not in out


def test_the_stored_story_has_personal_numbers_masked(router: Router, database: Database) -> None:
    ticket = file(router, NURHAYATI, "kks_hilang", "KKS 5049490123456789 hilang, hp 081234560002")
    with database.session() as db:
        story = db.scalar(select(Complaint.text).where(Complaint.ticket == ticket))
    assert story is not None and "5049490123456789" not in story and "081234560002" not in story
    assert story.endswith("*********002")


def test_escalate_can_be_run_by_hand(
    router: Router, database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file(router, NURHAYATI, "sembako_bpnt", "Sembako dua bulan belum datang")  # due Wednesday 25 November, WIB
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    capsys.readouterr()
    assert main(["admin", "complaints", "escalate", "--now", "2026-11-26T09:00:00+07:00"]) == 0
    assert "reminded or escalated: 1" in capsys.readouterr().out
    with database.session() as db:
        assert db.scalar(select(Complaint.level)) == "koordinator"


async def test_an_unseen_rest_user_files_a_complaint_and_it_is_in_the_export(
    database: Database,
    content: Content,
    nlu: NluClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = Services(Settings(), database, content, nlu, Router(database, content, nlu, channels=BOTH_CHANNELS))
    async with TestClient(TestServer(web_app(services))) as client:

        async def post(text: str) -> str:
            response = await client.post("/webhooks/rest/webhook", json={"sender": "pengunjung-web", "message": text})
            assert response.status == 200
            return "\n".join(m["text"] for m in await response.json())

        assert "surat kehilangan" in await post("mau lapor kks saya hilang")
        assert "Ringkasan" in await post("kemarin")
        saved = await post("1")
    ticket = saved.split("Nomor tiket: ")[1][:10]
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    capsys.readouterr()
    assert main(["admin", "complaints", "export", "--format", "csv"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if line.startswith(ticket)]
    assert row.startswith(f"{ticket},kks_hilang,open,,0,")  # nobody on file for a stranger: the Dinas Sosial queue
