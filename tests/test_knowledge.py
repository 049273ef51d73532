"""Catalogue answers as a KPM would meet them: typed the way people type, through the real NLU, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.knowledge import SEND_QUESTION, complaint_payload, feedback_payload, source_line
from bot.dialogue import Inbound, Router
from common.enums import Channel
from content.loader import Content
from nlu.client import NluClient
from store.db import Database
from store.models import ChannelIdentity, Person, TopicFeedback, Turn
from tests.dialog import BOTH_CHANNELS, both, contains, lacks, run_dialog


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def answer_of(content: Content, topic: str) -> contains:
    """The topic's answer (its first line) and its one short source line."""
    entry = content.topics[topic]
    return contains(entry.answer.splitlines()[0], source_line(entry, content))


# The questions of issue 9's table, typed as KPM typed them.
ISSUE_TABLE = [
    ("saldo kks saya kosong padahal tetangga udah cair", "saldo_kosong"),
    ("kalo pindah rumah ke kabupaten lain pkh nya gimana", "pindah_rumah"),
    ("suami saya meninggal, kartu atas nama dia", "pengurus_meninggal"),
    ("bpnt itu dapat berapa sebulan", "sembako_bpnt"),
    ("saya mau sanggah data, saya dicoret padahal masih miskin", "dicoret"),
    ("dtks itu apa", "dtks_apa"),
]


@pytest.mark.parametrize(("said", "topic"), ISSUE_TABLE, ids=[topic for _, topic in ISSUE_TABLE])
def test_the_questions_of_the_issue_get_their_answer(
    router: Router, content: Content, database: Database, said: str, topic: str
) -> None:
    replies = router.handle(Inbound(Channel.REST, f"ibu-{topic}", said))
    answer = replies[-1]
    assert answer_of(content, topic)(answer.text), answer.text
    assert "Dicek" not in answer.text
    payloads = [option.payload for option in answer.options]
    complaint = content.topics[topic].complaint
    if complaint is not None:  # trouble gets its answer first, then the way to complain
        assert complaint_payload(complaint) in payloads
    with database.session() as db:
        assert db.scalar(select(Turn.topic).where(Turn.topic.is_not(None))) == topic


def test_the_facts_the_issue_corrected(router: Router) -> None:
    run_dialog(
        router,
        "ibu-fakta",
        [
            ("bpnt itu dapat berapa sebulan", both(contains("Rp200.000"), lacks("Dalam kajian di Kota Jambi"))),
            ("dtks itu apa", contains("DTSEN", "Inpres 4/2025")),
            ("kalo pindah rumah ke kabupaten lain pkh nya gimana", contains("bukan alasan", "pendamping")),
        ],
    )


def test_an_empty_balance_is_answered_before_any_complaint_is_filed(router: Router, content: Content) -> None:
    complaints = content.complaints
    assert complaints is not None
    run_dialog(
        router,
        "ibu-saldo",
        [
            (
                "saldo kks saya kosong padahal tetangga udah cair",
                both(
                    contains(content.strings.catalogue.complaint_button, content.strings.catalogue.helpful_button),
                    lacks(complaints.texts.choose_group),
                ),
            )
        ],
    )


def test_sumber_shows_the_full_citations_of_the_last_answer(router: Router, content: Content) -> None:
    topic = content.topics["dtks_apa"]
    full = [content.sources[key].full[:60] for key in topic.sources]
    run_dialog(
        router,
        "ibu-sumber",
        [
            ("SUMBER", contains(content.strings.catalogue.sources_none)),
            ("dtks itu apa", contains("DTSEN")),
            ("sumber", contains(topic.title, *full)),
        ],
    )


def test_feedback_is_one_tap_stored_and_thanked(router: Router, content: Content, database: Database) -> None:
    topic = content.topics["dtks_apa"]
    run_dialog(
        router,
        "ibu-nilai",
        [
            ("dtks itu apa", contains(content.strings.catalogue.unhelpful_button)),
            (feedback_payload(topic, False), contains(content.strings.catalogue.feedback_thanks)),
        ],
    )
    with database.session() as db:
        rows = db.execute(select(TopicFeedback.topic, TopicFeedback.helpful)).tuples().all()
    assert rows == [("dtks_apa", False)]


def test_erasing_her_data_erases_her_feedback(router: Router, content: Content, database: Database) -> None:
    topic = content.topics["dtks_apa"]
    for said in ("dtks itu apa", feedback_payload(topic, True), "HAPUS DATA", "ya"):
        router.handle(Inbound(Channel.REST, "ibu-hapus", said))
    with database.session() as db:
        assert db.scalar(select(TopicFeedback.id)) is None


@pytest.mark.parametrize(
    "said",
    ["resep rendang gimana", "siapa presiden amerika"],
)
def test_a_question_nothing_answers_gets_an_honest_answer_and_the_pendamping(
    router: Router, content: Content, said: str
) -> None:
    replies = router.handle(Inbound(Channel.REST, "ibu-tanya", said))
    texts = content.strings.catalogue
    assert replies[-1].text.endswith(texts.unknown)
    assert replies[-1].options[0].title == texts.ask_pendamping_button
    assert replies[-1].options[0].payload == SEND_QUESTION


def test_a_bare_intent_button_lists_its_questions(router: Router, content: Content) -> None:
    cards = [t.title for t in content.topics_for("ask_card")][:3]
    run_dialog(router, "ibu-kartu", [("/ask_card", contains(content.strings.catalogue.pick_topic, *cards))])


def test_follow_up_options_lead_on(router: Router, content: Content) -> None:
    first_option = content.topics[content.topics["dtks_apa"].options[0]]
    run_dialog(router, "ibu-lanjut", [("dtks itu apa", contains("DTSEN")), ("1", answer_of(content, first_option.id))])


def test_talk_to_human_names_the_pendamping_on_file(router: Router, database: Database) -> None:
    with database.session() as db:
        pendamping = Person(name="Bu Rina", role="pendamping", kode="PD-01", in_directory=True)
        kpm = Person(name="Ibu Sumi", in_directory=True, pendamping=pendamping)
        kpm.identities.append(ChannelIdentity(channel=Channel.REST, external_id="ibu-sumi"))
        db.add_all([pendamping, kpm])
    run_dialog(router, "ibu-sumi", [("sy mau ngomong sama pendamping", contains("Bu Rina"))])


def test_talk_to_human_without_a_pendamping_gives_the_official_channels(router: Router) -> None:
    run_dialog(router, "ibu-baru", [("mau bicara sama orang beneran", contains("Dinas Sosial", "171"))])
