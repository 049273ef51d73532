"""NLU evaluation: Rasa's cross-validation summarised, and accuracy of a parser on a labelled set."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.rasa_env import PROJECT_ROOT, TRAINING_DATA, RasaEnvironment, RasaError


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    scores: list[IntentScore]
    macro_f1: float
    accuracy: float
    confusions: list[tuple[str, str, int]]


def cross_validate(rasa: RasaEnvironment, config: Path, folds: int = 5) -> Report:
    out = PROJECT_ROOT / "results" / f"cv-{config.stem}"
    shutil.rmtree(out, ignore_errors=True)
    completed = rasa.run(
        [
            "test",
            "nlu",
            "--nlu",
            str(TRAINING_DATA),
            "--config",
            str(config),
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--no-plot",
        ]
    )
    report_file = out / "intent_report.json"
    if completed.returncode != 0 or not report_file.exists():
        raise RasaError(f"rasa test nlu failed (exit {completed.returncode})")
    report = json.loads(report_file.read_text())
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    return summarise(report, errors)


def summarise(report: dict[str, dict[str, float]], errors: list[dict[str, object]]) -> Report:
    scores = [
        IntentScore(name, v["precision"], v["recall"], v["f1-score"], int(v["support"]))
        for name, v in sorted(report.items())
        if isinstance(v, dict) and "support" in v and name not in {"macro avg", "weighted avg", "micro avg"}
    ]
    pairs: Counter[tuple[str, str]] = Counter()
    for error in errors:
        predicted = error.get("intent_prediction")
        if isinstance(predicted, dict):
            pairs[(str(error.get("intent")), str(predicted.get("name")))] += 1
    return Report(
        scores=scores,
        macro_f1=float(report["macro avg"]["f1-score"]),
        accuracy=float(report.get("accuracy", 0.0)),  # type: ignore[arg-type]
        confusions=[(a, b, n) for (a, b), n in pairs.most_common(10)],
    )


def format_report(report: Report) -> str:
    lines = [f"{'intent':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}"]
    for s in sorted(report.scores, key=lambda s: s.f1):
        lines.append(f"{s.intent:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>4}")
    lines.append(f"\nmacro-F1 {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}")
    lines.append("\nworst confusions (true → predicted: count):")
    lines += [f"  {a} → {b}: {n}" for a, b, n in report.confusions] or ["  none"]
    return "\n".join(lines)


def load_labelled(path: Path) -> list[tuple[str, str]]:
    """A labelled set: a YAML list of {text, intent}."""
    return [(str(item["text"]), str(item["intent"])) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def accuracy(
    predict: Callable[[str], str], examples: Iterable[tuple[str, str]]
) -> tuple[float, list[tuple[str, str, str]]]:
    """Share of examples whose predicted intent is right (nlu_fallback counts as right for out_of_scope)."""
    examples = list(examples)
    misses = []
    for text, intent in examples:
        predicted = predict(text)
        if predicted != intent and not (intent == "out_of_scope" and predicted == "nlu_fallback"):
            misses.append((text, intent, predicted))
    return 1 - len(misses) / len(examples), misses
