"""Rupiah amounts as KPM type them ("15000", "15.000", "15rb", "1,5 juta", "Rp50.000") and as the tools write them."""

from __future__ import annotations

import re

_UNITS = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}
_AMOUNT = re.compile(r"^(?:rp\.?)?(\d+(?:[.,]\d+)*)(rb|ribu|k|jt|juta)?$")
# "30rb/minggu" is two words; a comma or full stop after a word ends it ("900rb, 600rb").
_WORD = re.compile(r"[^\s/]+")


def rupiah(amount: float) -> str:
    return f"{round(amount):,}".replace(",", ".")


def tokens(text: str) -> list[str]:
    return [word.rstrip(".,;:!?") for word in _WORD.findall(text.lower()) if word.rstrip(".,;:!?")]


def parse_amount(words: list[str]) -> tuple[int, list[str]] | None:
    """Reads an amount from the start of `words`; returns it with the words that follow."""
    if not words:
        return None
    match = _AMOUNT.match(words[0].lower())
    if match is None:
        return None
    number, unit = match.groups()
    rest = words[1:]
    if unit is None and rest and rest[0].lower() in _UNITS:
        unit, rest = rest[0].lower(), rest[1:]
    if unit is None:
        value = float(number.replace(".", "").replace(",", ""))
    else:
        value = float(number.replace(",", ".")) if number.count(",") + number.count(".") <= 1 else 0.0
        value *= _UNITS[unit]
    return (int(value), rest) if value > 0 else None


def leading_amounts(text: str, count: int) -> list[int] | None:
    """The first `count` amounts, which must come one after the other at the start ("500000 10")."""
    values, words = [], text.split()
    for _ in range(count):
        parsed = parse_amount(words)
        if parsed is None:
            return None
        value, words = parsed
        values.append(value)
    return values


def all_amounts(text: str) -> list[int]:
    """Every amount in the text, skipping other words ("900rb, 600rb dan 1,2 juta")."""
    values, words = [], tokens(text)
    while words:
        parsed = parse_amount(words)
        if parsed is None:
            words = words[1:]
            continue
        value, words = parsed
        values.append(value)
    return values
