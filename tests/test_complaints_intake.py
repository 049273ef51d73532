"""Filing complaints as people do, through the real Rasa server, on SQLite and PostgreSQL: every category, the
menus, what the NLU pre-fills, cancelling, and looking a complaint up afterwards."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from actions.complaints_common import complaints_content
from bot.dialogue import Router
from content.loader import Content, load_content
from nlu.client import NluClient
from store.db import Database
from store.models import Complaint
from tests.complaint_world import NURHAYATI, RINA, build, outbox_to, payload, say
from tests.dialog import BOTH_CHANNELS, both, contains, lacks, run_dialog

CATEGORIES = [category.id for category in complaints_content(load_content()).categories]


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    build(database)
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def stored(database: Database) -> list[Complaint]:
    with database.session() as db:
        return list(db.scalars(select(Complaint).order_by(Complaint.id)))


@pytest.mark.parametrize("category_id", CATEGORIES)
def test_intake_of_each_category(router: Router, database: Database, content: Content, category_id: str) -> None:
    category = complaints_content(content).category(category_id)
    assert category is not None
    start = "/file_complaint" + json.dumps({"complaint_type": category_id})
    run_dialog(
        router,
        NURHAYATI[1],
        [
            ("/help", contains("Saya bisa membantu")),
            (start, contains(category.guidance.splitlines()[0], "Ceritakan singkat")),
            ("Sudah dua kali saya datang tapi belum ada hasil", contains("Sejak kapan", "1. Hari ini")),
            ("3", contains("Ringkasan", category.title, "Sudah dua kali saya datang", "Bulan ini", "Kirim rahasia")),
            ("1", contains("Nomor tiket: ADU-", "paling lambat")),
        ],
        channel=NURHAYATI[0],
    )
    [complaint] = stored(database)
    assert complaint.category == category_id and complaint.since == "Bulan ini" and not complaint.secret
    if category.factual:
        assert "Sumber:" in say(router, NURHAYATI, start)


def test_the_nlu_pre_fills_the_category_and_the_story(router: Router, database: Database) -> None:
    # Said as a complaint: the same trouble asked as a question gets its catalogue answer first (test_knowledge.py).
    run_dialog(
        router,
        NURHAYATI[1],
        [
            (
                "sy mau lapor kartu kks saya hilang",
                both(contains("surat kehilangan", "Sejak kapan"), lacks("Ceritakan")),
            ),
            ("kemarin sore", contains("Ringkasan", "KKS hilang", "kartu kks saya hilang", "kemarin sore")),
            ("kirim rahasia", contains("Nomor tiket: ADU-", "dirahasiakan")),
        ],
        channel=NURHAYATI[0],
    )
    [complaint] = stored(database)
    assert complaint.category == "kks_hilang" and complaint.secret
    assert any(complaint.ticket in text for text in outbox_to(database, RINA))


def test_without_a_category_the_menus_lead_to_one(router: Router, database: Database) -> None:
    run_dialog(
        router,
        NURHAYATI[1],
        [
            ("saya mau mengadu", contains("Pengaduan tentang apa", "1. Kartu KKS", "9. Lainnya")),
            ("1", contains("Kartu KKS: pilih", "KKS hilang", "Lupa PIN")),
            ("4", contains("PIN", "Ceritakan")),
            ("PIN saya terblokir setelah salah tiga kali", contains("Sejak kapan")),
            ("minggu lalu", contains("Ringkasan", "Lupa PIN")),
            ("kirim", contains("ADU-")),
        ],
        channel=NURHAYATI[0],
    )
    assert [c.category for c in stored(database)] == ["lupa_pin"]


def test_cancelling_or_leaving_stores_nothing(router: Router, database: Database) -> None:
    run_dialog(
        router,
        NURHAYATI[1],
        [
            ("mau lapor pendamping minta uang potongan", contains("koordinator", "Sejak kapan")),
            ("bulan ini", contains("Ringkasan", "Perilaku pendamping")),
            ("batal", contains("tidak dikirim")),
            ("sy mau komplain, bantuan belum cair", contains("Sejak kapan")),
            ("menu", contains("Saya bisa membantu")),
        ],
        channel=NURHAYATI[0],
    )
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == 0
    assert outbox_to(database, RINA) == []


def test_looking_up_complaints_in_words(router: Router, database: Database) -> None:
    run_dialog(
        router,
        NURHAYATI[1],
        [
            ("cek status pengaduan", contains("tidak punya pengaduan")),
            ("mau lapor kks tertelan mesin atm tadi pagi", contains("Sejak kapan")),
            ("hari ini", contains("Ringkasan")),
            ("kirim", contains("ADU-")),
        ],
        channel=NURHAYATI[0],
    )
    ticket = stored(database)[0].ticket
    run_dialog(
        router,
        NURHAYATI[1],
        [
            ("pengaduan saya sudah diproses belum", contains(ticket, "menunggu tanggapan")),
            (f"aduan saya {ticket} sudah sampai mana", contains(ticket, "Pengaduan dicatat")),
        ],
        channel=NURHAYATI[0],
    )


def test_an_answers_complaint_button_takes_her_question_as_the_story(router: Router, database: Database) -> None:
    """ "Buat pengaduan" under an answer names the category; the question she asked before is her story, so the
    intake asks only since when. "kembali" lets her tell it again."""
    question = "saldo kks saya kosong padahal tetangga udah cair"
    button = payload("file_complaint", category="bantuan_belum_diterima")
    run_dialog(
        router,
        NURHAYATI[1],
        [
            (question, lacks("Nomor tiket")),
            (button, both(contains("Sejak kapan"), lacks("Ceritakan"))),
            ("bulan ini", contains("Ringkasan", question, "Bulan ini")),
            ("kembali", contains("Sejak kapan")),
            ("kembali", contains("Ceritakan")),
            ("saldo kosong sejak tahap dua, tetangga sudah cair", contains("Sejak kapan")),
            ("2", contains("Ringkasan", "sejak tahap dua", "Minggu ini")),
            ("kirim", contains("Nomor tiket: ADU-")),
        ],
        channel=NURHAYATI[0],
    )
    [complaint] = stored(database)
    assert complaint.category == "bantuan_belum_diterima"
    assert (complaint.text, complaint.since) == ("saldo kosong sejak tahap dua, tetangga sudah cair", "Minggu ini")


def test_a_button_after_a_short_message_asks_for_the_story(router: Router) -> None:
    button = payload("file_complaint", category="kks_hilang")
    run_dialog(
        router,
        NURHAYATI[1],
        [("/help", contains("Saya bisa membantu")), (button, contains("Ceritakan"))],
        channel=NURHAYATI[0],
    )


def test_a_complaint_typed_in_one_message_is_category_and_story(router: Router, database: Database) -> None:
    """Trouble told in one message is answered first (the catalogue: not allowed, where else to report); its
    "Buat pengaduan" then takes that message as the story and asks only since when."""
    said = "pendamping minta uang 50rb buat pencairan"
    button = payload("file_complaint", category="pendamping")
    run_dialog(
        router,
        NURHAYATI[1],
        [
            (said, both(contains("Buat pengaduan", "171"), lacks("Sejak kapan"))),
            (button, both(contains("Sejak kapan"), lacks("Ceritakan", "Pengaduan tentang apa"))),
            ("1", contains("Ringkasan", "Perilaku pendamping", said, "Hari ini")),
            ("kirim rahasia", contains("Nomor tiket: ADU-")),
        ],
        channel=NURHAYATI[0],
    )
    [complaint] = stored(database)
    assert (complaint.category, complaint.text, complaint.secret) == ("pendamping", said, True)
