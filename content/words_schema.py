"""The shape of content/words.yml: the words the assistant reads in what people type."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from content.schema import Strict

Word = Annotated[str, StringConstraints(min_length=1, pattern=r"^[a-z' ]+$")]
WordSet = frozenset[Word]


def plain(text: str) -> str:
    """A message as the word sets hold it: lower case, spaces evened out, no end punctuation."""
    return " ".join(text.lower().strip().strip(" .!?").split())


class Words(Strict):
    yes: WordSet = Field(min_length=1)
    no: WordSet = Field(min_length=1)
    cancel: WordSet = Field(min_length=1)
    back: WordSet = Field(min_length=1)
    next: WordSet = Field(min_length=1)
    repeat: WordSet = Field(min_length=1)
    finish: WordSet = Field(min_length=1)
    send: WordSet = Field(min_length=1)
    send_secret: WordSet = Field(min_length=1)
    erase: WordSet = Field(min_length=1)
    # Index = Python's weekday (0 = Senin) and month - 1.
    weekdays: tuple[WordSet, ...] = Field(min_length=7, max_length=7)
    weeks: tuple[WordSet, ...] = Field(min_length=5, max_length=5)
    last_week: WordSet = Field(min_length=1)
    months: tuple[WordSet, ...] = Field(min_length=12, max_length=12)

    @model_validator(mode="after")
    def _each_word_means_one_thing(self) -> Words:
        seen: dict[str, str] = {}
        for name in ("yes", "no", "cancel", "back", "next", "repeat", "finish", "send", "send_secret", "erase"):
            for word in getattr(self, name):
                if word in seen:
                    raise ValueError(f"{word!r} is in both {seen[word]} and {name}")
                seen[word] = name
        for name in ("weekdays", "weeks", "months"):
            days: list[WordSet] = getattr(self, name)
            flat = [word for words in days for word in words]
            if len(flat) != len(set(flat)):
                raise ValueError(f"{name}: a word names two of them")
        return self

    def weekday(self, word: str) -> int | None:
        return next((number for number, words in enumerate(self.weekdays) if word in words), None)

    def week(self, word: str) -> int | None:
        """The week of the month (1–5) an ordinal or a digit names (the last week is `last_week`)."""
        if word.isdigit():
            return int(word) if 1 <= int(word) <= len(self.weeks) else None
        return next((number for number, words in enumerate(self.weeks, start=1) if word in words), None)

    def month(self, word: str) -> int | None:
        """The month (1–12) a word names: itself or its first three letters."""
        for candidate in (word, word[:3]):
            found = next((number for number, words in enumerate(self.months, start=1) if candidate in words), None)
            if found is not None:
                return found
        return None
