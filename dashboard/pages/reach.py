"""Jangkauan: families in view against those who talk to the assistant, per group, kelurahan and channel."""

from __future__ import annotations

from aiohttp import web

from dashboard.charts import Bar, bar_chart
from dashboard.web import PageBuilder, PageRequest
from store.reach import Channels
from store.reports.reach import ACTIVE_DAYS, reach_report


def page_for(channels: Channels) -> PageBuilder:
    """The Jangkauan page for a deployment with these channels (bot/app.py): reached means reached by them."""

    def reach(request: PageRequest) -> web.StreamResponse:
        found = reach_report(request.db, request.viewer.scope, request.now, channels)
        words = request.renderer.words
        names = words["channels"]
        bars = [Bar(names.get(name, name), count, str(count)) for name, count in found.by_channel.most_common()]
        if found.total.unreachable:
            bars.append(Bar(words["reach"]["unreachable"], found.total.unreachable, str(found.total.unreachable)))
        return request.page(
            "reach.html",
            report=found,
            active_days=ACTIVE_DAYS,
            chart=bar_chart(words["reach"]["chart"], bars),
            channel_names=sorted(found.by_channel),
        )

    return reach
