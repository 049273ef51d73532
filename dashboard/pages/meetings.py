"""Pertemuan: each meeting of the groups in view, the last weeks and the week ahead: invited (the group's members),
Hadir, Tidak bisa hadir, no answer yet."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from sqlalchemy import select

from dashboard.web import PageRequest
from reminders import agenda
from store.models import Group

PAST_DAYS = 30
AHEAD = dt.timedelta(days=7)
SHOWN = 100  # per table: the soonest ahead, the latest past


def meetings(request: PageRequest) -> web.StreamResponse:
    now = request.now
    group_ids = list(request.db.scalars(select(Group.id).where(request.viewer.scope.groups())))
    found = agenda.between(request.db, group_ids, now - dt.timedelta(days=PAST_DAYS), now + AHEAD)
    upcoming = [o for o in found if o.start >= now]
    past = sorted((o for o in found if o.start < now), key=lambda o: o.start, reverse=True)
    return request.page("meetings.html", upcoming=upcoming, past=past, days=PAST_DAYS, shown=SHOWN)
