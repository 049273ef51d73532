"""The dialogue core, end to end through the real Rasa server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.dialogue import Inbound, Router
from common.enums import Channel, OutboxKind
from common.messages import Payload, Reply
from content.loader import Content
from nlu.client import NluClient
from store import outbox
from store.db import Database
from store.models import ChannelIdentity, ConversationState, OutboxMessage, Person, ProcessedMessage, Turn
from tests.dialog import BOTH_CHANNELS, both, contains, lacks, run_dialog, shown


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def test_first_reply_carries_the_privacy_notice_once(router: Router) -> None:
    run_dialog(
        router,
        "ibu-ani",
        [
            ("halo", both(contains("Sahabat KPM", "HAPUS DATA", "1. "))),
            ("halo", lacks("HAPUS DATA")),
        ],
    )


def test_small_talk_and_the_menu(router: Router) -> None:
    run_dialog(
        router,
        "ibu-budi",
        [
            ("assalamualaikum", contains("Halo")),
            ("km robot ya?", contains("otomatis", "pendamping")),
            ("bisa bantu apa aja", contains("Saya bisa membantu", "Buat pengaduan")),
            ("makasih ya bu", contains("Sama-sama")),
            ("dadah", contains("Sampai jumpa")),
        ],
    )


def test_a_number_picks_from_the_last_menu(router: Router, content: Content) -> None:
    first = router.handle(Inbound(Channel.REST, "ibu-citra", "menu"))
    menu = first[-1].options
    pick = next(i for i, option in enumerate(menu, start=1) if option.payload == "/ask_rights")
    rights = content.overview("ask_rights")
    assert rights is not None
    assert rights.answer[:40] in shown(router.handle(Inbound(Channel.REST, "ibu-citra", str(pick))))
    assert "Nomor 42 tidak ada" in shown(router.handle(Inbound(Channel.REST, "ibu-citra", "42")))


def test_gibberish_and_off_topic_offer_the_menu(router: Router) -> None:
    for text in ["asdfghjkl", "qwpoeiruty zmxncb", "resep rendang gimana", "siapa presiden amerika"]:
        answer = shown(router.handle(Inbound(Channel.REST, "ibu-dewi", text)))
        assert "Maaf" in answer and ". Hak peserta" in answer, f"{text!r} was answered with:\n{answer}"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "a" * 10_000, "😀😀😀🙏", "'; DROP TABLE people; --", "1 OR 1=1; SELECT * FROM turns"],
    ids=["empty", "blank", "10k", "emoji", "sql-drop", "sql-select"],
)
def test_odd_messages_get_a_helpful_reply_and_the_database_is_intact(
    router: Router, database: Database, text: str
) -> None:
    router.handle(Inbound(Channel.REST, "ibu-eka", "halo"))
    answer = shown(router.handle(Inbound(Channel.REST, "ibu-eka", text)))
    assert "1. Hak peserta" in answer, answer
    assert "Maaf, ada gangguan" not in answer
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Person)) == 1
        assert db.scalar(select(func.count()).select_from(Turn).where(Turn.direction == "in")) == 2


def test_a_retried_message_is_acted_on_once_and_answered_until_delivered(router: Router, database: Database) -> None:
    inbound = Inbound(Channel.WHATSAPP, "6281200000001", "halo", message_id="wamid.ABC")
    first = router.handle(inbound)
    assert first and "HAPUS DATA" in shown(first)
    # Retried before the channel said the answer arrived (a crash between acting and answering): the same answer.
    assert router.handle(inbound) == first
    router.delivered(inbound)
    assert router.handle(inbound) == []
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(ProcessedMessage)) == 1
        assert db.scalar(select(func.count()).select_from(Turn).where(Turn.direction == "in")) == 1


def test_personal_numbers_are_masked_in_stored_turns(router: Router, database: Database) -> None:
    router.handle(Inbound(Channel.REST, "ibu-fitri", "kartu kks saya 5049490123456789 hilang, hp 081234567890"))
    with database.session() as db:
        stored = db.scalars(select(Turn.text).where(Turn.direction == "in")).all()
    assert stored and all("5049490123456789" not in t and "081234567890" not in t for t in stored)
    assert any(t.endswith("*********890") for t in stored)


def test_hapus_data_asks_first_and_then_erases(router: Router, database: Database) -> None:
    run_dialog(
        router,
        "ibu-gita",
        [
            ("halo", contains("HAPUS DATA")),
            ("hapus data", contains("YA", "TIDAK")),
            ("tidak jadi", contains("tidak dihapus")),
            ("HAPUS DATA", contains("YA")),
            ("ya", contains("sudah dihapus")),
        ],
    )
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Person)) == 0
        assert db.scalar(select(func.count()).select_from(Turn)) == 0
        assert db.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
    # Writing again starts afresh, privacy notice included.
    assert "HAPUS DATA" in shown(router.handle(Inbound(Channel.REST, "ibu-gita", "halo")))


def test_hapus_data_keeps_a_directory_record_but_forgets_the_chats(router: Router, database: Database) -> None:
    with database.session() as db:
        person = Person(name="Ibu Hana", phone="6281200000002", in_directory=True)
        person.identities.append(ChannelIdentity(channel=Channel.REST, external_id="ibu-hana"))
        db.add(person)
    run_dialog(
        router, "ibu-hana", [("halo", contains("Halo")), ("HAPUS DATA", contains("YA")), ("YA", contains("daftar"))]
    )
    with database.session() as db:
        assert db.scalar(select(Person.name)) == "Ibu Hana"
        assert db.scalar(select(func.count()).select_from(Turn)) == 0


def test_hapus_data_leaves_no_outbox_row_naming_the_person(router: Router, database: Database) -> None:
    with database.session() as db:
        person = Person(name="Ibu Yuni", phone="6281200000003", in_directory=True)
        person.identities.append(ChannelIdentity(channel=Channel.WHATSAPP, external_id="6281200000003"))
        db.add(person)
        db.flush()
        for key, status in (("sent-notice", "sent"), ("waiting-notice", "pending")):
            outbox.enqueue(
                db,
                channel=Channel.WHATSAPP,
                recipient="6281200000003",
                message=Reply("Pengumuman"),
                kind=OutboxKind.BROADCAST,
                dedup_key=key,
                person_id=person.id,
            )
            db.execute(update(OutboxMessage).where(OutboxMessage.dedup_key == key).values(status=status))
    run_dialog(router, "6281200000003", [("HAPUS DATA", contains("YA")), ("YA", contains("daftar"))], Channel.WHATSAPP)
    with database.session() as db:
        rows = {row.dedup_key: row for row in db.scalars(select(OutboxMessage))}
        assert {row.recipient for row in rows.values()} == {"dihapus"}
        assert all(row.person_id is None for row in rows.values())
        assert (rows["sent-notice"].status, rows["waiting-notice"].status) == ("sent", "cancelled")


@pytest.mark.parametrize(
    ("form", "data"),
    [
        ("complaint", {"category": "kks_hilang", "step": "what"}),  # the format before the form engine
        ("schedule", {"state": {"step": "nowhere"}, "back": []}),
        ("broadcast", {"state": {"step": "text", "groups": "all"}}),
        ("retired_form", {}),
    ],
    ids=["old-format", "unknown-step", "bad-field", "unknown-form"],
)
def test_a_form_state_that_no_longer_reads_closes_politely(
    router: Router, database: Database, content: Content, form: str, data: dict[str, object]
) -> None:
    router.handle(Inbound(Channel.REST, "ibu-kartini", "halo"))
    with database.session() as db:
        db.execute(update(ConversationState).values(form=form, form_data=data))
    run_dialog(
        router,
        "ibu-kartini",
        [
            ("kartu saya hilang kemarin", contains(content.strings.form_closed, "1. Hak peserta")),
            ("/help", contains("Saya bisa membantu")),
        ],
    )
    with database.session() as db:
        assert db.scalar(select(ConversationState.form)) is None


def test_berhenti_and_mulai_are_confirmed_in_one_line(router: Router, database: Database) -> None:
    run_dialog(router, "ibu-intan", [("BERHENTI", contains("MULAI")), ("mulai", contains("BERHENTI"))])
    with database.session() as db:
        assert db.scalar(select(Person.opted_out_at)) is None


def test_when_the_nlu_is_down_the_person_is_told_and_the_menu_still_works(database: Database, content: Content) -> None:
    down = NluClient("http://127.0.0.1:9", timeout=1.0)
    router = Router(database, content, down, clock=lambda: datetime(2026, 1, 5, 9, tzinfo=UTC), channels=BOTH_CHANNELS)
    answer = shown(router.handle(Inbound(Channel.REST, "ibu-jati", "kapan cair")))
    assert "sistem sedang sibuk" in answer and "1. Hak peserta" in answer
    assert "Saya bisa membantu" in shown(router.handle(Inbound(Channel.REST, "ibu-jati", "/help")))
    down.close()


def test_button_payloads_follow_the_rasa_convention() -> None:
    parsed = Payload.parse('/ask_amount{"component":"smp"}')
    assert parsed == Payload.of("ask_amount", component="smp") and parsed.render() == '/ask_amount{"component":"smp"}'
    assert Payload.parse("/help") == Payload("help") and Payload("help").render() == "/help"
    assert Payload.parse('/ask_amount{"component":["sd","smp"]}') == Payload("ask_amount", {"component": ["sd", "smp"]})
    assert Payload.parse("/ask_amount{not json") is None
    assert Payload.parse("biasa saja") is None
