"""The facts store: typed facts (schema), YAML loading and validation (loader), the SQL store
(store), the training data derived from the facts (training_data), example-question clashes
(clashes) and the operator CLI (cli, ``python -m bot.facts``)."""

from bot.facts.loader import FactsValidationError, load_catalogue
from bot.facts.schema import (
    TOPICS,
    BriefingPoint,
    Catalogue,
    Citation,
    Entity,
    Fact,
    Group,
    MenuEntry,
    QuestionType,
    SourceDocument,
)
from bot.facts.store import FactsStore, SearchHit, StoreNotBuiltError

__all__ = [
    "TOPICS", "BriefingPoint", "Catalogue", "Citation", "Entity", "Fact", "FactsStore",
    "FactsValidationError", "Group", "MenuEntry", "QuestionType", "SearchHit", "SourceDocument",
    "StoreNotBuiltError",
    "load_catalogue",
]
