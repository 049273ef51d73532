"""Handling in chat, status, reopening and escalation with a frozen clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.dialogue import Router
from common.enums import Channel
from content.loader import Content
from reminders.escalation import run_escalations
from store.db import Database
from store.directory import import_files
from store.models import ComplaintEvent
from tests.complaint_world import (
    ADMIN,
    DEWI,
    NEIGHBOUR,
    NURHAYATI,
    RINA,
    SITI,
    Clock,
    NoNlu,
    build,
    complaint,
    file,
    outbox_options,
    outbox_to,
    payload,
    say,
)
from tests.dialog import BOTH_CHANNELS, Check, both, contains, lacks

START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 23 November 2026, 09:00 WIB


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def router(database: Database, content: Content, clock: Clock) -> Router:
    build(database)
    return Router(database, content, NoNlu(), clock=clock, channels=BOTH_CHANNELS)


def check(router: Router, who: tuple[Channel, str], steps: list[tuple[str, Check]]) -> None:
    for number, (said, expected) in enumerate(steps, start=1):
        answer = say(router, who, said)
        assert expected(answer), f"step {number}: {said!r} was answered with:\n{answer}\n(expected {expected!r})"


def kinds(database: Database, ticket: str) -> list[str]:
    with database.session() as db:
        found = complaint(database, ticket)
        return list(db.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == found.id)))


def test_a_pendamping_accepts_replies_resolves_and_the_reporter_reopens_then_confirms(
    router: Router, database: Database
) -> None:
    ticket = file(router, NURHAYATI, "kks_hilang", "Kartu KKS saya hilang di pasar", since="Hari ini")
    check(
        router,
        RINA,
        [
            ("/aduan", contains(ticket, "KKS hilang", "batas 25 November 2026")),
            (
                "1",
                contains(
                    "Kartu KKS saya hilang di pasar",
                    "Hari ini",
                    "Pelapor: Nurhayati, 6281234560002",
                    "Batas tanggapan: 25 November 2026",
                    "Batas selesai: 7 Desember 2026",
                    "Pengaduan dicatat",
                    "Terima",
                    "Balas",
                    "Selesai",
                    "Alihkan",
                ),
            ),
            ("1", contains(ticket, "diterima")),
        ],
    )
    assert "sudah diterima petugas" in outbox_to(database, NURHAYATI)[-1]
    assert "sedang ditangani" in say(router, NURHAYATI, f"cek {ticket}")

    check(
        router,
        RINA,
        [
            (payload("complaint_reply", ticket=ticket), contains("Tulis balasan")),
            ("Besok jam 9 kita ke polsek bersama, bawa KTP", contains("terkirim")),
            (payload("complaint_resolve", ticket=ticket), contains("catatan penyelesaian")),
            ("Kartu baru sudah diambil di bank", contains("ditandai selesai")),
        ],
    )
    told = outbox_to(database, NURHAYATI)
    assert "Besok jam 9 kita ke polsek" in told[-2] and "Kartu baru sudah diambil" in told[-1]
    assert [title for title, _ in outbox_options(database, NURHAYATI)[-1]] == ["Sudah beres", "Belum beres"]
    assert "menunggu konfirmasi" in say(router, NURHAYATI, ticket)

    check(router, NURHAYATI, [("Belum beres", contains(ticket, "dibuka lagi"))])  # typed, not pressed
    assert "membuka lagi" in outbox_to(database, RINA)[-1]
    assert complaint(database, ticket).status == "open"
    check(
        router,
        RINA,
        [
            (payload("complaint_resolve", ticket=ticket), contains("catatan")),
            ("Sudah dicek lagi, kartu aktif", contains("selesai")),
        ],
    )
    check(router, NURHAYATI, [(payload("complaint_confirm", ticket=ticket), contains("sudah ditutup"))])
    assert "sudah beres" in outbox_to(database, RINA)[-1]
    assert complaint(database, ticket).status == "closed"
    assert kinds(database, ticket) == [
        "created",
        "acknowledged",
        "replied",
        "resolved",
        "reopened",
        "resolved",
        "confirmed",
    ]
    assert ticket not in say(router, RINA, "/aduan")
    history = say(router, NURHAYATI, payload("complaint_status"))  # closed: no longer listed as running
    assert ticket not in history


def test_the_history_names_staff_but_never_the_reporter(router: Router) -> None:
    ticket = file(router, NURHAYATI, "kks_tertelan", "Kartu tertelan di ATM", secret=True)
    say(router, RINA, payload("complaint_accept", ticket=ticket))
    shown = say(router, RINA, payload("complaint_open", ticket=ticket))
    assert "Diterima petugas oleh Rina Wulandari" in shown
    assert "Pengaduan dicatat" in shown and "Pengaduan dicatat oleh" not in shown and "Nurhayati" not in shown


def test_reopening_is_possible_for_14_days_only(router: Router, database: Database, clock: Clock) -> None:
    ticket = file(router, NURHAYATI, "lupa_pin", "Lupa PIN kartu KKS")
    say(router, RINA, payload("complaint_resolve", ticket=ticket))
    say(router, RINA, "PIN sudah diatur ulang di bank")
    clock.advance(days=15)
    check(router, NURHAYATI, [(payload("complaint_reopen", ticket=ticket), contains("lebih dari 14 hari"))])
    assert complaint(database, ticket).status == "resolved"


def test_alihkan_moves_a_case_up_with_its_reason_and_tells_the_reporter(router: Router, database: Database) -> None:
    ticket = file(router, NURHAYATI, "data_salah", "Nama anak saya tidak tercatat")
    check(
        router,
        RINA,
        [
            (payload("complaint_reassign", ticket=ticket), contains("alasan")),
            ("Perlu keputusan koordinator soal data", contains("dialihkan ke koordinator")),
            ("/aduan", lacks(ticket)),
        ],
    )
    assert "Perlu keputusan koordinator" in outbox_to(database, DEWI)[-1]
    assert "dialihkan ke petugas lain" in outbox_to(database, NURHAYATI)[-1]
    check(
        router,
        DEWI,
        [
            ("/aduan", contains(ticket)),
            (payload("complaint_reassign", ticket=ticket), contains("alasan")),
            ("Perlu Dinas Sosial", contains("dialihkan ke Dinas Sosial")),
        ],
    )
    check(
        router,
        ADMIN,
        [
            ("/aduan", contains(ticket)),
            (payload("complaint_reassign", ticket=ticket), contains("alasan")),
            ("Coba lagi", contains("tingkat tertinggi")),
        ],
    )
    found = complaint(database, ticket)
    assert found.level == "admin" and found.escalation_level == 2


def test_the_inbox_shows_overdue_cases_first(router: Router, clock: Clock) -> None:
    old = file(router, NURHAYATI, "kks_rusak", "Kartu KKS patah")
    clock.advance(days=3)  # Thursday: the first case's deadline (Wednesday) has passed
    new = file(router, NURHAYATI, "sembako_bpnt", "Sembako bulan ini belum datang")
    inbox = say(router, RINA, "/aduan")
    assert inbox.index(old) < inbox.index(new)
    assert f"LEWAT BATAS · {old}" in inbox and f"LEWAT BATAS · {new}" not in inbox


def test_status_by_ticket_own_list_and_someone_elses_ticket(router: Router) -> None:
    check(router, NURHAYATI, [(payload("complaint_status"), contains("tidak punya pengaduan"))])
    first = file(router, NURHAYATI, "kks_hilang", "Kartu hilang")
    second = file(router, NURHAYATI, "komplementer", "KIP anak belum keluar")
    check(
        router,
        NURHAYATI,
        [
            (payload("complaint_status"), contains(first, second, "KKS hilang", "menunggu tanggapan")),
            (f"cek {first.lower()}", contains(first, "Pengaduan dicatat", "menunggu tanggapan")),
        ],
    )
    say(router, SITI, "/help")  # past the first-reply privacy notice
    someone_else = say(router, SITI, f"cek {first}")
    never_was = say(router, SITI, "cek ADU-ZZZZZZ")
    assert "tidak ditemukan" in someone_else
    assert someone_else.replace(first, "ADU-ZZZZZZ") == never_was
    assert "KKS hilang" not in someone_else and "Kartu hilang" not in someone_else


def test_aduan_is_only_for_staff(router: Router) -> None:
    check(router, SITI, [("/aduan", both(contains("hanya untuk pendamping"), lacks("ADU-")))])


def test_sudah_beres_without_a_resolved_complaint_says_so(router: Router) -> None:
    file(router, SITI, "kks_rusak", "Kartu KKS retak")
    check(router, SITI, [("sudah beres", contains("Tidak ada pengaduan", "menunggu konfirmasi"))])


def test_reminder_before_the_deadline_then_escalation_up_the_chain(
    router: Router, database: Database, content: Content
) -> None:
    ticket = file(router, NURHAYATI, "bantuan_belum_diterima", "Bantuan tahap ini belum masuk")

    def run(at: dt.datetime) -> int:
        with database.session() as db:
            return run_escalations(db, content, at, BOTH_CHANNELS)

    # First response due Wednesday 25 November, 23:59 WIB (16:59 UTC); reminders start 24 hours before.
    assert run(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)) == 0
    assert run(dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC)) == 1
    assert run(dt.datetime(2026, 11, 25, 4, tzinfo=dt.UTC)) == 0, "a reminder is sent once"
    assert "Pengingat" in outbox_to(database, RINA)[-1] and "25 November 2026" in outbox_to(database, RINA)[-1]

    assert run(dt.datetime(2026, 11, 26, 3, tzinfo=dt.UTC)) == 1
    assert run(dt.datetime(2026, 11, 26, 3, tzinfo=dt.UTC)) == 0, "escalating is idempotent"
    moved = complaint(database, ticket)
    assert moved.level == "koordinator" and moved.escalation_level == 1
    assert "dialihkan kepada Anda" in outbox_to(database, DEWI)[-1]
    # Thursday 26 + 2 working days = Monday 30 November (the weekend is skipped).
    told = outbox_to(database, NURHAYATI)[-1]
    assert "lebih tinggi" in told and "30 November 2026" in told
    assert ticket not in say(router, RINA, "/aduan")

    assert run(dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC)) == 1
    assert complaint(database, ticket).level == "admin"
    assert "dialihkan kepada Anda" in outbox_to(database, ADMIN)[-1]
    assert run(dt.datetime(2026, 12, 4, 3, tzinfo=dt.UTC)) == 1
    assert run(dt.datetime(2026, 12, 5, 3, tzinfo=dt.UTC)) == 0
    assert "tingkat tertinggi" in outbox_to(database, ADMIN)[-1]


def test_an_accepted_case_waits_for_the_resolution_deadline(
    router: Router, database: Database, content: Content
) -> None:
    ticket = file(router, NURHAYATI, "ewarong", "Beras di e-Warong kurang 2 kilo")
    say(router, RINA, payload("complaint_accept", ticket=ticket))
    with database.session() as db:
        assert run_escalations(db, content, dt.datetime(2026, 11, 30, 3, tzinfo=dt.UTC), BOTH_CHANNELS) == 0
    assert complaint(database, ticket).level == "pendamping"
    with database.session() as db:  # resolution due Monday 7 December 2026, 23:59 WIB
        assert run_escalations(db, content, dt.datetime(2026, 12, 8, 3, tzinfo=dt.UTC), BOTH_CHANNELS) == 1
    assert complaint(database, ticket).level == "koordinator"


def test_a_reporter_who_erases_her_data_leaves_the_case_without_her_name(router: Router, database: Database) -> None:
    ticket = file(router, NEIGHBOUR, "ewarong", "e-Warong minta uang tambahan")  # not in the directory
    check(router, NEIGHBOUR, [("HAPUS DATA", contains("YA")), ("ya", contains("dihapus"))])
    found = complaint(database, ticket)
    assert found.reporter_id is None and found.level == "koordinator"
    check(router, DEWI, [(payload("complaint_open", ticket=ticket), both(contains(ticket), lacks("Tetangga")))])
    say(router, DEWI, payload("complaint_reply", ticket=ticket))
    assert "terkirim" in say(router, DEWI, "Saya cek ke e-Warong besok")


def test_dinas_sosial_staff_come_from_the_directory_and_take_the_queue(
    router: Router, database: Database, tmp_path: Path
) -> None:
    staff = tmp_path / "dinsos.csv"
    staff.write_text(
        "kode,nama,peran,telepon,telegram_id,koordinator,kabupaten,kecamatan,kelurahan\n"
        "DS01,Bapak Dinsos,admin,,9901,,Kota Bengkulu,Gading Cempaka,Padang Harapan\n",
        encoding="utf-8",
    )
    with database.session() as db:
        import_files(db, [staff])
    ticket = file(router, (Channel.REST, "orang-baru"), "lainnya", "Saya tidak tahu siapa pendamping saya")
    assert ticket in say(router, (Channel.TELEGRAM, "9901"), "/aduan")
    assert any(ticket in text for text in outbox_to(database, (Channel.TELEGRAM, "9901")))


def test_batal_instead_of_a_reply_sends_nothing_and_a_number_is_the_reply(
    router: Router, database: Database, content: Content
) -> None:
    """The handler's note is her own words: "batal" cancels it (it used to reach the reporter as the reply), and
    "2" typed after the case's menu is the reply, not its second button."""
    ticket = file(router, NURHAYATI, "kks_hilang", "Kartu KKS saya hilang di pasar")
    before = len(outbox_to(database, NURHAYATI))
    texts = content.complaints.texts if content.complaints else None
    assert texts is not None
    check(
        router,
        RINA,
        [
            (payload("complaint_open", ticket=ticket), contains("Balas")),
            (payload("complaint_reply", ticket=ticket), contains("Tulis balasan")),
            ("batal", contains(texts.note_cancelled)),
            (payload("complaint_reply", ticket=ticket), contains("Tulis balasan")),
            ("2", contains("terkirim")),
        ],
    )
    replies = outbox_to(database, NURHAYATI)[before:]
    assert len(replies) == 1 and "batal" not in replies[0].lower() and "2" in replies[0]
