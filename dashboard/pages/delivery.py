"""Pengiriman: each broadcast and each batch of meeting reminders, sent / failed / blocked / cancelled, WhatsApp
delivered and read, and the most common reasons for failing."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from dashboard.charts import Bar, bar_chart
from dashboard.web import PageRequest
from store.reports.delivery import delivery_report

DEFAULT_DAYS = 30
CHARTED = 12
# The newest rows of each table; the figures above them and the failure reasons count them all.
SHOWN = 50


def delivery(request: PageRequest) -> web.StreamResponse:
    days = request.days(DEFAULT_DAYS)
    found = delivery_report(request.db, request.viewer.scope, request.now - dt.timedelta(days=days))
    words = request.renderer.words["delivery"]
    bars = [
        Bar(
            f"#{b.key} {request.renderer.date(b.when)}", b.statuses["sent"] / b.total, f"{b.statuses['sent']}/{b.total}"
        )
        for b in found.broadcasts[:CHARTED]
        if b.total
    ]
    return request.page(
        "delivery.html",
        days=days,
        report=found,
        shown=SHOWN,
        chart=bar_chart(words["chart"], bars, maximum=1.0),
    )
