"""NLU component that recognises a message made only of names: "Teten", "中小機構", "SMRJ dan IFC".

Such a message asks "what do you know about this?", but an intent classifier trained on questions
sees too little in it and often falls back to "I don't know". After the lookup extractor has found
the names, this component checks whether anything else is left (besides punctuation and the filler
words of ``lexicon.yml``: "tentang", "と", "about" ...); if not, it sets the intent ``ask_entity``
with full confidence, and the action answers with each entity's card. The classifier also learns
``ask_entity`` from the entities' aliases (generated training data); when it predicts it for a
message that holds more than names ("credit ratio target for 2024?"), the next intent is used.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.facts.schema import ENTITY_INTENT
from bot.language import lexicon

NAME_ENTITIES = ("organisation", "person", "commodity")
#: Names whose card says who or what they are (a commodity's says only what the facts do with it).
IDENTITY_ENTITIES = ("organisation", "person")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+")


def only_names(text: str, entities: list[dict[str, Any]]) -> bool:
    """True when ``text`` holds at least one name and nothing else but fillers and punctuation.

    When every name is a person or an organisation, the words that ask who or what they are
    ("Siapa Teten?", 「ジョコウィとはどなたですか」) count as fillers too: their card answers that.
    Titles ("Menteri", "大臣") count only beside a person: "Who is the METI minister?" asks for
    someone the METI card does not name.
    """
    names = [e for e in entities
             if e.get("entity") in NAME_ENTITIES and isinstance(e.get("start"), int)]
    if not names:
        return False
    rest = list(text)
    for entity in names:
        rest[entity["start"]:entity["end"]] = [" "] * (entity["end"] - entity["start"])
    remainder = "".join(rest).casefold()
    fillers = lexicon.name_fillers()
    if any(e["entity"] == "person" for e in names):
        fillers = fillers | lexicon.person_titles()
    if all(e["entity"] in IDENTITY_ENTITIES for e in names):
        fillers = fillers | lexicon.identity_frames()
    for word in _WORDS.findall(remainder):
        if word in fillers:
            continue
        # Japanese has no spaces: a run like "とは" or "について" must be fillers end to end.
        if _CJK_RUN.fullmatch(word) and _only_fillers(word, fillers):
            continue
        return False
    return True


def _only_fillers(run: str, fillers: frozenset[str]) -> bool:
    if not run:
        return True
    return any(run.startswith(f) and _only_fillers(run[len(f):], fillers)
               for f in fillers if f and not f.isascii())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NameOnlyMessage(GraphComponent):
    """Sets intent ``ask_entity`` on messages that are only names of known entities."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NameOnlyMessage:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != ENTITY_INTENT]
            if only_names(message.get(TEXT) or "", message.get(ENTITIES) or []):
                intent = {INTENT_NAME_KEY: ENTITY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
            elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == ENTITY_INTENT and ranking:
                message.set(INTENT, ranking[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
