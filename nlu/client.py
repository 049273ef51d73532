"""The app's client for a Rasa NLU server (`POST /model/parse`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

FALLBACK_INTENT = "nlu_fallback"


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

    def values(self, entity: str) -> list[str]:
        return [e.value for e in self.entities if e.entity == entity]

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "entities": [{"entity": e.entity, "value": e.value, "start": e.start, "end": e.end} for e in self.entities],
        }


def parse_response(text: str, body: dict[str, object]) -> Parse:
    intent = body.get("intent") or {}
    entities = body.get("entities") or []
    if not isinstance(intent, dict) or not isinstance(entities, list):
        raise ValueError(f"not a Rasa parse result: {sorted(body)}")
    return Parse(
        text=text,
        intent=str(intent.get("name") or FALLBACK_INTENT),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(Entity(str(e["entity"]), str(e.get("value")), e.get("start"), e.get("end")) for e in entities),
    )


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
