"""The shape of content/complaints.yml: categories with guidance, deadlines, routing rules and the texts."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from common.enums import ComplaintEventKind, ComplaintStatus, HiddenRole, Level
from content.schema import Answer, Label, Message, Sourced, Strict, Texts


class Route(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    assign: Level
    hidden_from: tuple[HiddenRole, ...] = ()
    also_notify: tuple[Level, ...] = ()


class Flag(Strict):
    """Words in a complaint that add watchers (money or cards taken: the koordinator sees it too)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    words: tuple[str, ...] = Field(min_length=1)
    also_notify: tuple[Level, ...] = Field(min_length=1)


class ComplaintGroup(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: Label


class Category(Sourced):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    group: str
    title: Label
    route: str
    guidance: Answer
    factual: bool = True
    first_response_days: int | None = Field(default=None, ge=1, le=30)
    resolution_days: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _facts_are_sourced(self) -> Category:
        if self.factual and (not self.sources or self.checked is None):
            raise ValueError(f"category {self.id}: factual guidance needs `sources` and `checked`")
        return self


class ComplaintTexts(Texts):
    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "choose_category": {"group"},
        "summary": {"category", "text", "since"},
        "saved": {"ticket", "first_due", "resolution_due"},
        "not_found": {"ticket"},
        "own_line": {"ticket", "category", "status"},
        "status_one": {"ticket", "category", "status", "date", "last"},
        "confirmed": {"ticket"},
        "reopened": {"ticket", "due"},
        "reopen_too_late": {"ticket", "days"},
        "not_resolved_yet": {"ticket"},
        "inbox_intro": {"count"},
        "inbox_line": {"mark", "ticket", "category", "due"},
        "case_view": {
            "ticket",
            "category",
            "status",
            "age",
            "first_due",
            "resolution_due",
            "reporter",
            "text",
            "since",
            "history",
        },
        "reporter_known": {"name", "phone"},
        "age_days": {"days"},
        "history_line": {"date", "event", "who", "note"},
        "history_who": {"name"},
        "ask_reply": {"ticket"},
        "ask_resolve": {"ticket"},
        "ask_reassign": {"ticket"},
        "done_accept": {"ticket"},
        "done_reply": {"ticket"},
        "done_resolve": {"ticket"},
        "done_reassign": {"ticket", "level"},
        "cannot_reassign": {"ticket"},
        "case_closed": {"ticket"},
        "new_case": {"ticket", "category", "due"},
        "watch_case": {"ticket", "category"},
        "reminder": {"ticket", "category", "due"},
        "escalated_to": {"ticket", "category", "reason", "due"},
        "overdue_top": {"ticket", "category"},
        "reporter_escalated": {"ticket", "due"},
        "reporter_reassigned": {"ticket", "due"},
        "reporter_accepted": {"ticket"},
        "reporter_reply": {"ticket", "note"},
        "reporter_resolved": {"ticket", "note", "days"},
        "handler_reopened": {"ticket", "category", "due"},
        "handler_confirmed": {"ticket"},
    }

    choose_group: Message
    choose_category: Message
    ask_what: Message
    ask_since: Message
    since_options: tuple[Label, ...] = Field(min_length=1, max_length=6)
    summary: Message
    send_button: Label
    send_secret_button: Label
    cancel_button: Label
    summary_pick: Message
    cancelled: Message
    saved: Message
    saved_secret: Message
    not_found: Message
    none_open: Message
    own_list_intro: Message
    own_line: Message
    status_one: Message
    statuses: dict[ComplaintStatus, Message]
    events: dict[ComplaintEventKind, Message]
    confirm_button: Label
    reopen_button: Label
    confirmed: Message
    reopened: Message
    reopen_too_late: Message
    not_resolved_yet: Message
    none_resolved: Message
    staff_only: Message
    inbox_empty: Message
    inbox_intro: Message
    inbox_line: Message
    overdue_mark: str
    case_view: Message
    age_today: Message
    age_days: Message
    reporter_secret: Message
    reporter_known: Message
    unknown: Message
    history_line: Message
    history_who: Message
    accept_button: Label
    reply_button: Label
    resolve_button: Label
    reassign_button: Label
    inbox_button: Label
    ask_reply: Message
    ask_resolve: Message
    ask_reassign: Message
    note_cancelled: Message
    done_accept: Message
    done_reply: Message
    done_resolve: Message
    done_reassign: Message
    cannot_reassign: Message
    case_closed: Message
    levels: dict[Level, Message]
    new_case: Message
    watch_case: Message
    reminder: Message
    escalated_to: Message
    overdue_reason: Message
    overdue_top: Message
    reporter_escalated: Message
    reporter_reassigned: Message
    reporter_accepted: Message
    reporter_reply: Message
    reporter_resolved: Message
    handler_reopened: Message
    handler_confirmed: Message

    @model_validator(mode="after")
    def _every_status_event_and_level_named(self) -> ComplaintTexts:
        for name, named, kinds in (
            ("statuses", set(self.statuses), set(ComplaintStatus)),
            ("events", set(self.events), set(ComplaintEventKind)),
            ("levels", set(self.levels), set(Level)),
        ):
            # An unknown key fails as a member of the enum; a missing one is caught here.
            missing = {str(kind) for kind in kinds} - {str(key) for key in named}
            if missing:
                raise ValueError(f"{name}: missing {sorted(missing)}")
        return self


class ComplaintsFile(Strict):
    first_response_days: int = Field(ge=1, le=30)
    resolution_days: int = Field(ge=1, le=60)
    reminder_hours: int = Field(ge=1, le=240)
    reopen_days: int = Field(ge=1, le=90)
    routes: tuple[Route, ...] = Field(min_length=1)
    flags: tuple[Flag, ...] = ()
    escalation: tuple[Level, ...] = Field(min_length=1)
    groups: tuple[ComplaintGroup, ...] = Field(min_length=1, max_length=10)
    categories: tuple[Category, ...] = Field(min_length=1)
    texts: ComplaintTexts

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def route(self, route_id: str) -> Route:
        return next(r for r in self.routes if r.id == route_id)

    def in_group(self, group_id: str) -> list[Category]:
        return [c for c in self.categories if c.group == group_id]

    def first_response_for(self, category: Category) -> int:
        return category.first_response_days or self.first_response_days

    def resolution_for(self, category: Category) -> int:
        return category.resolution_days or self.resolution_days

    def cross_check(self) -> list[str]:
        """Dangling references: a category's group or route, duplicate ids."""
        problems = []
        groups, routes = {g.id for g in self.groups}, {r.id for r in self.routes}
        seen: set[str] = set()
        for category in self.categories:
            if category.id in seen:
                problems.append(f"complaints: category id {category.id} used twice")
            seen.add(category.id)
            if category.group not in groups:
                problems.append(f"complaints: category {category.id}: group {category.group} leads nowhere")
            if category.route not in routes:
                problems.append(f"complaints: category {category.id}: route {category.route} leads nowhere")
        for group in self.groups:
            if not self.in_group(group.id):
                problems.append(f"complaints: group {group.id} has no category")
        if len(routes) != len(self.routes):
            problems.append("complaints: a route id is used twice")
        return problems
