"""A person behind every "I don't know" (issue 9 §3): a KPM sends her question, staff list and answer it, the answer
goes out through the outbox on her channel, follow-ups wait while a person answers, late questions remind. On SQLite
and PostgreSQL, with a frozen clock and a scripted NLU (what is tested here is the queue, not the parse)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.dialogue import Router
from common.enums import OutboxKind, QuestionStatus
from content.loader import Content
from nlu.client import Parse
from reminders.questions import run_question_reminders
from store.db import Database
from store.models import OutboxMessage, Question
from tests.complaint_world import AGUS, DEWI, NEIGHBOUR, NURHAYATI, RINA, Clock, build, payload, say
from tests.dialog import BOTH_CHANNELS, contains, lacks

START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 23 November 2026, 09:00 WIB
ASKED = "kapan bantuan tahap empat cair di desa saya"


# What the real NLU would say of the few sentences these tests type; anything else it does not know.
INTENTS = {
    ASKED: "ask_disbursement",
    "kapan tahap empat cair ya bu": "ask_disbursement",
    "anak saya bisa dapat kip tidak": "ask_complementary",
    "halo": "greet",
}


class ScriptedNlu:
    def parse(self, text: str) -> Parse:
        intent = INTENTS.get(text)
        return Parse(text, intent or "nlu_fallback", 0.9 if intent else 0.2)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def router(database: Database, content: Content, clock: Clock) -> Router:
    build(database)
    return Router(database, content, ScriptedNlu(), clock=clock, channels=BOTH_CHANNELS)


def outbox(database: Database, who: tuple[str, str]) -> list[OutboxMessage]:
    with database.session() as db:
        query = select(OutboxMessage).where(OutboxMessage.channel == who[0], OutboxMessage.recipient == who[1])
        return list(db.scalars(query.order_by(OutboxMessage.id)))


def all_questions(database: Database) -> list[Question]:
    with database.session() as db:
        return list(db.scalars(select(Question).order_by(Question.id)))


def test_a_question_goes_to_her_pendamping_who_answers_it_and_the_answer_reaches_her(
    router: Router, database: Database, content: Content
) -> None:
    t = content.strings.questions
    say(router, NURHAYATI, ASKED)
    sent = say(router, NURHAYATI, "/send_question")
    assert contains("Rina Wulandari", ASKED)(sent), sent
    [notice] = outbox(database, RINA)
    assert notice.kind == OutboxKind.QUESTION and ASKED in notice.body["text"] and "Nurhayati" in notice.body["text"]

    listed = say(router, RINA, "/pertanyaan")
    assert contains("Nurhayati", ASKED, t.answer_button.format(number=1))(listed), listed
    [question] = all_questions(database)
    asked = say(router, RINA, payload("question_answer", question=str(question.id)))
    assert ASKED in asked and "batal" in asked
    assert all_questions(database)[0].status == QuestionStatus.ANSWERING

    # She asks again while Rina writes: the assistant stays quiet on it and says who has it.
    again = say(router, NURHAYATI, "kapan tahap empat cair ya bu")
    assert again == t.in_hand.format(who=t.who_pendamping.format(name="Rina Wulandari")), again
    # Something else is still answered as usual.
    assert "Halo" in say(router, NURHAYATI, "halo")

    done = say(router, RINA, "Tahap 4 di kelurahan Ibu cair minggu depan lewat BRI.")
    assert done.startswith(t.answer_sent.format(name="Nurhayati")), done
    [answer] = outbox(database, NURHAYATI)
    assert answer.kind == OutboxKind.ANSWER
    assert contains("Rina Wulandari", ASKED, "cair minggu depan lewat BRI")(answer.body["text"])
    [question] = all_questions(database)
    assert question.status == QuestionStatus.ANSWERED and question.answer is not None
    assert t.inbox_empty in say(router, RINA, "/pertanyaan")
    # Once answered, the same question gets the catalogue again.
    assert t.in_hand[:30] not in say(router, NURHAYATI, "kapan tahap empat cair ya bu")


def test_personal_numbers_never_travel_with_the_question(router: Router, database: Database) -> None:
    say(router, NURHAYATI, "nik saya 1771012345678901 hp 081299998888 kenapa tidak dapat")
    sent = say(router, NURHAYATI, "/send_question")
    assert lacks("1771012345678901", "081299998888")(sent) and "kenapa tidak dapat" in sent
    [question] = all_questions(database)
    assert "1771012345678901" not in question.text and "*888" in question.text
    [notice] = outbox(database, RINA)
    assert "1771012345678901" not in notice.body["text"]


def test_without_a_pendamping_the_koordinator_of_her_area_answers(
    router: Router, database: Database, content: Content
) -> None:
    t = content.strings.questions
    say(router, NEIGHBOUR, "apakah bantuan bisa dipakai untuk bayar sekolah")
    sent = say(router, NEIGHBOUR, "/send_question")
    assert t.who_koordinator.format(name="Dewi Lestari") in sent, sent
    [question] = all_questions(database)
    assert question.handler_id is None
    assert t.inbox_empty in say(router, RINA, "/pertanyaan")
    assert "Ibu Tetangga" in say(router, DEWI, "PERTANYAAN")
    say(router, DEWI, payload("question_answer", question=str(question.id)))
    assert t.answer_sent.format(name="Ibu Tetangga") in say(router, DEWI, "Boleh, untuk kebutuhan sekolah anak.")
    # REST cannot be pushed to: the answer waits for her next message.
    [answer] = outbox(database, NEIGHBOUR)
    assert answer.kind == OutboxKind.ANSWER and "Dewi Lestari" in answer.body["text"]


def test_hubungi_pendamping_offers_her_last_question_or_a_new_one(
    router: Router, database: Database, clock: Clock
) -> None:
    say(router, NURHAYATI, ASKED)
    offered = say(router, NURHAYATI, "/talk_to_human")
    assert contains("Rina Wulandari", ASKED, "Kirim pertanyaan itu")(offered), offered
    sent = say(router, NURHAYATI, "anak saya bisa dapat kip tidak")
    assert "anak saya bisa dapat kip tidak" in sent and "Rina Wulandari" in sent
    assert [q.text for q in all_questions(database)] == ["anak saya bisa dapat kip tidak"]
    # The last question is offered only once it is not sent already; "batal" sends nothing.
    say(router, NURHAYATI, "/talk_to_human")
    assert "tidak jadi" in say(router, NURHAYATI, "batal")
    assert len(all_questions(database)) == 1
    # The same question twice is one question.
    clock.advance(minutes=5)
    say(router, NURHAYATI, "anak saya bisa dapat kip tidak")
    assert "sudah dikirim" in say(router, NURHAYATI, "/send_question")
    assert len(all_questions(database)) == 1


def test_a_kpm_with_no_question_yet_is_asked_to_type_it(router: Router, database: Database) -> None:
    assert "Tulis pertanyaan" in say(router, NURHAYATI, "/send_question")
    assert "Rina Wulandari" in say(router, NURHAYATI, "Bu, kapan pertemuan kelompok bulan ini?")
    assert [q.text for q in all_questions(database)] == ["Bu, kapan pertemuan kelompok bulan ini?"]


def test_only_who_the_question_concerns_may_answer_and_a_dropped_answer_goes_back(
    router: Router, database: Database, content: Content
) -> None:
    t = content.strings.questions
    say(router, NURHAYATI, ASKED)
    say(router, NURHAYATI, "/send_question")
    [question] = all_questions(database)
    jawab = payload("question_answer", question=str(question.id))
    assert t.gone in say(router, AGUS, jawab)  # another pendamping
    assert "Tulis pertanyaan" in say(router, NURHAYATI, jawab) or t.gone in say(router, NURHAYATI, jawab)
    say(router, RINA, jawab)
    assert t.in_hand[:25] in say(router, NURHAYATI, "kapan tahap empat cair ya bu")
    say(router, RINA, "/aduan")  # she turned to something else: nobody is answering any more
    assert t.in_hand[:25] not in say(router, NURHAYATI, "kapan tahap empat cair ya bu")
    assert "(sedang dijawab" not in say(router, RINA, "/pertanyaan")
    assert all_questions(database)[0].status == QuestionStatus.WAITING
    say(router, RINA, jawab)
    assert "kembali ke daftar tunggu" in say(router, RINA, "batal")
    assert all_questions(database)[0].status == QuestionStatus.WAITING
    assert outbox(database, NURHAYATI) == []


def test_a_late_question_reminds_its_handler_once_a_working_day(
    router: Router, database: Database, content: Content, clock: Clock
) -> None:
    say(router, NURHAYATI, ASKED)
    say(router, NURHAYATI, "/send_question")

    def remind(at: dt.datetime) -> int:
        with database.session() as db:
            return run_question_reminders(db, content, at, BOTH_CHANNELS)

    wib = dt.timezone(dt.timedelta(hours=7))
    assert remind(dt.datetime(2026, 11, 25, 20, 0, tzinfo=wib)) == 0  # Wednesday: due at its end
    assert remind(dt.datetime(2026, 11, 26, 6, 0, tzinfo=wib)) == 0  # Thursday, before 07:00
    assert remind(dt.datetime(2026, 11, 26, 8, 0, tzinfo=wib)) == 1
    assert remind(dt.datetime(2026, 11, 26, 15, 0, tzinfo=wib)) == 0  # once a day
    assert remind(dt.datetime(2026, 11, 28, 9, 0, tzinfo=wib)) == 0  # Saturday
    assert remind(dt.datetime(2026, 11, 30, 9, 0, tzinfo=wib)) == 1  # Monday
    reminders = [m for m in outbox(database, RINA) if "Pengingat" in m.body["text"]]
    assert len(reminders) == 2 and ASKED in reminders[0].body["text"]
    assert reminders[0].kind == OutboxKind.QUESTION and reminders[0].body["options"]
    # Her koordinator sees it once it is late, not before.
    clock.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=wib)
    assert ASKED not in say(router, DEWI, "/pertanyaan")
    clock.now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=wib)
    assert contains(ASKED, "LEWAT 2 HARI KERJA")(say(router, DEWI, "/pertanyaan"))


def test_erasing_her_data_erases_her_questions(router: Router, database: Database) -> None:
    say(router, NURHAYATI, ASKED)
    say(router, NURHAYATI, "/send_question")
    assert len(all_questions(database)) == 1
    say(router, NURHAYATI, "HAPUS DATA")
    say(router, NURHAYATI, "ya")
    assert all_questions(database) == []


def test_a_question_answered_in_person_is_closed_and_she_is_told(
    router: Router, database: Database, content: Content
) -> None:
    t = content.strings.questions
    say(router, NURHAYATI, ASKED)
    say(router, NURHAYATI, "/send_question")
    [question] = all_questions(database)
    asking = say(router, RINA, payload("question_answer", question=str(question.id)))
    assert t.close_button in asking
    closed = say(router, RINA, payload("question_close", question=str(question.id)))
    assert t.closed.format(name="Nurhayati") in closed, closed
    assert all_questions(database)[0].status == QuestionStatus.CLOSED
    [notice] = outbox(database, NURHAYATI)
    assert notice.kind == OutboxKind.ANSWER and "Rina Wulandari" in notice.body["text"] and ASKED in notice.body["text"]
    assert t.inbox_empty in say(router, RINA, "/pertanyaan")
    assert t.gone in say(router, AGUS, payload("question_close", question=str(question.id)))
