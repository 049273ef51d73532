"""Load and cross-check content/: a broken reference or an unsourced fact stops the assistant from starting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from common.enums import SourceBasis
from content.complaints_schema import ComplaintsFile
from content.dashboard_schema import DashboardFile
from content.schema import Catalogue, CatalogueFile, LessonModule, Session, Source, Sourced, SourcesFile, Strings, Topic
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
    # The question catalogue (content/catalogue/*.yml), by topic id.
    topics: dict[str, Topic]
    sources: dict[str, Source] = field(default_factory=dict)
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

    def overview(self, intent: str) -> Topic | None:
        """The topic a bare intent button (`/ask_rights`) answers, if the content names one."""
        topic = self.strings.catalogue.overviews.get(intent)
        return self.topics.get(topic) if topic else None

    @property
    def retrieval_intents(self) -> set[str]:
        """The intents the catalogue answers (Rasa retrieval intents: `<intent>/<topic id>`)."""
        return {topic.intent for topic in self.topics.values()}

    def undocumented(self) -> list[Topic]:
        """Catalogue topics that rest on no official document, only on studies or general knowledge."""
        return [
            topic
            for topic in self.topics.values()
            if not any(self.sources[key].basis == SourceBasis.DOCUMENT for key in topic.sources if key in self.sources)
        ]

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
    sources_file = _validated(SourcesFile, root / "sources.yml", problems)
    topics = _catalogue(root / "catalogue", problems)
    sourced: dict[tuple[str, str], Sourced] = {}
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
    content = Content(
        strings,
        topics,
        sources_file.sources if sources_file else {},
        tuple(modules),
        catalogue,
        sourced,
        complaints,
        dashboard=dashboard,
        words=words,
    )
    problems += _cross_check(content)
    if problems:
        raise ContentError(problems)
    return content


def normalised_example(text: str) -> str:
    return " ".join(text.lower().split())


def _catalogue(directory: Path, problems: list[str]) -> dict[str, Topic]:
    """Every topic of content/catalogue/*.yml; an id used twice, or one question taught as two topics, fails."""
    topics: dict[str, Topic] = {}
    examples: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        catalogue_file = _validated(CatalogueFile, path, problems)
        for topic in catalogue_file.topics if catalogue_file else ():
            if topic.id in topics:
                problems.append(f"catalogue/{path.name}: topic id {topic.id} used twice")
            topics[topic.id] = topic
            for example in topic.examples:
                key = normalised_example(example)
                other = examples.setdefault(key, topic.id)
                if other != topic.id:
                    problems.append(f"catalogue/{path.name}: example {example!r} is in both {other} and {topic.id}")
    return topics


def _cross_check(content: Content) -> list[str]:
    problems = []
    if content.complaints is not None:
        problems += content.complaints.cross_check()
    if content.topics and content.strings.catalogue.human_topic not in content.topics:
        problems.append(f"strings catalogue.human_topic: {content.strings.catalogue.human_topic} is not a topic")
    for intent, topic_id in content.strings.catalogue.overviews.items():
        if topic_id not in content.topics or content.topics[topic_id].intent != intent:
            problems.append(f"strings catalogue.overviews: {intent} → {topic_id} is not a topic of that intent")
    categories = {c.id for c in content.complaints.categories} if content.complaints else set()
    for topic in content.topics.values():
        problems += [
            f"topic {topic.id}: source {key} is not in sources.yml"
            for key in topic.sources
            if key not in content.sources
        ]
        if topic.complaint is not None and topic.complaint not in categories:
            problems.append(f"topic {topic.id}: complaint {topic.complaint} is not a category in complaints.yml")
        for option in topic.options:
            if option not in content.topics or option == topic.id:
                problems.append(f"topic {topic.id}: option {option} leads nowhere")
    return problems
