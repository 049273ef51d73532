"""`sahabat content report` on a database with six weeks of turns: what the catalogue should learn next."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli import main
from common.enums import Channel, Direction
from content.loader import Content
from store.db import Database
from store.models import Person, TopicFeedback, Turn

NIK = "3201234567890123"


def seed(database: Database, now: dt.datetime) -> None:
    """Six weeks of a village's questions: answered ones, ones nothing answered, and taps under answers."""
    with database.session() as db:
        people = [Person(name=f"Ibu {n}") for n in range(6)]
        db.add_all(people)
        db.flush()
        for day in range(42):
            at = now - dt.timedelta(days=day, hours=3)
            person = people[day % len(people)]

            def turn(
                text: str, intent: str | None, topic: str | None = None, who: Person = person, at: dt.datetime = at
            ) -> None:
                db.add(
                    Turn(
                        person_id=who.id,
                        channel=Channel.REST,
                        direction=Direction.IN,
                        text=text,
                        intent=intent,
                        topic=topic,
                        created_at=at,
                    )
                )

            turn("saldo kks sy kosong", "ask_disbursement", "saldo_kosong")
            turn("/ask_card", "ask_card")  # a button: never a question the catalogue missed
            turn("halo bu", "greet")
            if day % 3 == 0:
                turn(f"bantuan pupuk hari ke {day} kapan? nik sy {NIK}", "nlu_fallback")
            if day % 5 == 0:
                turn(f"kartu prakerja pertanyaan {day} gmn", "ask_card")
            db.add(TopicFeedback(person_id=person.id, topic="saldo_kosong", helpful=day % 2 == 0, at=at))
            if day % 4 == 0:
                db.add(TopicFeedback(person_id=person.id, topic="dtks_apa", helpful=False, at=at))
                db.add(TopicFeedback(person_id=person.id, topic="pindah_rumah", helpful=True, at=at))


def test_report_lists_unhelpful_topics_and_unanswered_questions_of_the_last_30_days(
    database: Database, content: Content, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(database, dt.datetime.now(dt.UTC))
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    assert main(["content", "report", "--days", "30"]) == 0
    out = capsys.readouterr().out

    # Days 0..29: saldo_kosong rated 30 times (15 no), dtks_apa 8 times (all no), pindah_rumah 8 times (all yes).
    ranked = [line.split() for line in out.split("topics by")[1].split("questions that")[0].splitlines()[2:] if line]
    assert [row[:3] for row in ranked] == [
        ["15", "15", "saldo_kosong"],
        ["8", "0", "dtks_apa"],
        ["0", "8", "pindah_rumah"],
    ]
    assert content.topics["saldo_kosong"].title in out

    unanswered = out.split("questions that reached no topic")[1]
    assert unanswered.count("bantuan pupuk") == 10 and unanswered.count("kartu prakerja") == 6
    assert "hari ke 33" not in unanswered  # older than 30 days
    assert NIK not in out and "*************123" in unanswered
    assert "/ask_card" not in unanswered and "halo bu" not in unanswered and "saldo kks" not in unanswered
