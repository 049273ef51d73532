"""Indonesian chat-text normaliser: slang and regional words to standard forms, elongations collapsed.

Pure Python, shared by the Rasa tokenizer (which stores the result as each token's lemma, so the text and
entity offsets stay untouched) and by the app's keyword baseline.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from indoNLP.preprocessing import slang_data

_LEXICON_FILE = Path(__file__).with_name("lexicon.yml")
# Three or more of the same letter never occur in standard Indonesian spelling: "bangeeet" -> "banget".
_ELONGATION = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[0-9a-z]+(?:[-'][0-9a-z]+)*", re.IGNORECASE)


@cache
def _lexicon() -> dict[str, str]:
    extra = yaml.safe_load(_LEXICON_FILE.read_text(encoding="utf-8"))
    table: dict[str, str] = dict(slang_data.SLANG_DATA)
    table.update(extra["add"])
    for word in extra["keep"]:
        table.pop(word, None)
    return table


def collapse_elongation(word: str) -> str:
    """Shorten letters repeated three or more times to one ("tolooong" -> "tolong")."""
    return _ELONGATION.sub(r"\1", word)


def normalize_word(word: str) -> str:
    """The standard form of one word (lower case); unknown words come back lower-cased and de-elongated."""
    lowered = word.lower()
    if len(lowered) > 1 and len(set(lowered)) == 1:
        # Keyboard mash of one key ("mmmmmm", "zzzz", "kkkk") stays as typed: collapsed to one letter, the
        # lexicon would turn it into a word ("m" -> "sama", "k" -> "ke", "z" -> "saja").
        return lowered
    table = _lexicon()
    if lowered in table:
        return table[lowered]
    collapsed = collapse_elongation(lowered)
    return table.get(collapsed, collapsed)


def words(text: str) -> list[str]:
    return _TOKEN.findall(text)


def normalize(text: str) -> str:
    """Normalised text: words only, lower case, standard forms, single spaces."""
    return " ".join(normalize_word(word) for word in words(text))
