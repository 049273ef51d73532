"""P2K2 lessons as a person goes through them, and the practice tools, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import yaml

from bot.dialogue import Inbound, Router
from common.enums import Channel
from content.loader import CONTENT_DIR, Content
from content.schema import LessonTexts, Session
from nlu.client import NluClient
from store.db import Database
from tests.dialog import BOTH_CHANNELS, contains, run_dialog, shown


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def say(router: Router, sender: str, text: str) -> str:
    return shown(router.handle(Inbound(Channel.REST, sender, text)))


def option_number(router: Router, sender: str, text: str, title: str) -> tuple[str, str]:
    """Send `text`; return the answer and the number of the option titled `title` in it."""
    replies = router.handle(Inbound(Channel.REST, sender, text))
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


@pytest.mark.parametrize(
    ("said", "session"),
    [
        ("ajari cara menabung dong", "menabung_meminjam"),
        ("gmn cara bagi uang tahap biar cukup sampe tahap berikutnya", "uang_tidak_tetap"),
        ("ajarin dong biar ga ketipu pinjol", "tempat_aman"),
    ],
)
def test_asking_for_a_lesson_in_words(router: Router, content: Content, said: str, session: str) -> None:
    answer = say(router, "ibu-nabung", said)
    assert content.sessions[session].title in answer and "Langkah 1 dari" in answer


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


def test_practice_tools_work_at_any_time(router: Router, content: Content) -> None:
    texts = content.strings.practice
    run_dialog(
        router,
        "ibu-hitung",
        [
            ("tabungan 500000 10", contains("Rp50.000 setiap minggu", "Rp7.143 setiap hari")),
            ("hitung usaha 200000 2000 3000 50", contains("untung per barang Rp1.000", "Rp50.000", "4 hari")),
            ("hitung usaha 200000 3000 2500 50", contains(texts.business_loss.format(price="2.500", cost="3.000"))),
            ("tabungan banyak sekali", contains(texts.bad_amount.format(example=texts.examples.savings))),
            (
                texts.examples.tahap,
                contains(
                    texts.tahap.format(amount="600.000", months=3, per_month="200.000", per_week="46.100", weeks=13)
                ),
            ),
            (
                texts.examples.average,
                contains(
                    texts.average.format(
                        count=3, total="2.700.000", average="900.000", lowest="600.000", highest="1.200.000"
                    )
                ),
            ),
            ("rata-rata 900rb", contains(texts.average_too_few.format(example=texts.examples.average))),
        ],
    )


def loan_lines(content: Content, **values: str) -> list[str]:
    """The loan check's lines with these figures, as content/strings.yml words them."""
    keys = ("loan_received", "loan_instalments", "loan_cost", "loan_rate", "loan_flat")
    return [getattr(content.strings.practice, key).format(**values) for key in keys]


def test_the_loan_check_shows_the_true_monthly_cost_and_compares_offers(router: Router, content: Content) -> None:
    t = content.strings.practice
    # The lesson's moneylender: deducted up front, weekly instalments. The true cost, and the flat figure's trap.
    moneylender = loan_lines(
        content,
        principal="500.000",
        deduction="50.000",
        received="450.000",
        instalment="30.000",
        period=t.period_names.weekly,
        count="20",
        months="4,6",
        total="600.000",
        cost="150.000",
        percent="33,3",
        rate="13,3",
        per_100k="13.300",
        flat="7,2",
    )
    answer = say(router, "ibu-pinjam", "cek pinjaman 500000 potong 50000 cicil 30000 per minggu 20 kali")
    assert all(line in answer for line in moneylender), answer
    assert t.loan_compare_hint in answer
    # The other offer: nothing deducted, monthly. Cheaper than the one checked before.
    answer = say(router, "ibu-pinjam", "cek pinjaman 500000 cicil 100000 per bulan 6 kali")
    assert t.loan_received_whole.format(principal="500.000") in answer
    assert t.loan_rate.format(rate="5,5", per_100k="5.500") in answer
    assert t.loan_cheaper.format(previous="13,3") in answer
    # Back to a dearer one.
    answer = say(router, "ibu-pinjam", "cek pinjaman 500000 potong 50000 cicil 30000 seminggu 20x")
    assert t.loan_dearer.format(previous="5,5") in answer


