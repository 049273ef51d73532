"""Content is checked like code: every intent, menu option and follow-up leads to content with a source."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from actions.knowledge import option_for, topic_payload
from actions.registry import ACTIONS
from bot.cli import main
from bot.dialogue import Inbound, Router
from common.enums import Channel
from content.loader import CONTENT_DIR, Content, ContentError, load_content
from content.schema import ANSWER_LIMIT
from nlu.client import NluClient
from store.db import Database
from tests.dialog import BOTH_CHANNELS, shown
from tests.test_nlu import INTENTS, training_examples

KNOWLEDGE_INTENTS = [
    "ask_rights",
    "ask_obligations",
    "ask_sanctions",
    "ask_components",
    "ask_amount",
    "ask_disbursement",
    "ask_complementary",
    "ask_graduation",
    "ask_p2k2",
    "talk_to_human",
]


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


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_every_knowledge_intent_has_one_default_sourced_topic(intent: str, content: Content) -> None:
    topic = content.default_topic(intent)
    assert topic is not None and topic.sources and topic.checked is not None
    assert len(topic.text) <= ANSWER_LIMIT


def test_every_menu_option_and_follow_up_leads_to_content(router: Router, content: Content) -> None:
    payloads = {item.payload for item in content.strings.main_menu}
    for topic in content.topics.values():
        payloads.add(topic_payload(topic))
        payloads.update(option_for(ref, content).payload for ref in topic.options)
    for payload in sorted(payloads):
        answer = shown(router.handle(Inbound(Channel.REST, "menu-walker", payload)))
        assert "Maaf, ada gangguan" not in answer and "belum paham" not in answer, (payload, answer)


def test_topic_payloads_fit_telegram_callback_data(content: Content) -> None:
    for topic in content.topics.values():
        assert len(topic_payload(topic).encode()) <= 64, topic.id


def test_an_unsourced_fact_fails_the_load(tmp_path: Path) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = next((copy / "knowledge").glob("*.yml"))
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["topics"][0].pop("sources", None)
    data["topics"][0]["factual"] = True
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="needs `sources` and `checked`"):
        load_content(copy)


def test_a_dangling_reference_and_an_overlong_answer_fail_the_load(tmp_path: Path) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = next((copy / "knowledge").glob("*.yml"))
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    data["topics"][0]["options"] = ["no_such_topic"]
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="no_such_topic leads nowhere"):
        load_content(copy)
    data["topics"][0]["options"] = []
    data["topics"][0]["text"] = "panjang " * 100
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="at most 600 characters"):
        load_content(copy)


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


def test_content_check_reports_stale_and_unverified_entries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check", "--today", "2026-11-24"]) == 0
    fresh = capsys.readouterr().out
    assert "checked more than 12 months ago: 0" in fresh
    later = (dt.date(2026, 11, 24) + dt.timedelta(days=800)).isoformat()
    assert main(["content", "check", "--today", later]) == 0
    stale = capsys.readouterr().out
    assert "checked more than 12 months ago: 0" not in stale and "topics:" in stale
