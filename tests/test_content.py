"""Content is checked like code: every intent, menu option and follow-up leads to content with a source."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from actions.knowledge import complaint_payload, feedback_payload, topic_payload
from actions.registry import ACTIONS
from bot.cli import main
from bot.dialogue import Inbound, Router
from common.enums import Channel
from content.loader import CONTENT_DIR, Content, ContentError, load_content
from content.schema import CATALOGUE_ANSWER_LIMIT
from nlu.client import NluClient
from store.db import Database
from tests.dialog import BOTH_CHANNELS, shown
from tests.test_nlu import INTENTS, training_examples


@pytest.fixture
def router(database: Database, content: Content, nlu: NluClient) -> Router:
    return Router(database, content, nlu, channels=BOTH_CHANNELS)


def everything_content_says(content: Content) -> str:
    """All words in content/, to prove an answer came from there."""
    return "\n".join(path.read_text(encoding="utf-8") for path in CONTENT_DIR.rglob("*.yml"))


@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_has_examples_an_action_and_a_content_answer(
    intent: str, router: Router, content: Content
) -> None:
    assert training_examples()[intent] >= 30
    assert intent in ACTIONS
    replies = router.handle(Inbound(Channel.REST, f"free-{intent}", f"/{intent}"))
    answer = replies[-1].text
    assert answer and "Maaf, ada gangguan" not in answer
    source = everything_content_says(content)
    for paragraph in answer.split("\n\n"):
        first_line = paragraph.splitlines()[0]
        assert first_line.split("{")[0][:25] in source or first_line.startswith("Sumber:"), first_line


def test_every_menu_option_and_follow_up_leads_to_content(router: Router, content: Content) -> None:
    payloads = {item.payload for item in content.strings.main_menu}
    for topic in content.topics.values():
        payloads.add(topic_payload(topic))
        payloads.update(topic_payload(content.topics[ref]) for ref in topic.options)
    for payload in sorted(payloads):
        answer = shown(router.handle(Inbound(Channel.REST, "menu-walker", payload)))
        assert "Maaf, ada gangguan" not in answer and "belum paham" not in answer, (payload, answer)
        assert content.strings.catalogue.unknown not in answer, (payload, answer)


def test_button_payloads_fit_telegram_callback_data(content: Content) -> None:
    for topic in content.topics.values():
        payloads = [topic_payload(topic), feedback_payload(topic, False)]
        if topic.complaint is not None:
            payloads.append(complaint_payload(topic.complaint))
        assert all(len(p.encode()) <= 64 for p in payloads), payloads


def test_every_catalogue_answer_fits_a_screen_and_names_known_sources(content: Content) -> None:
    assert len(content.topics) >= 100
    for topic in content.topics.values():
        assert len(topic.answer) <= CATALOGUE_ANSWER_LIMIT and "Dicek" not in topic.answer, topic.id
        assert set(topic.sources) <= set(content.sources), topic.id


def copy_content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def edit_first_topic(copy: Path, **changes: object) -> None:
    target = copy / "catalogue" / "money.yml"
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["topics"][0].update(changes)
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sources": ["no_such_source"]}, "no_such_source is not in sources.yml"),
        ({"options": ["no_such_topic"]}, "no_such_topic leads nowhere"),
        ({"complaint": "no_such_category"}, "no_such_category is not a category"),
        ({"answer": "a" * 501}, "at most 500 characters"),
        ({"examples": ["satu", "dua", "tiga", "empat"]}, "at least 5 items"),
        ({"title": "judul yang terlalu panjang"}, "at most 20 characters"),
    ],
    ids=["source", "option", "complaint", "long-answer", "few-examples", "long-title"],
)
def test_a_broken_topic_fails_the_load(tmp_path: Path, changes: dict[str, object], problem: str) -> None:
    copy = copy_content(tmp_path)
    edit_first_topic(copy, **changes)
    with pytest.raises(ContentError, match=problem):
        load_content(copy)


def test_one_question_taught_as_two_topics_fails_the_load(tmp_path: Path, content: Content) -> None:
    copy = copy_content(tmp_path)
    money = yaml.safe_load((copy / "catalogue" / "money.yml").read_text(encoding="utf-8"))
    other = next(t for t in content.topics.values() if t.id != money["topics"][0]["id"])
    edit_first_topic(copy, examples=[*money["topics"][0]["examples"][:5], other.examples[0].upper()])
    with pytest.raises(ContentError, match="is in both"):
        load_content(copy)


def test_content_check_fails_on_an_answer_over_500_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_content(tmp_path)
    edit_first_topic(copy, answer="a" * 501)
    monkeypatch.setattr("content.loader.CONTENT_DIR", copy)
    monkeypatch.setattr(load_content, "__defaults__", (copy,))
    assert main(["content", "check"]) == 1
    assert "at most 500 characters" in capsys.readouterr().out


def test_a_missing_ui_string_fails_the_load(tmp_path: Path) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    original = yaml.safe_load((copy / "strings.yml").read_text(encoding="utf-8"))
    missing = {k: v for k, v in original.items() if k != "greet"}
    (copy / "strings.yml").write_text(yaml.safe_dump(missing, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="greet"):
        load_content(copy)
    (copy / "strings.yml").write_text(yaml.safe_dump({**original, "fallback": "Maaf {nama}"}), encoding="utf-8")
    with pytest.raises(ContentError, match="unknown placeholder"):
        load_content(copy)


def test_content_check_reports_stale_and_unverified_entries(
    capsys: pytest.CaptureFixture[str], content: Content
) -> None:
    assert main(["content", "check", "--today", "2026-11-24"]) == 0
    fresh = capsys.readouterr().out
    assert "checked more than 12 months ago: 0" in fresh
    undocumented = content.undocumented()
    assert f"not checked against a document (no source of basis document): {len(undocumented)}" in fresh
    assert all(topic.id in fresh for topic in undocumented)
    later = (dt.date(2026, 11, 24) + dt.timedelta(days=800)).isoformat()
    assert main(["content", "check", "--today", later]) == 0
    stale = capsys.readouterr().out
    assert "checked more than 12 months ago: 0" not in stale and "catalogue:" in stale
