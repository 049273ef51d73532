"""Answers from the question catalogue (content/catalogue/): the topic the NLU or a button chose, one short source
line, then what she can do next (follow-ups, "Buat pengaduan" when the topic has a complaint category, a one-tap
"was this helpful?"). No topic sure enough: an honest "no sure answer" and the way to her pendamping."""

from __future__ import annotations

import re

from actions.replies import MAX_OPTIONS, Option, Reply, Request, menu_options
from common.messages import Payload
from content.loader import Content
from content.schema import Topic
from store import catalogue

FEEDBACK_INTENT = "rate_answer"
# Another action sends her last question to her pendamping (or the koordinator's queue); this only offers it.
SEND_QUESTION = Payload("send_question").render()
HELP = Payload("help").render()
_WORD = re.compile(r"[a-z]+")


def topic_payload(topic: Topic) -> str:
    return Payload.of(topic.intent, topic=topic.id).render()


def feedback_payload(topic: Topic, helpful: bool) -> str:
    return Payload.of(FEEDBACK_INTENT, topic=topic.id, helpful="1" if helpful else "0").render()


def complaint_payload(category: str) -> str:
    return Payload.of("file_complaint", category=category).render()


def source_line(topic: Topic, content: Content) -> str:
    """The line under an answer, "Sumber: Pedoman PKH 2021; Info umum Kemensos": each short name once, in order."""
    shorts = dict.fromkeys(content.sources[key].short for key in topic.sources)
    return content.strings.catalogue.source_line.format(sources="; ".join(shorts))


def render(topic: Topic, content: Content, lead: str | None = None) -> Reply:
    texts = content.strings.catalogue
    parts = [lead] if lead else []
    parts += [topic.answer, source_line(topic, content)]
    options = [Option(content.topics[ref].title, topic_payload(content.topics[ref])) for ref in topic.options]
    if topic.complaint is not None:
        options.append(Option(texts.complaint_button, complaint_payload(topic.complaint)))
    if topic.unknowable:  # what the assistant cannot see, her pendamping can find out
        options.append(Option(texts.ask_pendamping_button, SEND_QUESTION))
    options += [
        Option(texts.helpful_button, feedback_payload(topic, True)),
        Option(texts.unhelpful_button, feedback_payload(topic, False)),
        Option(texts.menu_button, HELP),
    ]
    return Reply("\n\n".join(parts), tuple(options))


def answer(request: Request) -> list[Reply]:
    """The topic a button named or the NLU was sure of; a bare intent button lists its topics; else "not sure"."""
    content = request.content
    topic = content.topics.get(request.entity("topic") or "")
    button = Payload.parse(request.text) is not None
    if topic is None and button:
        topic = content.overview(request.intent)
        if topic is None:
            return [pick_topic(request)]
    if topic is None or topic.intent != request.intent:
        return unknown(request)
    request.topic = topic.id
    return [render(topic, content)]


def pick_topic(request: Request) -> Reply:
    """`/ask_card` without a topic (an old button, a menu entry): the intent's questions as buttons."""
    topics = request.content.topics_for(request.intent)[:MAX_OPTIONS]
    return Reply(request.content.strings.catalogue.pick_topic, tuple(Option(t.title, topic_payload(t)) for t in topics))


def unknown(request: Request) -> list[Reply]:
    """The honest answer when nothing in the catalogue fits: no guess, the pendamping, the menu."""
    texts = request.content.strings.catalogue
    options = (Option(texts.ask_pendamping_button, SEND_QUESTION), *menu_options(request.content.strings.main_menu))
    return [Reply(texts.unknown, options[:MAX_OPTIONS])]


def is_question(text: str, content: Content) -> bool:
    words = set(_WORD.findall(text.lower()))
    return "?" in text or bool(words & set(content.strings.catalogue.question_words))


def talk_to_human(request: Request) -> list[Reply]:
    """Who her pendamping is, or with none on file the official channels (actions/questions.py then offers to send
    her a question)."""
    content = request.content
    pendamping = request.person.pendamping
    lead = content.strings.pendamping_known.format(name=pendamping.name) if pendamping else None
    topic = content.topics[content.strings.catalogue.human_topic]
    request.topic = topic.id
    return [render(topic, content, lead)]


def feedback(request: Request) -> list[Reply]:
    """A tap on "Membantu" / "Tidak membantu" under an answer: stored, thanked in one line, nothing else asked."""
    topic = request.content.topics.get(request.entity("topic") or "")
    if topic is not None:
        catalogue.record_feedback(request.db, request.person, topic.id, request.entity("helpful") == "1", request.now)
    return [Reply(request.content.strings.catalogue.feedback_thanks)]


def sources(request: Request) -> list[Reply]:
    """SUMBER: the full citations of the last topic answered to her."""
    content = request.content
    texts = content.strings.catalogue
    topic = content.topics.get(catalogue.last_topic(request.db, request.person) or "")
    if topic is None:
        return [Reply(texts.sources_none)]
    lines = [texts.sources_header.format(title=topic.title)]
    for key in topic.sources:
        source = content.sources[key]
        lines.append(texts.source_full.format(short=source.short, full=source.full, basis=texts.basis[source.basis]))
    return [Reply("\n".join(lines))]
