"""NLU component that tells the dialogue which language a message asks to be answered in.

It adds an entity ``language`` (id, ja or en) only when the message itself decides it: an explicit
switch request, or a clear signal from ``bot.language.resolve_language``. The domain maps that
entity to the ``language`` slot, so a message with no clear signal ("ok", "IFC?", an emoji) leaves
the slot, and the conversation's language, as it was. Runs after the intent classifiers, because
"pakai bahasa Inggris" is Indonesian text that asks for English.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import MESSAGE_REASONS, detect_language, resolve_language
from bot.language.detection import most_likely_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageResolver(GraphComponent, EntityExtractorMixin):
    """Adds a ``language`` entity when the message clearly sets the reply language."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageResolver:
        detect_language("warm up the language detector")  # loads langdetect profiles once
        # The channels of this server guess a hintless first message's language with lingua
        # (bot.language.hints); build it (~0.3 s) when the model loads, not on a user's message.
        most_likely_language("warm up the short-text detector")
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._resolve(message)
        return messages

    def _resolve(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        resolution = resolve_language(text, intent=intent, guess=False)
        if resolution.reason not in MESSAGE_REASONS:
            return
        entity = {
            "entity": LANGUAGE_ENTITY,
            "value": resolution.language,
            "start": 0,
            "end": len(text),
            "confidence": 1.0,
            "extractor": self.__class__.__name__,
            "processors": [resolution.reason],
        }
        entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE_ENTITY]
        message.set(ENTITIES, [*entities, entity], add_to_output=True)
