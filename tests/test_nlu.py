"""The NLU as the app sees it: the real Rasa server on the model `make test` trained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from nlu.client import NluClient
from nlu.evaluation import accuracy, load_labelled

ROOT = Path(__file__).resolve().parents[1]
INTENTS = [
    "greet",
    "goodbye",
    "thanks",
    "help",
    "ask_rights",
    "ask_obligations",
    "ask_sanctions",
    "ask_components",
    "ask_amount",
    "ask_disbursement",
    "ask_complementary",
    "ask_graduation",
    "ask_p2k2",
    "learn_module",
    "file_complaint",
    "complaint_status",
    "ask_meeting",
    "talk_to_human",
    "affirm",
    "deny",
    "stop",
    "bot_challenge",
    "out_of_scope",
]
DOMAIN_INTENTS = set(INTENTS) - {"out_of_scope"}


def training_examples() -> Counter[str]:
    data = yaml.safe_load((ROOT / "nlu" / "data" / "nlu.yml").read_text(encoding="utf-8"))
    return Counter({b["intent"]: b["examples"].count("\n- ") + 1 for b in data["nlu"] if "intent" in b})


def test_every_intent_has_at_least_30_training_examples() -> None:
    counts = training_examples()
    assert set(counts) == set(INTENTS)
    assert {intent: n for intent, n in counts.items() if n < 30} == {}


def test_entity_lookups_and_synonyms_agree() -> None:
    data = yaml.safe_load((ROOT / "nlu" / "data" / "entities.yml").read_text(encoding="utf-8"))["nlu"]

    def forms(block: dict[str, str]) -> set[str]:
        return {line[2:].strip().lower() for line in block["examples"].splitlines() if line.startswith("- ")}

    lookups = {b["lookup"]: forms(b) for b in data if "lookup" in b}
    synonyms = set().union(*(forms(b) for b in data if "synonym" in b))
    assert set(lookups) == {"module", "component", "complaint_type"}
    assert synonyms <= set().union(*lookups.values())


def test_held_out_messages_through_sahabat_nlu_parse(nlu_url: str) -> None:
    """The unseen, real-style set, run the way the issue asks: one message per line into `sahabat nlu parse`."""
    holdout = load_labelled(ROOT / "tests" / "data" / "nlu_holdout.yml")
    completed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "nlu", "parse"],
        input="\n".join(text for text, _ in holdout) + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "SAHABAT_NLU_URL": nlu_url},
        check=True,
        cwd=ROOT,
    )
    parsed = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(parsed) == len(holdout)
    assert all(set(p) == {"text", "intent", "confidence", "entities"} for p in parsed)
    predictions = {p["text"]: p["intent"] for p in parsed}
    score, misses = accuracy(predictions.__getitem__, holdout)
    assert score >= 0.90, f"held-out accuracy {score:.3f}; misses:\n" + "\n".join(map(str, misses))


@pytest.mark.parametrize(
    "text",
    ["asdfghjkl", "qwertyuiop", "zxcvbnm asdf", "hjkl;'", "xkcd lorem ipsum", "123123123", "??!!??", "bla bla bla"],
)
def test_gibberish_is_never_a_confident_domain_intent(nlu: NluClient, text: str) -> None:
    parse = nlu.parse(text)
    assert parse.intent in {"out_of_scope", "nlu_fallback"}, parse


def test_entities(nlu: NluClient) -> None:
    assert nlu.parse("status aduan ADU-7K3Q9X gmn").values("ticket") == ["ADU-7K3Q9X"]
    assert "smp" in nlu.parse("brp bantuan utk anak smp").values("component")
    assert "ibu_hamil" in nlu.parse("kewajiban ibu hamil apa aja").values("component")
    assert "kks_hilang" in nlu.parse("kartu kks saya hilang").values("complaint_type")
    assert "menabung_meminjam" in nlu.parse("ajari cara menabung").values("module")
