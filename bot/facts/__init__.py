"""The facts store: typed facts (schema), YAML loading and validation (loader), the SQL store
(store) and the operator CLI (cli, ``python -m bot.facts``)."""

from bot.facts.loader import FactsValidationError, load_catalogue
from bot.facts.schema import TOPICS, Catalogue, Fact, MenuEntry, Source
from bot.facts.store import FactsStore, SearchHit, StoreNotBuiltError

__all__ = [
    "TOPICS", "Catalogue", "Fact", "FactsStore", "FactsValidationError", "MenuEntry",
    "SearchHit", "Source", "StoreNotBuiltError", "load_catalogue",
]
