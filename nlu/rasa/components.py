"""Rasa components of Sahabat KPM. Imported only by the Rasa server (Python 3.10, .venv-rasa)."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.normalizer import normalize_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class IndonesianTokenizer(WhitespaceTokenizer):
    """Whitespace tokens whose lemma is the normalised Indonesian form ("sy" -> "saya", "blm" -> "belum").

    The text is left as typed, so entity offsets stay right; featurizers with `use_lemma` (the default of
    CountVectorsFeaturizer) see the normalised words.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "case_sensitive": False}

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalize_word(token.text)
        return tokens
