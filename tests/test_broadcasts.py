"""Broadcasts by leaders: preview with counts, sending through the outbox, progress, the report, cancelling —
and no ketua reaching anyone outside her group, whatever she types."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from actions.registry import ACTIONS, COMMANDS
from common.enums import Channel, OutboxKind, OutboxStatus
from content.loader import Content
from reminders import broadcast_watch
from store import outbox
from store.db import Database
from store.models import Broadcast, Group, Membership, OutboxMessage
from tests.dialog import both, contains, lacks, run_dialog
from tests.group_helpers import directory, outbox_rows, person_id, router


def join_members(database: Database, content: Content, group: str, count: int, prefix: str) -> None:
    with database.session() as db:
        code = db.scalars(select(Group.invite_code).where(Group.name == group)).one()
    bot = router(database, content)
    for n in range(count):
        run_dialog(bot, f"{prefix}{n}", [(f"GABUNG {code}", contains("Selamat bergabung"))], channel=Channel.TELEGRAM)


def members_of(database: Database, *groups: str) -> set[int]:
    with database.session() as db:
        query = select(Membership.person_id).join(Group, Group.id == Membership.group_id)
        return set(db.scalars(query.where(Group.name.in_(groups))))


def settle(database: Database, status: OutboxStatus, count: int | None = None) -> None:
    """The outbox sender's part: the first `count` pending broadcast rows end as `status`."""
    now = datetime.now(UTC)
    with database.session() as db:
        rows = db.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.kind == "broadcast", OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)
        ).all()
        for row_id in rows[:count]:
            outbox.claim(db, row_id, now)
            if status == "sent":
                outbox.mark_sent(db, row_id, f"p{row_id}", now)
            else:
                outbox.mark_final(db, row_id, status, "Forbidden: bot was blocked by the user")


def test_a_ketua_previews_sends_and_gets_the_report(database: Database, content: Content) -> None:
    directory(database)
    join_members(database, content, "Melati 1", 3, "86000")
    bot = router(database, content)
    run_dialog(bot, "860002", [("BERHENTI", contains("MULAI"))], channel=Channel.TELEGRAM)
    # Nurhayati's number came from the directory; having written once, she may get notices on WhatsApp.
    run_dialog(bot, "6281234560002", [("menu", contains("1."))], channel=Channel.WHATSAPP)
    run_dialog(
        bot,
        "7001",
        [
            ("/siaran", contains("Tulis pengumuman untuk Melati 1")),
            ("Besok pertemuan di balai RW, bawa kartu KKS.", contains("Pratinjau", "bawa kartu KKS", "3 anggota")),
            ("kirim", contains("sedang dikirim ke 3 anggota", "STATUS SIARAN")),
        ],
        channel=Channel.TELEGRAM,
    )
    # Skipped and counted: one opted out (BERHENTI), one without any chat account (Ibu Tanpa HP).
    with database.session() as db:
        broadcast = db.scalars(select(Broadcast)).one()
        assert (broadcast.recipients, broadcast.skipped_opted_out, broadcast.skipped_unreachable) == (3, 1, 1)
        assert "bawa kartu KKS" in broadcast.text and broadcast.sender_id == person_id(database, "Siti Aminah")
    rows = outbox_rows(database, "broadcast")
    assert len(rows) == 3 and all("Pengumuman dari Siti Aminah" in r.body["text"] for r in rows)
    assert {r.broadcast_id for r in rows} == {broadcast.id}
    progress = outbox_rows(database, "progress")
    assert [r.body["text"] for r in progress] == [f"Pengumuman #{broadcast.id}: terkirim 0/3"]

    settle(database, OutboxStatus.SENT, 2)
    run_dialog(bot, "7001", [("status siaran", contains("terkirim 2/3"))], channel=Channel.TELEGRAM)
    assert broadcast_watch.watch(database, content, datetime.now(UTC)) == 0
    assert outbox_rows(database, "progress")[0].body["text"].endswith("terkirim 2/3")  # not sent yet: updated
    settle(database, OutboxStatus.BLOCKED)
    assert broadcast_watch.watch(database, content, datetime.now(UTC)) == 1
    report = outbox_rows(database, "progress")[-1]
    assert report.recipient == "7001" and report.dedup_key.endswith(":report")
    for line in ("Terkirim: 2", "Gagal: 0", "Memblokir: 1", "Belum bisa dihubungi: 1", "Berhenti berlangganan: 1"):
        assert line in report.body["text"]
    assert broadcast_watch.watch(database, content, datetime.now(UTC)) == 0  # reported once
    run_dialog(bot, "7001", [("status siaran", contains("selesai", "Terkirim: 2"))], channel=Channel.TELEGRAM)


def test_progress_of_a_sent_progress_message_is_an_edit(database: Database, content: Content) -> None:
    directory(database)
    join_members(database, content, "Melati 1", 2, "87000")
    bot = router(database, content)
    run_dialog(
        bot,
        "7001",
        [("/siaran", contains("Tulis")), ("Rapat besok", contains("2 anggota")), ("kirim", contains("dikirim"))],
        channel=Channel.TELEGRAM,
    )
    with database.session() as db:
        progress = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "progress")).one()
        outbox.claim(db, progress.id, datetime.now(UTC))
        outbox.mark_sent(db, progress.id, "tg-555", datetime.now(UTC))
    settle(database, OutboxStatus.SENT, 1)
    broadcast_watch.watch(database, content, datetime.now(UTC))
    edit = outbox_rows(database, "progress")[-1]
    assert edit.body == {"text": edit.body["text"], "edit_of": "tg-555"} and edit.body["text"].endswith("1/2")


