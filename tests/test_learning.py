"""P2K2 lessons as a person goes through them, and the practice tools, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.dialogue import Inbound, Router
from content.loader import Content
from nlu.client import NluClient
from store.db import Database
from tests.dialog import BOTH_CHANNELS, contains, run_dialog, shown


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def say(router: Router, sender: str, text: str) -> str:
    return shown(router.handle(Inbound("rest", sender, text)))


def option_number(router: Router, sender: str, text: str, title: str) -> tuple[str, str]:
    """Send `text`; return the answer and the number of the option titled `title` in it."""
    replies = router.handle(Inbound("rest", sender, text))
    options = replies[-1].options
    number = next(n for n, o in enumerate(options, start=1) if o.title == title)
    return shown(replies), str(number)


@contextmanager
def restarted_app(database: Database, content: Content, nlu: NluClient) -> Iterator[Router]:
    """What a restart leaves: the database, and nothing else from the old process."""
    fresh = Database(database.url)
    try:
        yield Router(fresh, content, nlu, channels=BOTH_CHANNELS)
    finally:
        fresh.dispose()


def lesson(session: str) -> str:
    return "/learn_module" + json.dumps({"module": session})


def test_a_whole_lesson_with_leaving_restarting_and_resuming(
    router: Router, database: Database, content: Content, nlu: NluClient
) -> None:
    session = content.sessions["keuangan_keluarga"]
    sender = "ibu-belajar"
    answer = say(router, sender, lesson(session.id))
    assert session.title in answer and f"Langkah 1 dari {len(session.steps)}" in answer
    assert session.steps[0][:40] in answer

    assert f"Langkah 2 dari {len(session.steps)}" in say(router, sender, "lanjut")
    assert "Langkah 1 dari" in say(router, sender, "kembali")
    assert "Langkah 1 dari" in say(router, sender, "ulang")
    # Pressing the "Lanjut" button arrives as its number.
    for step in range(2, len(session.steps) + 1):
        assert f"Langkah {step} dari" in say(router, sender, "1")
    assert session.reflection[:40] in say(router, sender, "lanjut")

    answer = say(router, sender, "saya jarang mencatat pengeluaran")
    assert "Terima kasih sudah berbagi" in answer and "Kuis 1 dari" in answer

    first = session.quiz[0]
    wrong = next(n for n, c in enumerate(first.choices, start=1) if not c.correct)
    right = next(n for n, c in enumerate(first.choices, start=1) if c.correct)
    answer = say(router, sender, str(wrong))
    assert "Belum tepat" in answer and first.choices[wrong - 1].feedback[:30] in answer and "Kuis 1 dari" in answer
    answer = say(router, sender, str(right))
    assert "Benar!" in answer and first.choices[right - 1].feedback[:30] in answer
    for question in session.quiz[1:]:
        right = next(n for n, c in enumerate(question.choices, start=1) if c.correct)
        answer = say(router, sender, str(right))
    total = len(session.quiz)
    assert f"benar {total - 1} dari {total}" in answer and "Latihan" in answer

    run_dialog(
        router,
        sender,
        [
            ("catat keluar 15000 beras", contains("Rp15.000", "beras")),
            ("catat masuk 50rb jualan gorengan", contains("masuk", "Rp50.000")),
            ("catat keluar 10.000 jajan keinginan", contains("(keinginan)")),
            ("ringkasan", contains("masuk: Rp50.000", "keluar: Rp25.000", "keinginan: Rp10.000", "Sisa: Rp25.000")),
            ("menu", contains("Saya bisa membantu")),
        ],
    )

    # The app restarts: a new router on a new connection to the same database.
    with restarted_app(database, content, nlu) as restarted:
        answer, resume = option_number(restarted, sender, "lanjut belajar", "Lanjutkan")
        assert session.title in answer
        assert "Latihan" in say(restarted, sender, resume)
        answer = say(restarted, sender, "selesai")
        assert "Selamat" in answer and f"{total - 1} dari {total}" in answer


def test_resume_mid_lesson_after_a_restart(
    router: Router, database: Database, content: Content, nlu: NluClient
) -> None:
    sender = "ibu-lanjut"
    say(router, sender, lesson("menabung_meminjam"))
    say(router, sender, "lanjut")
    say(router, sender, "lanjut")
    assert "Saya bisa membantu" in say(router, sender, "menu")
    with restarted_app(database, content, nlu) as restarted:
        answer, resume = option_number(restarted, sender, "/learn_module", "Lanjutkan")
        assert content.sessions["menabung_meminjam"].title in answer
        assert "Langkah 3 dari" in say(restarted, sender, resume)


def test_asking_for_a_lesson_in_words(router: Router, content: Content) -> None:
    answer = say(router, "ibu-nabung", "ajari cara menabung dong")
    assert content.sessions["menabung_meminjam"].title in answer and "Langkah 1 dari" in answer


def test_a_question_in_the_middle_of_a_lesson_is_answered_and_progress_kept(router: Router) -> None:
    sender = "ibu-tanya"
    say(router, sender, lesson("memulai_usaha"))
    say(router, sender, "lanjut")
    assert "otomatis" in say(router, sender, "kamu robot ya?")
    _, resume = option_number(router, sender, "/learn_module", "Lanjutkan")
    assert "Langkah 2 dari" in say(router, sender, resume)


def test_the_other_p2k2_modules_are_listed(router: Router, content: Content) -> None:
    assert content.catalogue is not None
    answer = say(router, "ibu-modul", lesson("lainnya"))
    for module in content.catalogue.modules:
        assert module.title in answer
    first = content.catalogue.modules[0]
    answer = say(router, "ibu-modul", "1")
    assert all(s.title in answer for s in first.sessions)


@pytest.mark.parametrize(
    ("said", "shows"),
    [
        ("tabungan 500000 10", ["Rp50.000 setiap minggu", "Rp7.143 setiap hari"]),
        ("cek pinjaman 1000000 1300000 3", ["Rp300.000 (30,0% dari pinjaman)", "10,0% per bulan", "Rp433.333"]),
        ("hitung usaha 200000 2000 3000 50", ["untung per barang Rp1.000", "per hari sekitar Rp50.000", "4 hari"]),
        ("hitung usaha 200000 3000 2500 50", ["rugi"]),
        ("cek pinjaman 1000000 900000 3", ["harus lebih besar"]),
        ("tabungan banyak sekali", ["Contoh yang benar: tabungan 500000 10"]),
    ],
)
def test_practice_tools_work_at_any_time(router: Router, said: str, shows: list[str]) -> None:
    answer = say(router, "ibu-hitung", said)
    assert all(fragment in answer for fragment in shows), answer
