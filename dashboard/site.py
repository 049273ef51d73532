"""The dashboard's pages, in the order of its navigation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from content.loader import Content
from dashboard.pages import case, complaints, delivery, learning, meetings, questions, reach
from dashboard.web import Dashboard
from store.db import Database
from store.reach import Channels


def staff_dashboard(
    db: Database,
    content: Content,
    *,
    secure: bool,
    channels: Channels,
    clock: Callable[[], datetime] | None = None,
    questions_source: questions.QuestionSource | None = None,
) -> Dashboard:
    board = Dashboard(db, content, secure=secure, clock=clock)
    board.page("complaints", "", complaints.home)
    board.page("reach", "/jangkauan", reach.page_for(channels))
    board.page("delivery", "/pengiriman", delivery.delivery)
    board.page("learning", "/belajar", learning.learning)
    board.page("meetings", "/pertemuan", meetings.meetings)
    if questions_source is not None:  # the question queue of issue 9, once it exists
        board.page("questions", "/pertanyaan", questions.page_for(questions_source))
    board.page("complaints", "/pengaduan/daftar", complaints.case_list, in_nav=False)
    board.page("complaints", "/pengaduan/daftar.csv", complaints.case_list_csv, in_nav=False)
    board.page("complaints", "/pengaduan/ringkasan.csv", complaints.summary_csv, in_nav=False)
    board.page("complaints", "/pengaduan/{ticket}", case.case, in_nav=False)
    return board
