"""What the complaint actions share: their content, dates as people read them, routing, and telling people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from actions.replies import Option, Request
from common.enums import HiddenRole, Level
from common.messages import Payload
from content.complaints_schema import Category, ComplaintsFile, ComplaintTexts
from content.loader import Content
from store import complaints
from store.models import Complaint, Person
from store.workdays import DEFAULT_ZONE


def complaints_content(content: Content) -> ComplaintsFile:
    if content.complaints is None:
        raise LookupError("content/complaints.yml is missing")
    return content.complaints


def texts(content: Content) -> ComplaintTexts:
    return complaints_content(content).texts


def category_title(content: Content, category_id: str) -> str:
    category = complaints_content(content).category(category_id)
    return category.title if category else category_id


def payload(intent: str, ticket: str) -> str:
    return Payload.of(intent, ticket=ticket).render()


def zone_of(person: Person) -> str:
    return person.region.timezone if person.region is not None else DEFAULT_ZONE


@dataclass(frozen=True)
class Routing:
    level: Level
    assignee: Person | None
    watchers: list[Person]
    hidden: list[Person]


def _people_for(db: Session, role: Level | HiddenRole, reporter: Person, hidden: set[int]) -> list[Person]:
    if role == HiddenRole.KETUA:
        return complaints.ketuas_of(db, reporter)
    if role == Level.ADMIN:
        return complaints.admins(db)
    person = complaints.handler_at(db, Level(role), reporter, hidden)
    return [person] if person is not None else []


def route(db: Session, content: Content, reporter: Person, category: Category, text: str) -> Routing:
    """Applies the routing rules of content/complaints.yml: the category's route picks the level and who must not
    see the case; flags whose words appear in the text add watchers. Nobody on file at a level → the next one."""
    rules = complaints_content(content)
    rule = rules.route(category.route)
    hidden_people = [p for role in rule.hidden_from for p in _people_for(db, role, reporter, set())]
    hidden = {p.id for p in hidden_people if p.id != reporter.id}
    chain = list(rules.escalation)
    start = chain.index(rule.assign) if rule.assign in chain else 0
    level, assignee = Level.ADMIN, None
    for candidate in chain[start:]:
        assignee = complaints.handler_at(db, candidate, reporter, hidden)
        if assignee is not None or candidate == Level.ADMIN:
            level = candidate
            break
    lowered = text.lower()
    notify_roles: list[Level | HiddenRole] = list(rule.also_notify)
    for flag in rules.flags:
        if any(word in lowered for word in flag.words):
            notify_roles += flag.also_notify
    watchers: dict[int, Person] = {}
    for role in notify_roles:
        for person in _people_for(db, role, reporter, hidden):
            if person.id not in hidden and (assignee is None or person.id != assignee.id):
                watchers[person.id] = person
    return Routing(level, assignee, list(watchers.values()), [p for p in hidden_people if p.id in hidden])


def tell_reporter(
    request: Request, complaint: Complaint, text: str, key: str, options: tuple[Option, ...] = ()
) -> bool:
    return complaints.notify(request.db, request.channels, complaint.reporter, text, key, options)


def tell_handlers(
    request: Request, complaint: Complaint, text: str, key: str, skip: int | None = None, watchers: bool = True
) -> int:
    """Tells the assignee (or the Dinas Sosial queue) and the watchers, never anyone the case is hidden from."""
    sent = 0
    for person in complaints.handlers(request.db, complaint, watchers):
        if person.id != skip:
            sent += complaints.notify(request.db, request.channels, person, text, f"{key}:{person.id}")
    return sent


def reporter_options(content: Content, complaint: Complaint) -> tuple[Option, ...]:
    t = texts(content)
    return (
        Option(t.confirm_button, payload("complaint_confirm", complaint.ticket)),
        Option(t.reopen_button, payload("complaint_reopen", complaint.ticket)),
    )