def test_the_loan_check_takes_daily_instalments_and_money_deducted_up_front(router: Router, content: Content) -> None:
    t = content.strings.practice
    # The example content gives: Rp1.000.000 less Rp50.000, Rp30.000 a week 40 times.
    answer = say(router, "ibu-harian", t.examples.loan)
    assert t.loan_received.format(principal="1.000.000", deduction="50.000", received="950.000") in answer
    assert t.loan_cost.format(cost="250.000", percent="26,3") in answer
    assert t.loan_rate.format(rate="5,3", per_100k="5.300") in answer
    answer = say(router, "ibu-harian", "cek pinjaman 1jt cicil 40rb harian 30 kali")
    instalments = t.loan_instalments.format(
        instalment="40.000", period=t.period_names.daily, count=30, months="1", total="1.200.000"
    )
    assert instalments in answer and t.loan_rate.format(rate="44,6", per_100k="44.600") in answer
    answer = say(router, "ibu-harian", "cek pinjaman 1000000 kembali 1200000 dalam 7 hari potong 200000")
    assert t.loan_lump.format(total="1.200.000", duration=f"7 {t.period_units.daily}") in answer
    assert t.loan_rate_extreme.format(rate="1000") not in answer and "482,3%" in answer


@pytest.mark.parametrize(
    ("said", "key"),
    [
        ("cek pinjaman", "loan_missing"),
        ("cek pinjaman 1000000 cicil 30000", "loan_missing"),
        ("cek pinjaman 1000000 900000 3", "loan_invalid"),
        ("cek pinjaman 1000000 potong 1000000 cicil 100000 12 kali", "loan_bad_deduction"),
    ],
)
def test_the_loan_check_says_what_it_needs(router: Router, content: Content, said: str, key: str) -> None:
    template = getattr(content.strings.practice, key)
    answer = say(router, "ibu-bingung", said)
    assert template.split("{")[0][:30] in answer and content.strings.practice.examples.loan in answer


def test_the_log_sums_up_the_month_in_her_time_zone(database: Database, content: Content, nlu: NluClient) -> None:
    t = content.strings.practice
    now = [dt.datetime(2026, 4, 12, 3, 0, tzinfo=dt.UTC)]
    router = Router(database, content, nlu, clock=lambda: now[0], channels=BOTH_CHANNELS)
    sender = "ibu-sebulan"

    def on(moment: dt.datetime, said: str) -> str:
        now[0] = moment
        return say(router, sender, said)

    on(dt.datetime(2026, 4, 12, 3, 0, tzinfo=dt.UTC), "catat masuk 300000 upah cuci")
    on(dt.datetime(2026, 4, 20, 3, 0, tzinfo=dt.UTC), "catat keluar 100000 beras")
    # 20:00 UTC on 30 April is 03:00 on 1 May in WIB: it belongs to May.
    on(dt.datetime(2026, 4, 30, 20, 0, tzinfo=dt.UTC), "catat masuk 50000 jualan")
    on(dt.datetime(2026, 5, 10, 3, 0, tzinfo=dt.UTC), "catat keluar 15000 beras")
    on(dt.datetime(2026, 5, 10, 9, 0, tzinfo=dt.UTC), "catat keluar 10000 jajan keinginan")

    answer = on(dt.datetime(2026, 5, 18, 3, 0, tzinfo=dt.UTC), "ringkasan")
    may = t.summary.format(
        first="1 Mei",
        last="18 Mei 2026",
        income="50.000",
        spent="25.000",
        needs="15.000",
        wants="10.000",
        balance="Rp25.000",
        recorded=2,
        days=18,
    )
    assert may in answer and t.summary_this_month in answer

    answer = on(dt.datetime(2026, 5, 18, 3, 0, tzinfo=dt.UTC), "ringkasan bulan lalu")
    april = t.summary.format(
        first="1 April",
        last="30 April 2026",
        income="300.000",
        spent="100.000",
        needs="100.000",
        wants="0",
        balance="Rp200.000",
        recorded=2,
        days=30,
    )
    assert april in answer and t.summary_this_month not in answer
    # A month by name: the latest one not in the future (March 2026 had nothing).
    answer = on(dt.datetime(2026, 5, 18, 3, 0, tzinfo=dt.UTC), "ringkasan maret")
    assert t.summary_empty.format(first="1 Maret", last="31 Maret 2026") in answer


