"""Knowledge answers as a KPM would meet them: typed the way people type, through the real NLU, on both databases."""

from __future__ import annotations

import pytest

from bot.dialogue import Router
from common.enums import Channel
from content.loader import Content
from nlu.client import NluClient
from store.db import Database
from store.models import ChannelIdentity, Person
from tests.dialog import BOTH_CHANNELS, Check, both, contains, lacks, run_dialog

SOURCE = contains("Sumber:", "Dicek:")


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


@pytest.mark.parametrize(
    ("said", "must_show"),
    [
        ("apa aja hak sy sbg peserta pkh", both(contains("berhak", "pendamping"), SOURCE)),
        ("kewajiban kpm pkh apa aja bu", both(contains("Kesehatan", "85%", "P2K2"), SOURCE)),
        ("kalo anak sy bolos sekolah gmn", contains("ditangguhkan")),
        ("apa bedanya penangguhan sama pembatalan?", both(contains("Penangguhan", "Pembatalan"), SOURCE)),
        ("siapa aja yg bisa dapet pkh", both(contains("komponen", "lansia", "disabilitas berat"), SOURCE)),
        ("brp sih bantuan pkh setahun", both(contains("Rp900.000", "Rp3.000.000", "pendamping"), SOURCE)),
        ("kapan bansos pkh cair", both(contains("KKS", "bertahap"), SOURCE)),
        ("sy blm dpt kis, gmn caranya", both(contains("KIS", "DTKS"), SOURCE)),
        ("graduasi itu apa", both(contains("Graduasi alamiah", "Graduasi mandiri"), SOURCE)),
        ("p2k2 tu apa sih", both(contains("Pertemuan Peningkatan Kemampuan Keluarga", "setiap bulan"), SOURCE)),
    ],
    ids=[
        "rights",
        "obligations",
        "sanctions",
        "sanctions-difference",
        "components",
        "amount",
        "disbursement",
        "complementary",
        "graduation",
        "p2k2",
    ],
)
def test_every_knowledge_intent_answers_with_its_source(router: Router, said: str, must_show: Check) -> None:
    run_dialog(router, "ibu-kn", [(said, must_show)])


@pytest.mark.parametrize(
    ("said", "must_show"),
    [
        ("kewajiban ibu hamil apa aja", both(contains("periksa kehamilan", "imunisasi"), lacks("85%"))),
        ("anak sy smp wajibnya apa", both(contains("85%", "17 hari"), lacks("imunisasi"))),
        ("kewajiban lansia di pkh", both(contains("lansia", "periksa kesehatan rutin"), lacks("85%"))),
        ("berapa untuk anak SMP", both(contains("SMP", "Rp1.500.000"), lacks("Rp900.000"))),
        ("brp bantuan anak sd", both(contains("SD", "Rp900.000"), lacks("Rp1.500.000"))),
        ("bantuan buat ibu hamil brp", both(contains("ibu hamil", "Rp3.000.000"), lacks("Rp900.000"))),
        ("dana pkh utk lansia berapa", both(contains("lansia", "Rp2.400.000"), lacks("Rp900.000"))),
    ],
    ids=[
        "obligation-pregnant",
        "obligation-smp",
        "obligation-elderly",
        "amount-smp",
        "amount-sd",
        "amount-pregnant",
        "amount-elderly",
    ],
)
def test_the_component_in_the_question_picks_the_answer(router: Router, said: str, must_show: Check) -> None:
    run_dialog(router, "ibu-komponen", [(said, both(must_show, SOURCE))])


def test_amounts_say_the_year_and_that_the_pendamping_confirms(router: Router) -> None:
    run_dialog(
        router, "ibu-jumlah", [("brp bantuan utk anak sma", contains("indeks tahun 2021", "dipastikan ke pendamping"))]
    )


def test_follow_up_options_lead_on(router: Router) -> None:
    run_dialog(
        router,
        "ibu-lanjut",
        [
            ("kewajiban pkh apa aja", contains("1. Kesehatan", "2. Pendidikan", "4. Sanksi")),
            ("2", contains("85%")),
        ],
    )


def test_talk_to_human_names_the_pendamping_on_file(router: Router, database: Database) -> None:
    with database.session() as db:
        pendamping = Person(name="Bu Rina", role="pendamping", kode="PD-01", in_directory=True)
        kpm = Person(name="Ibu Sumi", in_directory=True, pendamping=pendamping)
        kpm.identities.append(ChannelIdentity(channel=Channel.REST, external_id="ibu-sumi"))
        db.add_all([pendamping, kpm])
    run_dialog(router, "ibu-sumi", [("sy mau ngomong sama pendamping", contains("Bu Rina"))])


def test_talk_to_human_without_a_pendamping_gives_the_official_channels(router: Router) -> None:
    run_dialog(router, "ibu-baru", [("mau bicara sama orang beneran", contains("Dinas Sosial", "171"))])


@pytest.mark.parametrize(
    ("said", "must_show"),
    [
        ("gmn caranya dapet kis", contains("Penerima Bantuan Iuran", "DTKS")),
        ("anak sy blm dpt kip", contains("Program Indonesia Pintar", "sekolah")),
        ("cara dapet bantuan bedah rumah", contains("tidak layak huni", "kelurahan")),
        ("apa itu penangguhan", both(contains("ditunda sementara"), lacks("Pembatalan:"))),
        ("knp nama sy dicoret dr pkh", contains("tidak lagi menjadi peserta")),
        ("ambil pkh pake kartu kks di atm gmn", contains("Jaga PIN")),
    ],
    ids=["kis", "kip", "rtlh", "suspension", "cancellation", "kks"],
)
def test_words_in_the_question_pick_the_specific_topic(router: Router, said: str, must_show: Check) -> None:
    run_dialog(router, "ibu-kata", [(said, both(must_show, SOURCE))])
