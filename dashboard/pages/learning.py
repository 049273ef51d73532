"""Belajar: per P2K2 lesson, started, reached the quiz, finished, mean quiz score, and where people stop."""

from __future__ import annotations

from aiohttp import web

from dashboard.charts import Bar, bar_chart
from dashboard.web import PageRequest
from store.reports.learning import STALLED_AFTER, learning_report


def learning(request: PageRequest) -> web.StreamResponse:
    sessions = request.content.sessions
    found = learning_report(request.db, request.viewer.scope, list(sessions), request.now)
    words = request.renderer.words["learning"]
    chart = bar_chart(words["chart"], [Bar(sessions[f.lesson].title, f.finished, str(f.finished)) for f in found])
    return request.page(
        "learning.html",
        lessons=found,
        sessions=sessions,
        stalled_days=STALLED_AFTER.days,
        chart=chart,
    )