def walk_to_practice(router: Router, sender: str, session: Session, texts: LessonTexts) -> str:
    """Start a lesson and go through every step, the reflection and the quiz (right first time); the last answer."""
    answer = say(router, sender, lesson(session.id))
    assert session.title in answer and session.steps[0][:40] in answer
    for step in range(2, len(session.steps) + 1):
        answer = say(router, sender, "lanjut")
        assert texts.step_header.format(step=step, total=len(session.steps)) in answer
        assert session.steps[step - 1][:40] in answer
    assert session.reflection in say(router, sender, "lanjut")
    answer = say(router, sender, "lanjut")
    for number, question in enumerate(session.quiz, start=1):
        assert (
            texts.quiz_header.format(number=number, total=len(session.quiz)) in answer and question.question in answer
        )
        right = next(n for n, c in enumerate(question.choices, start=1) if c.correct)
        answer = say(router, sender, str(right))
        assert texts.quiz_right.format(feedback=question.choices[right - 1].feedback) in answer
    total = len(session.quiz)
    assert texts.quiz_done.format(score=total, total=total) in answer and session.practice_intro in answer
    return answer


def test_planning_a_pkh_payment_and_irregular_income(router: Router, content: Content) -> None:
    session, t = content.sessions["uang_tidak_tetap"], content.strings.practice
    sender = "ibu-tahap"
    walk_to_practice(router, sender, session, content.strings.lesson)
    # The practice the lesson shows, typed as it shows it.
    assert "bagi tahap 600000" in session.practice_intro and "rata-rata 900000 600000 1200000" in session.practice_intro
    answer = say(router, sender, "bagi tahap 600000")
    assert t.tahap.format(amount="600.000", months=3, per_month="200.000", per_week="46.100", weeks=13) in answer
    answer = say(router, sender, "rata-rata 900000 600000 1200000")
    assert "Rp900.000" in answer and "Rp600.000" in answer
    # The tools leave the lesson open: "selesai" finishes it.
    answer = say(router, sender, "selesai")
    total = len(session.quiz)
    assert content.strings.lesson.finished.format(title=session.title, score=total, total=total) in answer


def test_where_to_save_and_borrow_safely(router: Router, content: Content) -> None:
    session, t = content.sessions["tempat_aman"], content.strings.practice
    sender = "ibu-aman"
    walk_to_practice(router, sender, session, content.strings.lesson)
    for place in ("Koperasi", "Pegadaian", "PNM Mekaar", "KUR", "UMi", "Bank", "RENTENIR", "PINJOL ILEGAL", "OJK 157"):
        assert any(place in step for step in session.steps), place
    offers = [line.removeprefix("• ") for line in session.practice_intro.splitlines() if "cek pinjaman" in line]
    say(router, sender, offers[0])
    assert t.loan_cheaper.format(previous="13,3") in say(router, sender, offers[1])
    answer = say(router, sender, "selesai")
    assert content.strings.lesson.finished.format(title=session.title, score=5, total=5) in answer


def test_lessons_fit_every_family_and_name_their_sources_by_key(content: Content) -> None:
    sources = yaml.safe_load((CONTENT_DIR / "sources.yml").read_text(encoding="utf-8"))["sources"]
    assert content.catalogue is not None
    for entry in (*content.modules, content.catalogue):
        assert entry.sources and set(entry.sources) <= set(sources), entry.sources
        assert entry.checked is None and not entry.verify
    words = yaml.safe_dump([m.model_dump() for m in content.modules]) + yaml.safe_dump(content.catalogue.model_dump())
    for assumed in ("suami", "ayah dan ibu", "istri"):
        assert not re.search(rf"\b{assumed}\b", words.lower()), assumed
