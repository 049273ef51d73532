"""Load and cross-check content/: a broken reference or an unsourced fact stops the assistant from starting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from content.complaints_schema import ComplaintsFile
from content.dashboard_schema import DashboardFile
from content.schema import Catalogue, KnowledgeFile, LessonModule, Session, Sourced, Strings, Topic
from content.words_schema import Words

CONTENT_DIR = Path(__file__).resolve().parent
STALE_AFTER = dt.timedelta(days=365)
Model = TypeVar("Model", bound=BaseModel)


class ContentError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("content problems:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Content:
    strings: Strings
    topics: dict[str, Topic]
    modules: tuple[LessonModule, ...] = ()
    catalogue: Catalogue | None = None
    # Where each sourced entry came from, for the report: (file, id) → entry.
    sourced: dict[tuple[str, str], Sourced] = field(default_factory=dict)
    complaints: ComplaintsFile | None = None
    dashboard: DashboardFile | None = None
    # The words read in what people type (yes, batal, weekday names …): content/words.yml.
    words: Words = field(default_factory=lambda: Words.model_validate(_read(CONTENT_DIR / "words.yml")))

    def topics_for(self, intent: str) -> list[Topic]:
        return [topic for topic in self.topics.values() if topic.intent == intent]

    def default_topic(self, intent: str) -> Topic | None:
        return next((t for t in self.topics_for(intent) if t.default), None)

    @property
    def sessions(self) -> dict[str, Session]:
        return {session.id: session for module in self.modules for session in module.sessions}

    def module_of(self, session_id: str) -> LessonModule:
        return next(m for m in self.modules if any(s.id == session_id for s in m.sessions))

    def stale(self, today: dt.date) -> list[tuple[str, str, dt.date]]:
        """Sourced entries whose last check is older than a year."""
        return [
            (file, entry_id, entry.checked)
            for (file, entry_id), entry in self.sourced.items()
            if entry.checked is not None and today - entry.checked > STALE_AFTER
        ]

    def to_verify(self) -> list[tuple[str, str]]:
        """Entries checked only against the fact sheet: to confirm against the official text."""
        return [key for key, entry in self.sourced.items() if entry.verify]


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _validated(model: type[Model], path: Path, problems: list[str]) -> Model | None:
    try:
        return model.model_validate(_read(path))
    except (ValidationError, yaml.YAMLError) as error:
        problems.append(f"{path.parent.name}/{path.name}: {error}")
        return None


def load_content(root: Path = CONTENT_DIR) -> Content:
    problems: list[str] = []
    strings = _validated(Strings, root / "strings.yml", problems)
    topics: dict[str, Topic] = {}
    sourced: dict[tuple[str, str], Sourced] = {}
    for path in sorted((root / "knowledge").glob("*.yml")):
        knowledge = _validated(KnowledgeFile, path, problems)
        for topic in knowledge.topics if knowledge else ():
            if topic.id in topics:
                problems.append(f"{path.name}: topic id {topic.id} used twice")
            topics[topic.id] = topic
            if topic.factual:
                sourced[(path.name, topic.id)] = topic
    modules: list[LessonModule] = []
    catalogue: Catalogue | None = None
    for path in sorted((root / "lessons").glob("*.yml")):
        if path.name == "catalogue.yml":
            catalogue = _validated(Catalogue, path, problems)
            if catalogue:
                sourced[(path.name, "catalogue")] = catalogue
            continue
        module = _validated(LessonModule, path, problems)
        if module:
            modules.append(module)
            sourced[(path.name, module.module)] = module
    complaints = _validated(ComplaintsFile, root / "complaints.yml", problems)
    for category in complaints.categories if complaints else ():
        if category.factual:
            sourced[("complaints.yml", category.id)] = category
    dashboard = _validated(DashboardFile, root / "dashboard.yml", problems)
    words = _validated(Words, root / "words.yml", problems)
    if strings is None or words is None:
        raise ContentError(problems)
    content = Content(strings, topics, tuple(modules), catalogue, sourced, complaints, dashboard=dashboard, words=words)
    problems += _cross_check(content)
    if problems:
        raise ContentError(problems)
    return content


def _cross_check(content: Content) -> list[str]:
    problems = []
    intents = {topic.intent for topic in content.topics.values()}
    for intent in sorted(intents):
        defaults = [t.id for t in content.topics_for(intent) if t.default]
        if len(defaults) != 1:
            problems.append(f"intent {intent}: needs exactly one default topic, has {defaults or 'none'}")
    if content.complaints is not None:
        problems += content.complaints.cross_check()
    sessions = content.sessions
    for topic in content.topics.values():
        for option in topic.options:
            kind, _, name = option.partition(":")
            if (name and kind == "lesson" and name not in sessions) or (not name and option not in content.topics):
                problems.append(f"topic {topic.id}: option {option} leads nowhere")
            elif name and kind not in {"lesson", "intent"}:
                problems.append(f"topic {topic.id}: option {option} has an unknown kind")
    return problems
