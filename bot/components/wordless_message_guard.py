"""NLU component that stops the classifier guessing an intent for a message with no words.

An empty, whitespace-only, emoji-only or punctuation-only message carries no question, yet a
classifier always returns its nearest intent, and the user would get a confident answer to
something they never asked. Such messages are routed to ``nlu_fallback`` instead, whose rule
replies politely (in the conversation's language) with the topics the bot knows.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.language.segmentation import has_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class WordlessMessageGuard(GraphComponent):
    """Sets intent ``nlu_fallback`` on messages without a single letter or digit."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordlessMessageGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if has_word(message.get(TEXT) or ""):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                        PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [fallback, *(message.get(INTENT_RANKING_KEY) or [])]
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
