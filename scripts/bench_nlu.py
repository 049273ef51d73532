"""NLU benchmark: one run prints training time, model load time, parse latency and throughput for one NLU
process, and intent accuracy of our pipeline vs DIET vs Rasa's default pipeline vs a keyword baseline, all on the
same stratified 80/20 split of nlu/data plus the question catalogue (and on the held-out set in
tests/data/nlu_holdout.yml). For our pipeline it also prints the catalogue topic accuracy on the split and how the
topic threshold (nlu/client.py TOPIC_THRESHOLD) trades right answers against honest "I don't know"s on
out_of_scope messages: the threshold is chosen here, never on the catalogue's held-out set.

    .venv/bin/python scripts/bench_nlu.py [--parses 400] [--only config]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.client import FALLBACK_INTENT, NluClient, Parse, parse_response  # noqa: E402
from nlu.evaluation import accuracy, load_labelled  # noqa: E402
from nlu.normalizer import normalize  # noqa: E402
from nlu.rasa_env import CATALOGUE, RasaEnvironment, write_training_input  # noqa: E402

PIPELINES = {
    "ours (config.yml)": ROOT / "config.yml",
    "DIET": ROOT / "nlu" / "pipelines" / "diet.yml",
    "Rasa default": ROOT / "nlu" / "pipelines" / "rasa_default.yml",
}
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"


def strip_annotations(example: str) -> str:
    """'[kks hilang]{"entity": ...}' → 'kks hilang': the text a person would type."""
    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", example)
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)


def split(data_dir: Path, seed: int = 42) -> tuple[Path, list[tuple[str, str]]]:
    """Stratified 80/20 split of nlu/data and the catalogue (per label: intent, or `<intent>/<topic>`); returns a
    training-data directory and the test examples (text, label)."""
    combined = write_training_input(data_dir, CATALOGUE, Path(tempfile.mkdtemp(prefix="bench-input-")))
    blocks = []
    for name in ("nlu.yml", "catalogue.yml"):
        blocks += yaml.safe_load((combined / "data" / name).read_text(encoding="utf-8"))["nlu"]
    rng = random.Random(seed)
    train_blocks, test = [], []
    for block in blocks:
        examples = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
        rng.shuffle(examples)
        cut = max(1, len(examples) // 5)
        test += [(strip_annotations(e), block["intent"]) for e in examples[:cut]]
        train_blocks.append({"intent": block["intent"], "examples": "".join(f"- {e}\n" for e in examples[cut:])})
    out = Path(tempfile.mkdtemp(prefix="bench-nlu-"))
    (out / "nlu.yml").write_text(
        yaml.safe_dump({"version": "3.1", "nlu": train_blocks}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    for extra in data_dir.glob("*.yml"):
        if extra.name != "nlu.yml":
            shutil.copy(extra, out / extra.name)
    shutil.rmtree(combined, ignore_errors=True)
    return out, test


def _answered(parse: Parse, threshold: float) -> str | None:
    return parse.topic if parse.topic is not None and parse.topic_confidence >= threshold else None


def _global(body: dict[str, Any], also_fallback: bool) -> Parse:
    """The same parse with the topic taken from the selector's `default` ranking (all topics) instead of the one
    under the predicted intent: a variant measured here against the one the app uses."""
    parse = parse_response(str(body.get("text", "")), body)
    selector = body.get("response_selector") or {}
    retrieval = set(selector.get("all_retrieval_intents", []))
    if parse.intent not in retrieval and not (also_fallback and parse.intent == FALLBACK_INTENT):
        return replace(parse, topic=None, topic_confidence=0.0)
    best = selector["default"]["response"]
    return replace(parse, topic=best["intent_response_key"].split("/")[1], topic_confidence=best["confidence"])


VARIANTS: dict[str, Callable[[dict[str, Any]], Parse]] = {
    "within the predicted intent (used)": lambda body: parse_response(str(body.get("text", "")), body),
    "all topics, retrieval intents": lambda body: _global(body, also_fallback=False),
    "all topics, also nlu_fallback": lambda body: _global(body, also_fallback=True),
}


def topic_sweep(bodies: list[tuple[dict[str, Any], str]]) -> list[str]:
    """Catalogue topics on the split: first choice right, and per threshold the share answered rightly (topic
    examples), wrongly, and answered honestly with "no sure answer" (out_of_scope examples)."""
    lines = []
    for name, variant in VARIANTS.items():
        parses = [(variant(body), label) for body, label in bodies]
        topical = [(p, label.split("/")[1]) for p, label in parses if "/" in label]
        outside = [p for p, label in parses if label == "out_of_scope"]
        first = sum(p.topic == want for p, want in topical) / max(len(topical), 1)
        lines.append(f"catalogue topics on the split, {name}: {len(topical)} questions, first choice right {first:.3f}")
        lines.append(f"  {'threshold':>9} {'right':>6} {'wrong':>6} {'honest (out_of_scope)':>22}")
        for threshold in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
            right = sum(_answered(p, threshold) == want for p, want in topical) / max(len(topical), 1)
            wrong = sum(_answered(p, threshold) not in (None, want) for p, want in topical) / max(len(topical), 1)
            honest = sum(_answered(p, threshold) is None for p in outside) / max(len(outside), 1)
            lines.append(f"  {threshold:>9.1f} {right:>6.3f} {wrong:>6.3f} {honest:>22.3f}")
    return lines


class KeywordBaseline:
    """Per intent, the normalised words much more frequent in its examples than elsewhere; most hits wins."""

    def __init__(self, train_dir: Path) -> None:
        nlu = yaml.safe_load((train_dir / "nlu.yml").read_text(encoding="utf-8"))
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for block in nlu["nlu"]:
            for line in block["examples"].splitlines():
                counts[block["intent"].split("/")[0]].update(set(normalize(strip_annotations(line[2:])).split()))
        total: Counter[str] = sum(counts.values(), Counter())
        self.keywords = {
            intent: {w for w, n in c.items() if n >= 2 and n / total[w] >= 0.6} for intent, c in counts.items()
        }

    def predict(self, text: str) -> str:
        words = set(normalize(text).split())
        scores = {intent: len(words & keys) for intent, keys in self.keywords.items()}
        best = max(scores, key=lambda i: scores[i])
        return best if scores[best] > 0 else "out_of_scope"


def latency(client: NluClient, texts: list[str], parses: int) -> tuple[float, float, float, float]:
    timings = []
    for i in range(parses):
        start = time.perf_counter()
        client.parse(texts[i % len(texts)])
        timings.append(time.perf_counter() - start)
    timings.sort()
    p50, p95 = timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.95)] * 1000
    sequential = parses / sum(timings)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(client.parse, (texts[i % len(texts)] for i in range(parses))))
    concurrent = parses / (time.perf_counter() - start)
    return p50, p95, sequential, concurrent


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--parses", type=int, default=400)
    args.add_argument("--only", choices=["config", "diet", "default"])
    options = args.parse_args()
    pipelines = dict(PIPELINES)
    if options.only:
        pipelines = {k: v for k, v in PIPELINES.items() if options.only in v.stem}

    train_dir, test = split(ROOT / "nlu" / "data")
    holdout = load_labelled(HOLDOUT) if HOLDOUT.exists() else []
    print(f"split: {sum(1 for _ in test)} test examples held out of nlu/data; held-out set: {len(holdout)} messages\n")
    rasa = RasaEnvironment(
        ROOT / ".venv-rasa", models_dir=Path(tempfile.mkdtemp(prefix="bench-models-")), catalogue=None
    )
    sweep: list[str] = []
    rows = []
    for name, config in pipelines.items():
        start = time.perf_counter()
        model = rasa.train(config, train_dir, force=True)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        with rasa.serve(model) as server:
            load_s = time.perf_counter() - start
            client = NluClient(server.url)
            bodies = [(httpx.post(f"{server.url}/model/parse", json={"text": t}).json(), label) for t, label in test]
            intents = {str(body["text"]): parse_response(str(body["text"]), body).intent for body, _ in bodies}
            split_acc, _ = accuracy(intents.__getitem__, [(t, label.split("/")[0]) for t, label in test])
            if name.startswith("ours"):
                sweep = topic_sweep(bodies)
            holdout_acc, misses = accuracy(client.intent_of, holdout) if holdout else (0.0, [])
            perf = latency(client, [t for t, _ in test], options.parses)
            client.close()
        rows.append((name, train_s, load_s, split_acc, holdout_acc, *perf))
        if name.startswith("ours") and misses:
            print(f"{name}: held-out misses ({len(misses)}):")
            for text, want, got in misses:
                print(f"  {want:>18} → {got:<18} {text}")
            print()

    baseline = KeywordBaseline(train_dir)
    base_split, _ = accuracy(baseline.predict, [(t, label.split("/")[0]) for t, label in test])
    base_holdout, _ = accuracy(baseline.predict, holdout) if holdout else (0.0, [])

    header = (
        f"{'pipeline':<20} {'train s':>8} {'load s':>7} {'acc split':>9} {'acc held-out':>12} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'parses/s':>8} {'parses/s x8':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, train_s, load_s, split_acc, holdout_acc, p50, p95, seq, conc in rows:
        print(
            f"{name:<20} {train_s:>8.1f} {load_s:>7.1f} {split_acc:>9.3f} {holdout_acc:>12.3f} "
            f"{p50:>7.1f} {p95:>7.1f} {seq:>8.1f} {conc:>11.1f}"
        )
    print(f"{'keyword baseline':<20} {'-':>8} {'-':>7} {base_split:>9.3f} {base_holdout:>12.3f}")
    print("\n" + "\n".join(sweep))
    shutil.rmtree(train_dir, ignore_errors=True)
    shutil.rmtree(rasa.models_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
