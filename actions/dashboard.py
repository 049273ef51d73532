"""The staff dashboard from chat: `DASBOR` (or /dasbor) sends a one-time sign-in link, `KELUAR DASBOR` signs out
everywhere. Only pendamping, koordinator and Dinas Sosial staff have a dashboard; anyone else is told so."""

from __future__ import annotations

from actions.replies import Reply, Request, with_menu
from common.enums import STAFF_ROLES
from content.dashboard_schema import DashboardChat
from store import dashboard_access


def _texts(request: Request) -> DashboardChat:
    if request.content.dashboard is None:
        raise LookupError("content/dashboard.yml is missing")
    return request.content.dashboard.chat


def sign_in_link(request: Request) -> list[Reply]:
    t = _texts(request)
    if request.person.role not in STAFF_ROLES:
        return with_menu(request, t.not_staff)
    dashboard_access.forget_expired(request.db, request.now)
    token = dashboard_access.new_login(request.db, request.person, request.now)
    url = f"{request.public_url}{dashboard_access.LOGIN_PATH}{token}"
    minutes = int(dashboard_access.LINK_LIFETIME.total_seconds() // 60)
    return [Reply(t.link.format(url=url, minutes=minutes))]


def sign_out(request: Request) -> list[Reply]:
    t = _texts(request)
    if request.person.role not in STAFF_ROLES:
        return with_menu(request, t.not_staff)
    dashboard_access.end_sessions(request.db, request.person)
    return [Reply(t.logged_out)]
