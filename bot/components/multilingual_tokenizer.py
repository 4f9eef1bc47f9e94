"""Tokenizer for one id/ja/en pipeline: MeCab for Japanese, Rasa's whitespace rules otherwise.

Japanese is written without spaces, so Rasa's WhitespaceTokenizer would make a whole sentence one
token and every featurizer after it would see nothing. Messages with kana or kanji are segmented by
fugashi (MeCab with the UniDic-lite dictionary from PyPI); all others keep Rasa's own whitespace
behaviour unchanged, so Indonesian and English train exactly as in a stock pipeline.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.language.segmentation import has_japanese, has_word, morphemes


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(WhitespaceTokenizer):
    """Adds ``tokens`` to a Message: MeCab morphemes for Japanese, whitespace words else."""

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        # Warm the MeCab dictionary once here rather than on the first user message.
        morphemes("初期化")
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        if not has_japanese(text):
            return super().tokenize(message, attribute)
        # Rasa's emoji pattern spans U+24C2..U+1F251, which covers every kanji and kana, so it
        # must not be used here; punctuation and symbols are dropped as the whitespace rules do.
        tokens = [
            Token(m.surface, m.start, m.end, lemma=m.lemma)
            for m in morphemes(text)
            if has_word(m.surface)
        ]
        if not tokens:
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)
