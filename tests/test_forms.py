"""The form engine (actions/forms.py): the word sets it reads, the buttons the forms send, and "kembali"."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from actions.forms import FormName
from actions.registry import FORMS
from common.enums import Channel
from content.loader import Content
from content.words_schema import Words, plain
from store import questions
from store.db import Database
from tests.dialog import contains, run_dialog
from tests.group_helpers import directory, router


def test_every_form_is_registered_under_its_name() -> None:
    assert set(FORMS) == {str(name) for name in FormName}
    assert FormName.QUESTION_ANSWER == questions.ANSWER_FORM  # store/questions.py reads the answer form's state
    assert all(form.name == name for name, form in FORMS.items())


def test_the_words_the_buttons_send_are_read_as_meant(content: Content) -> None:
    """The forms' buttons send words ("batal", "kirim rahasia"): editing content/words.yml must not break them."""
    words = content.words
    assert "batal" in words.cancel and "kembali" in words.back
    assert "kirim" in words.send and "kirim rahasia" in words.send_secret
    assert {"lanjut", "ulang", "selesai"} <= words.next | words.repeat | words.finish
    assert plain("  Batal! ") == "batal" and plain("KIRIM   rahasia.") == "kirim rahasia"


def test_a_word_in_two_sets_fails_the_load(content: Content) -> None:
    data = content.words.model_dump()
    data["cancel"] = {*data["cancel"], "ya"}
    with pytest.raises(ValidationError, match="'ya' is in both"):
        Words.model_validate(data)


def test_dates_are_read_with_the_words_of_content(content: Content) -> None:
    words = content.words
    assert (words.weekday("ahad"), words.weekday("jum'at"), words.weekday("besok")) == (6, 4, None)
    assert (words.month("desember"), words.month("agt"), words.month("minggu")) == (12, 8, None)
    assert (words.week("kedua"), words.week("5"), words.week("6")) == (2, 5, None)


def test_kembali_walks_back_through_the_schedule_form(database: Database, content: Content) -> None:
    directory(database)
    meetings = content.strings.meetings
    run_dialog(
        router(database, content),
        "7001",
        [
            ("/jadwal", contains("Jadwal kelompok Melati 1")),
            ("baru", contains("Kapan", "Setiap bulan")),
            ("setiap Selasa minggu kedua jam 09.00", contains(meetings.ask_place.split("?")[0])),
            ("kembali", contains("Kapan", "Setiap bulan")),
            ("kembali", contains("Jadwal kelompok Melati 1")),
            ("kembali", contains("Jadwal kelompok Melati 1", "Jadwal baru")),
            ("batal", contains(meetings.discarded)),
        ],
        channel=Channel.TELEGRAM,
    )
