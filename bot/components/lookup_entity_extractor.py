"""Entity extractor for lookup tables in a language mix with and without spaces.

Rasa's RegexEntityExtractor has one switch for word boundaries for all tables: on, and Japanese
names never match ("中小機構とは" has no boundary after 構); off, and Latin names match inside
words ("METI" inside "sometimes"). Here each alias gets boundaries by its own script: Latin aliases
must stand as words, Japanese aliases match anywhere. Overlapping matches keep the longest
("kelapa sawit" over "kelapa", "アブラヤシ" over "ヤシ"). EntitySynonymMapper then maps each
surface form to its canonical value.
"""

from __future__ import annotations

import re
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.matching import alias_pattern

_ALIASES_FILE = "lookup_aliases.json"




@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LookupEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds entities found by the training data's lookup tables, script-aware."""

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 aliases: dict[str, list[str]] | None = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.aliases = aliases or {}
        # The model stores the aliases, not the regexes: Rasa's training cache reuses a trained
        # resource while the data is unchanged, so boundary rules must live in code, not in it.
        self._compiled = {
            name: re.compile("|".join(alias_pattern(a) for a in sorted(values, key=len, reverse=True)),
                             re.IGNORECASE)
            for name, values in self.aliases.items() if values
        }

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LookupEntityExtractor:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        aliases: dict[str, set[str]] = {}
        for table in training_data.lookup_tables:
            elements = table["elements"]
            if isinstance(elements, str):  # a file name in old formats; not used here
                continue
            aliases.setdefault(table["name"], set()).update(
                e.strip() for e in elements if e.strip())
        if not aliases:
            rasa.shared.utils.io.raise_warning("LookupEntityExtractor found no lookup tables.")
        with self._model_storage.write_to(self._resource) as path:
            rasa.shared.utils.io.dump_obj_as_json_to_file(
                path / _ALIASES_FILE, {name: sorted(values) for name, values in aliases.items()})
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LookupEntityExtractor:
        try:
            with model_storage.read_from(resource) as path:
                aliases = rasa.shared.utils.io.read_json_file(path / _ALIASES_FILE)
        except (ValueError, FileNotFoundError):
            aliases = {}
        return cls(model_storage, resource, aliases)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found),
                            add_to_output=True)
        return messages

    def extract(self, text: str) -> list[dict[str, Any]]:
        """Non-overlapping matches, longest first, in text order."""
        matches = [(m.start(), m.end(), name)
                   for name, pattern in self._compiled.items() for m in pattern.finditer(text)]
        matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
        taken: list[tuple[int, int, str]] = []
        for start, end, name in matches:
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, name))
        return [{"entity": name, "start": s, "end": e, "value": text[s:e]}
                for s, e, name in sorted(taken)]