def test_cancelling_mid_way(database: Database, content: Content) -> None:
    directory(database)
    join_members(database, content, "Melati 1", 5, "88000")
    bot = router(database, content)
    run_dialog(
        bot,
        "7001",
        [("/siaran", contains("Tulis")), ("Pertemuan ditunda", contains("5 anggota")), ("kirim", contains("dikirim"))],
        channel=Channel.TELEGRAM,
    )
    settle(database, OutboxStatus.SENT, 2)
    run_dialog(bot, "7001", [("batal siaran", contains("dihentikan", "3 pesan"))], channel=Channel.TELEGRAM)
    run_dialog(
        bot, "7001", [("status siaran", contains("selesai", "Terkirim: 2", "Dibatalkan: 3"))], channel=Channel.TELEGRAM
    )
    assert broadcast_watch.watch(database, content, datetime.now(UTC)) == 1  # the report still goes out
    assert "Dibatalkan: 3" in outbox_rows(database, "progress")[-1].body["text"]
    run_dialog(bot, "7001", [("batal siaran", contains("Tidak ada pengumuman"))], channel=Channel.TELEGRAM)


def test_a_pendamping_sends_to_all_groups_they_facilitate(database: Database, content: Content) -> None:
    directory(database)
    join_members(database, content, "Maju Bersama", 1, "89000")
    bot = router(database, content)
    run_dialog(
        bot,
        "5001",
        [
            ("menu", contains("Kirim pengumuman")),
            ("/siaran", both(contains("Semua (2 klp)", "Melati 1", "Maju Bersama"), lacks("Anggrek"))),
            ("semua", contains("Melati 1, Maju Bersama")),
            ("Ada pelatihan usaha hari Sabtu", contains("2 anggota", "2 belum bisa dihubungi")),
            ("kirim", contains("sedang dikirim")),
        ],
        channel=Channel.TELEGRAM,
    )
    reached = {r.person_id for r in outbox_rows(database, "broadcast")}
    # Ibu Tanpa HP has no phone; Nurhayati's imported number never wrote (not opted in to WhatsApp).
    unreachable = {person_id(database, "Ibu Tanpa HP"), person_id(database, "Nurhayati")}
    assert reached == members_of(database, "Melati 1", "Maju Bersama") - unreachable


def test_members_cannot_broadcast(database: Database, content: Content) -> None:
    directory(database)
    bot = router(database, content)
    run_dialog(bot, "6281234560002", [("/siaran", contains("hanya bisa dikirim"))], channel=Channel.WHATSAPP)
    assert outbox_rows(database) == []


def test_a_ketua_reaches_nobody_outside_her_group_through_any_command(database: Database, content: Content) -> None:
    """Siti leads Melati 1 and is an ordinary member of Maju Bersama; Anggrek is in Papua. She tries every command
    and payload the assistant knows, each followed by the answers its forms accept, including forged choices."""
    directory(database)
    join_members(database, content, "Maju Bersama", 2, "90000")
    join_members(database, content, "Anggrek", 2, "91000")
    join_members(database, content, "Melati 1", 1, "92000")
    bot = router(database, content)
    follow_ups = [
        "semua",
        "kelompok 2",
        "kelompok 3",
        "2",
        "3",
        "baru",
        "Selasa minggu kedua jam 09.00 di balai",
        "lewati",
        "simpan",
        "Pesan untuk semua orang",
        "kirim",
        "ubah 1",
        "batalkan 1",
        "batal",
    ]
    forged = ['/broadcast{"groups":["2","3"]}', '/set_meeting{"group":"3"}', "GABUNG " + "X" * 6]
    said = [*sorted(set(COMMANDS) - {"hapus data"}), *(f"/{i}" for i in sorted(ACTIONS) if i != "erase_data"), *forged]
    for command in said:
        for text in [command, *follow_ups]:
            run_dialog(bot, "7001", [(text, lambda shown: "Maaf, ada gangguan" not in shown)], channel=Channel.TELEGRAM)
    allowed = members_of(database, "Melati 1")
    reached = {r.person_id for r in outbox_rows(database) if r.kind != OutboxKind.QUESTION}
    assert reached and reached <= allowed, reached - allowed
    # Her questions (typed after "Tanya pendamping") go to her own pendamping, nobody else.
    asked = {r.person_id for r in outbox_rows(database, OutboxKind.QUESTION)}
    assert asked <= {person_id(database, "Rina Wulandari")}, asked
    assert members_of(database, "Maju Bersama", "Anggrek") - allowed


def test_a_number_typed_as_the_notice_is_her_text_not_a_menu_pick(database: Database, content: Content) -> None:
    """A form in progress reads the message before a menu number: "1" is what she wrote, not the Batal button."""
    directory(database)
    join_members(database, content, "Melati 1", 1, "87000")
    words = content.strings.broadcasts
    run_dialog(
        router(database, content),
        "7001",
        [
            ("/siaran", contains("Tulis pengumuman untuk Melati 1")),
            ("1", both(contains("Pratinjau", "1 anggota"), lacks(words.discarded))),
            ("kembali", contains("Tulis pengumuman untuk Melati 1")),
            ("Besok arisan jam 4", contains("Pratinjau", "Besok arisan jam 4")),
            ("batal", contains(words.discarded)),
        ],
        channel=Channel.TELEGRAM,
    )
    with database.session() as db:
        assert db.scalars(select(Broadcast)).all() == []
