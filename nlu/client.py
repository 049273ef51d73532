"""The app's client for a Rasa NLU server (`POST /model/parse`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

FALLBACK_INTENT = "nlu_fallback"
# Below this confidence in its topic (within the predicted intent), a catalogue question gets the honest "no sure
# answer" instead of a guess. Measured on cross-validation of the training data (config.yml, README "NLU").
TOPIC_THRESHOLD = 0.4


class NluUnavailable(RuntimeError):
    """The NLU server could not be reached or answered with an error."""


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Parse:
    text: str
    intent: str
    confidence: float
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    # The catalogue topic (retrieval intent `<intent>/<topic>`, Rasa's `response_selector` under the intent) and
    # its confidence; None for an intent that is not a retrieval intent.
    topic: str | None = None
    topic_confidence: float = 0.0

    @property
    def answered_topic(self) -> str | None:
        """The topic the assistant answers, or None when it is not sure enough to answer any."""
        return self.topic if self.topic is not None and self.topic_confidence >= TOPIC_THRESHOLD else None

    def values(self, entity: str) -> list[str]:
        return [e.value for e in self.entities if e.entity == entity]

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "entities": [{"entity": e.entity, "value": e.value, "start": e.start, "end": e.end} for e in self.entities],
            "topic": self.topic,
            "topic_confidence": round(self.topic_confidence, 4),
        }


def parse_response(text: str, body: dict[str, object]) -> Parse:
    intent = body.get("intent") or {}
    entities = body.get("entities") or []
    if not isinstance(intent, dict) or not isinstance(entities, list):
        raise ValueError(f"not a Rasa parse result: {sorted(body)}")
    name = str(intent.get("name") or FALLBACK_INTENT)
    topic, topic_confidence = _selected(body.get("response_selector"), name)
    return Parse(
        text=text,
        intent=name,
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(Entity(str(e["entity"]), str(e.get("value")), e.get("start"), e.get("end")) for e in entities),
        topic=topic,
        topic_confidence=topic_confidence,
    )


def _selected(selector: object, intent: str) -> tuple[str | None, float]:
    """The response selector's choice under the intent: (topic id, confidence), or (None, 0) if it has none."""
    if not isinstance(selector, dict) or not isinstance(selector.get(intent), dict):
        return None, 0.0
    response = selector[intent].get("response") or {}
    key = str(response.get("intent_response_key") or "")
    parent, _, topic = key.partition("/")
    if parent != intent or not topic:
        return None, 0.0
    return topic, float(response.get("confidence") or 0.0)


class NluClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def parse(self, text: str) -> Parse:
        try:
            response = self._http.post("/model/parse", json={"text": text})
            response.raise_for_status()
            return parse_response(text, response.json())
        except (httpx.HTTPError, ValueError) as error:
            raise NluUnavailable(str(error)) from error

    def intent_of(self, text: str) -> str:
        return self.parse(text).intent

    def ready(self) -> bool:
        try:
            return self._http.get("/status", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()
