"""NLU evaluation: Rasa's cross-validation summarised, accuracy of a parser on a labelled set, and the catalogue's
held-out questions (right topic, honest "I don't know", wrong but sure)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.client import Parse
from nlu.rasa_env import PROJECT_ROOT, TRAINING_DATA, RasaEnvironment, RasaError, write_training_input

# Catalogue questions written apart from the training examples, never trained on: a topic id, or null when
# nothing in the catalogue fits (the right answer is then "no sure answer" and the way to the pendamping).
CATALOGUE_HOLDOUT = PROJECT_ROOT / "tests" / "data" / "catalogue_holdout.yml"


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
    build = write_training_input(TRAINING_DATA, rasa.catalogue, out / "input")
    completed = rasa.run(
        [
            "test",
            "nlu",
            "--nlu",
            str(build / "data"),
            "--domain",
            str(build / "domain.yml"),
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


def load_catalogue_holdout(path: Path) -> list[tuple[str, str | None]]:
    """`questions:` a list of {text, topic}; topic null when nothing in the catalogue fits."""
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [(str(q["text"]), None if q.get("topic") is None else str(q["topic"])) for q in questions]


@dataclass(frozen=True)
class CatalogueScore:
    """How the assistant would answer each held-out question: the topic it answers (sure enough), or none."""

    with_topic: int
    right: int
    # Right as the response selector's first choice, sure or not.
    right_top1: int
    without_topic: int
    honest: int
    wrong_confident: int
    misses: list[tuple[str, str | None, str | None, float]]

    @property
    def accuracy(self) -> float:
        return self.right / max(self.with_topic, 1)

    @property
    def honest_rate(self) -> float:
        return self.honest / max(self.without_topic, 1)

    @property
    def wrong_confident_rate(self) -> float:
        return self.wrong_confident / max(self.with_topic + self.without_topic, 1)

    def format(self, misses: int = 40) -> str:
        lines = [
            f"  top-1 topic accuracy (answered, right topic): {self.accuracy:.3f}  ({self.right}/{self.with_topic})",
            f"  first choice right, sure or not:               {self.right_top1 / max(self.with_topic, 1):.3f}",
            f"  honest-unknown rate on null questions:         {self.honest_rate:.3f}  "
            f"({self.honest}/{self.without_topic})",
            f"  wrong-confident rate (a wrong topic answered): {self.wrong_confident_rate:.3f}  "
            f"({self.wrong_confident}/{self.with_topic + self.without_topic})",
            "  misses (wanted → answered, confidence):",
        ]
        lines += [f"    {want or '-'} → {got or '-'} {p:.2f}  {text}" for text, want, got, p in self.misses[:misses]]
        return "\n".join(lines)


def catalogue_holdout(parse: Callable[[str], Parse], path: Path) -> CatalogueScore:
    questions = load_catalogue_holdout(path)
    right = right_top1 = honest = wrong = 0
    misses = []
    for text, want in questions:
        parsed = parse(text)
        got = parsed.answered_topic
        right += want is not None and got == want
        right_top1 += want is not None and parsed.topic == want
        honest += want is None and got is None
        wrong += got is not None and got != want
        if got != want:
            misses.append((text, want, got, parsed.topic_confidence))
    with_topic = sum(want is not None for _, want in questions)
    return CatalogueScore(with_topic, right, right_top1, len(questions) - with_topic, honest, wrong, misses)
