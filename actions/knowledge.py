"""Answers about PKH from content/knowledge: the topic that fits the intent and its entities, with its source."""

from __future__ import annotations

import datetime as dt
import re

from actions.replies import Option, Reply, Request, with_menu
from common.messages import Payload
from content.loader import Content
from content.schema import Topic


def format_date(day: dt.date, content: Content) -> str:
    return f"{day.day} {content.strings.months[day.month - 1]} {day.year}"


def topic_payload(topic: Topic) -> str:
    return Payload.of(topic.intent, topic=topic.id).render()


def option_for(reference: str, content: Content) -> Option:
    """A follow-up option from a topic's `options`: a topic id, "intent:<name>" or "lesson:<session id>"."""
    kind, _, name = reference.partition(":")
    if kind == "intent":
        item = next(i for i in content.strings.main_menu if i.payload == f"/{name}")
        return Option(item.title, item.payload)
    if kind == "lesson":
        return Option(content.strings.lesson_buttons[name], Payload.of("learn_module", module=name).render())
    topic = content.topics[reference]
    return Option(topic.title, topic_payload(topic))


_WORD = re.compile(r"[0-9a-z]+")


def _typed_words(text: str) -> str:
    """The message as " word word ": keywords are matched on whole words, whatever the punctuation."""
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def choose_topic(request: Request) -> Topic | None:
    """The topic named by a button, else the one whose entities and keywords the message matches best, else the
    intent's default."""
    content = request.content
    chosen = content.topics.get(request.entity("topic") or "")
    if chosen is not None and chosen.intent == request.intent:
        return chosen
    typed = _typed_words(request.text)
    scores: dict[str, int] = {}
    for topic in content.topics_for(request.intent):
        score = sum(bool(set(values) & set(request.entities.get(name, []))) for name, values in topic.match.items())
        score += sum(f" {keyword} " in typed for keyword in topic.keywords)
        if score:
            scores[topic.id] = score
    best = [topic_id for topic_id, score in scores.items() if score == max(scores.values(), default=0)]
    # A tie ("bedanya penangguhan dan pembatalan") is a question about the whole subject: the overview answers it.
    if len(best) == 1:
        return content.topics[best[0]]
    return content.default_topic(request.intent)


def render(topic: Topic, content: Content, lead: str | None = None) -> Reply:
    parts = [lead] if lead else []
    parts.append(topic.text)
    if topic.factual and topic.checked is not None:
        parts.append(
            content.strings.source_line.format(
                sources="; ".join(topic.sources), checked=format_date(topic.checked, content)
            )
        )
    options = [option_for(ref, content) for ref in topic.options]
    options.append(Option(content.strings.lesson.menu_button, "/help"))
    return Reply("\n\n".join(parts), tuple(options))


def answer(request: Request) -> list[Reply]:
    topic = choose_topic(request)
    if topic is None:
        return with_menu(request, request.content.strings.not_available_yet)
    return [render(topic, request.content)]


def talk_to_human(request: Request) -> list[Reply]:
    """Who the person's pendamping is; with no pendamping on file, the official channels."""
    topic = choose_topic(request)
    pendamping = request.person.pendamping
    lead = request.content.strings.pendamping_known.format(name=pendamping.name) if pendamping else None
    if topic is None:
        return with_menu(request, lead or request.content.strings.not_available_yet)
    return [render(topic, request.content, lead)]
