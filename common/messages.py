"""What the assistant says and what a button sends back, as types every layer shares.

A `Reply` is one message in any channel's terms: an action's answer, a message the assistant starts (an outbox
row's `body`), an answer kept for a retried webhook. `as_body` and `from_body` are the only places its JSON form is
written and read. A `Payload` is what a button sends back: "/intent" or "/intent{json entities}", the Rasa
convention, so web widgets work too; `render` and `parse` are the only places that form is written and read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_OPTIONS = 10


@dataclass(frozen=True)
class Payload:
    intent: str
    # Each entity's values; one value is written as a plain string, several as a list.
    entities: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, intent: str, **entities: str) -> Payload:
        return cls(intent, {name: [value] for name, value in entities.items()})

    def render(self) -> str:
        if not self.entities:
            return f"/{self.intent}"
        values = {name: found[0] if len(found) == 1 else found for name, found in self.entities.items()}
        return f"/{self.intent}" + json.dumps(values, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> Payload | None:
        """The payload a text is, or None for anything else (typed words, broken JSON)."""
        if not text.startswith("/"):
            return None
        name, brace, rest = text[1:].partition("{")
        if not name.replace("_", "").isalnum():
            return None
        entities: dict[str, list[str]] = {}
        if brace:
            try:
                raw = json.loads("{" + rest)
            except ValueError:
                return None
            if not isinstance(raw, dict):
                return None
            entities = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in raw.items()}
        return cls(name, entities)


@dataclass(frozen=True)
class Option:
    title: str
    # What choosing it sends back: a rendered `Payload`, or a word a form in progress reads ("kirim", "batal").
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    options: tuple[Option, ...] = ()
    # A meeting reminder: the meeting and its local date, so "hadir" typed after it answers that meeting.
    meeting: int | None = None
    occurrence: str | None = None
    # A broadcast's progress message: the broadcast it counts (reminders/broadcast_watch.py).
    progress_of: int | None = None
    # An edit: the platform's id of the message to change instead of sending a new one (Telegram; WhatsApp cannot).
    edit_of: str | None = None

    def __post_init__(self) -> None:
        if len(self.options) > MAX_OPTIONS:
            raise ValueError(f"a reply carries at most {MAX_OPTIONS} options")

    def as_body(self) -> dict[str, Any]:
        """The JSON form kept in the database: text, options as [title, payload] pairs, and the extras it has."""
        body: dict[str, Any] = {"text": self.text}
        if self.options:
            body["options"] = [[option.title, option.payload] for option in self.options]
        extras = {
            "meeting": self.meeting,
            "occurrence": self.occurrence,
            "progress_of": self.progress_of,
            "edit_of": self.edit_of,
        }
        body.update({name: value for name, value in extras.items() if value is not None})
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Reply:
        options = tuple(Option(str(title), str(payload)) for title, payload in body.get("options", []))
        return cls(
            str(body["text"]),
            options,
            meeting=_int(body.get("meeting")),
            occurrence=_str(body.get("occurrence")),
            progress_of=_int(body.get("progress_of")),
            edit_of=_str(body.get("edit_of")),
        )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
