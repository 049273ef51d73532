"""One complaint, read-only: its story, deadlines and history. A case the viewer may not see (someone else's, or
about her) is "not found", exactly like a ticket that never was; a rahasia case never names its reporter."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from common.enums import STAFF_ROLES
from dashboard.web import PageRequest
from store import complaints
from store.models import Person


def case(request: PageRequest) -> web.StreamResponse:
    viewer = request.viewer
    complaint = complaints.by_ticket(request.db, request.match.get("ticket", ""))
    if complaint is None or not complaints.may_see(
        complaints.CaseAccess.of(complaint), viewer.person_id, viewer.role, viewer.scope.team
    ):
        return request.not_found()
    actors = {e.actor_id for e in complaint.history if e.actor_id is not None} | {complaint.assignee_id}
    actors.discard(complaint.reporter_id)  # staff can file complaints too, and ask for rahasia
    staff = {
        person.id: person.name or ""
        for person in request.db.scalars(select(Person).where(Person.id.in_([a for a in actors if a])))
        if person.role in STAFF_ROLES  # the reporter is never named in the history (she may have asked rahasia)
    }
    rules = request.content.complaints
    category = rules.category(complaint.category) if rules else None
    reporter = None if complaint.secret or complaint.reporter is None else complaint.reporter.name
    return request.page(
        "complaint.html",
        complaint=complaint,
        category=category.title if category else complaint.category,
        reporter=reporter,
        staff=staff,
        texts=rules.texts if rules else None,
    )
