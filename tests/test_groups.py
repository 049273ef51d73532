"""Joining a group (invite code, phone match), `sahabat admin groups`, and meetings set in chat with /jadwal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.dialogue import Inbound
from common.enums import Channel
from content.loader import Content
from store.db import Database
from store.models import Group, Meeting, MeetingReply, Membership, Person
from tests.dialog import Check, both, contains, lacks, run_dialog, shown
from tests.group_helpers import Clock, directory, outbox_rows, person_id, router


def code_of(database: Database, name: str) -> str:
    with database.session() as db:
        code = db.scalar(select(Group.invite_code).where(Group.name == name))
        assert code is not None
        return code


def groups_of(database: Database, pid: int) -> set[str]:
    with database.session() as db:
        query = select(Group.name).join(Membership, Membership.group_id == Group.id)
        return set(db.scalars(query.where(Membership.person_id == pid)))


def test_joining_by_telegram_link_and_by_gabung(database: Database, content: Content) -> None:
    directory(database)
    code = code_of(database, "Melati 1")
    bot = router(database, content)
    run_dialog(
        bot,
        "880001",
        [
            (f"/start {code}", contains("Selamat bergabung", "Melati 1", "BERHENTI")),
            (f"/start {code}", contains("sudah terdaftar", "Melati 1")),
        ],
        channel=Channel.TELEGRAM,
    )
    run_dialog(
        bot,
        "6289900000001",
        [
            ("GABUNG zzzzzz", contains("tidak ditemukan")),
            (f"gabung {code.lower()}", contains("Selamat bergabung", "Melati 1")),
        ],
        channel=Channel.WHATSAPP,
    )
    with database.session() as db:
        newcomers = db.scalars(select(Person).where(Person.in_directory.is_(False))).all()
        assert len(newcomers) == 2
        for person in newcomers:  # joined as anggota, and in the group's time zone
            assert person.region is not None and person.region.name == "Pasar Bengkulu"
            roles = db.scalars(select(Membership.role).where(Membership.person_id == person.id)).all()
            assert roles == ["anggota"]


def test_plain_start_still_greets(database: Database, content: Content) -> None:
    run_dialog(router(database, content), "880002", [("/start", contains("Halo"))], channel=Channel.TELEGRAM)


def test_a_phone_in_the_directory_is_matched_when_its_owner_first_writes(database: Database, content: Content) -> None:
    # Nurhayati wrote on WhatsApp before her pendamping imported anggota.csv: the import takes her chat record.
    bot = router(database, content)
    run_dialog(
        bot, "6281234560002", [("/ask_meeting", contains("belum terdaftar", "GABUNG"))], channel=Channel.WHATSAPP
    )
    directory(database)
    nurhayati = person_id(database, "Nurhayati")
    assert groups_of(database, nurhayati) == {"Melati 1"}
    # After HAPUS DATA her chat identity is gone but the directory keeps her; writing again finds her by phone.
    run_dialog(
        bot, "6281234560002", [("HAPUS DATA", contains("YA")), ("ya", contains("daftar"))], channel=Channel.WHATSAPP
    )
    run_dialog(bot, "6281234560002", [("/ask_meeting", contains("Belum ada jadwal"))], channel=Channel.WHATSAPP)
    assert person_id(database, "Nurhayati") == nurhayati


def test_admin_groups_lists_codes_and_member_counts(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory(database)
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    assert main(["admin", "groups"]) == 0
    out = capsys.readouterr().out
    melati = next(line for line in out.splitlines() if line.endswith("Melati 1"))
    assert code_of(database, "Melati 1") in melati and melati.split()[1:3] == ["PKH", "3"]
    assert "3 groups" in out


def test_a_ketua_sets_a_monthly_meeting_and_members_see_it_in_their_own_time(
    database: Database, content: Content
) -> None:
    directory(database)
    bot = router(database, content)
    run_dialog(
        bot,
        "7001",  # Siti Aminah, ketua of Melati 1 (WIB), on Telegram
        [
            ("menu", contains("Kirim pengumuman", "Atur jadwal")),
            ("/jadwal", both(contains("Jadwal kelompok Melati 1", "Jadwal baru"), lacks("Maju Bersama"))),
            ("baru", contains("Kapan", "Setiap bulan")),
            ("setiap Selasa minggu kedua jam 09.00 di balai RW", contains("acara")),
            ("Pencairan dan P2K2", contains("minggu kedua", "09.00 WIB", "balai RW", "Pencairan", "Simpan")),
            ("simpan", contains("Jadwal tersimpan", "Selasa, 8 Desember 2026, 09.00 WIB")),
        ],
        channel=Channel.TELEGRAM,
    )
    # A member in Papua (WIT) who joined the group sees the same meeting at 11.00 WIT.
    with database.session() as db:
        papua = db.scalars(select(Person).where(Person.name == "Maria Kogoya")).one()
        melati = db.scalars(select(Group).where(Group.name == "Melati 1")).one()
        db.add(Membership(group_id=melati.id, person_id=papua.id, role="anggota"))
    bot.handle(Inbound(Channel.WHATSAPP, "6281234560005", "halo"))
    answer = shown(bot.handle(Inbound(Channel.WHATSAPP, "6281234560005", "/ask_meeting")))
    assert "Melati 1: Selasa, 8 Desember 2026, jam 11.00 WIT, di balai RW" in answer
    # The ketua also sees who answered.
    assert "0 hadir" in shown(bot.handle(Inbound(Channel.TELEGRAM, "7001", "/ask_meeting")))


def test_only_leaders_schedule_and_only_their_own_groups(database: Database, content: Content) -> None:
    directory(database)
    bot = router(database, content)
    # A member who asks for "/jadwal" is told she cannot set it, and sees the meetings she can attend instead.
    meetings_shown = contains("Belum ada jadwal pertemuan untuk kelompok")
    run_dialog(
        bot,
        "6281234560002",
        [("/jadwal", both(contains("hanya bisa diatur"), meetings_shown))],
        channel=Channel.WHATSAPP,
    )
    # Siti leads Melati 1 and is an ordinary member of Maju Bersama: a forged choice does not reach it.
    run_dialog(
        bot,
        "7001",
        [("/jadwal", contains("Melati 1")), ("kelompok 2", lacks("Maju Bersama"))],
        channel=Channel.TELEGRAM,
    )
    # The pendamping of both groups chooses between them.
    run_dialog(
        bot,
        "5001",
        [("/jadwal", contains("kelompok mana", "Melati 1", "Maju Bersama")), ("2", contains("Maju Bersama"))],
        channel=Channel.TELEGRAM,
    )


def test_changing_and_cancelling_a_meeting(database: Database, content: Content) -> None:
    directory(database)
    clock = Clock()
    bot = router(database, content, clock)
    steps: list[tuple[str, Check]] = [
        ("/jadwal", contains("Jadwal baru")),
        ("baru", contains("Kapan")),
        ("Setiap 2 minggu", contains("Contoh")),
        ("Kamis jam 14.00", contains("Di mana")),
        ("rumah Bu Siti", contains("acara")),
        ("lewati", contains("setiap 2 minggu hari Kamis, jam 14.00 WIB")),
        ("simpan", contains("Kamis, 3 Desember 2026, 14.00 WIB")),
        ("/jadwal", contains("1. setiap 2 minggu", "Ubah 1")),
        ("ubah 1", contains("Tetap sama")),
        ("Jumat jam 15.00", contains("Di mana")),  # still every two weeks: the kind chosen before is kept
        ("tetap", contains("acara")),
        ("lewati", contains("rumah Bu Siti")),
        ("simpan", contains("Jadwal tersimpan")),
    ]
    run_dialog(bot, "7001", steps, channel=Channel.TELEGRAM)
    with database.session() as db:
        meeting = db.scalars(select(Meeting)).one()
        assert (meeting.recurrence, meeting.weekday, meeting.local_time, meeting.version) == ("biweekly", 4, "15:00", 2)
    run_dialog(bot, "6281234560002", [("menu", contains("1."))], channel=Channel.WHATSAPP)  # Nurhayati opts in
    run_dialog(
        bot,
        "7001",
        [("/jadwal", contains("Batalkan 1")), ("batalkan 1", contains("sudah dibatalkan"))],
        channel=Channel.TELEGRAM,
    )
    with database.session() as db:
        assert db.scalars(select(Meeting)).one().cancelled_at is not None
    notices = outbox_rows(database, "reminder")
    assert [row.person_id for row in notices] == [person_id(database, "Nurhayati")]
    assert all("dibatalkan" in row.body["text"] for row in notices)


def test_answering_a_reminder_is_counted_for_the_ketua(database: Database, content: Content) -> None:
    directory(database)
    bot = router(database, content)
    run_dialog(
        bot,
        "7001",
        [
            ("/jadwal", contains("Jadwal baru")),
            ("baru", contains("Kapan")),
            ("Selasa minggu kedua jam 9 di balai RW", contains("acara")),
            ("lewati", contains("Simpan")),
            ("simpan", contains("tersimpan")),
        ],
        channel=Channel.TELEGRAM,
    )
    with database.session() as db:
        meeting_id = db.scalars(select(Meeting.id)).one()
    # The reminder's buttons (reminders.meetings.reply_payload), as Telegram or WhatsApp send them back.
    no, yes = f"tidak hadir {meeting_id} 2026-12-08", f"hadir {meeting_id} 2026-12-08"
    run_dialog(
        bot, "6281234560002", [(no, contains("tidak bisa hadir")), (yes, contains("kehadiran"))], Channel.WHATSAPP
    )
    wrong = f"hadir {meeting_id} 2026-11-10"
    run_dialog(bot, "6281234560002", [(wrong, contains("sudah lewat"))], channel=Channel.WHATSAPP)
    with database.session() as db:
        assert db.scalars(select(MeetingReply.answer)).all() == ["hadir"]  # the last answer counts
    assert "1 hadir, 0 tidak bisa, 2 belum menjawab" in shown(
        bot.handle(Inbound(Channel.TELEGRAM, "7001", "/ask_meeting"))
    )
