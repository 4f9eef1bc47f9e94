"""What every action needs to know about the conversation: its language and the facts store."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from bot.facts import Fact, FactsStore, MenuEntry
from bot.language import resolve_language

LANGUAGE_SLOT = "language"
SESSION_METADATA_SLOT = "session_started_metadata"
#: Keys a channel may use in message metadata for the user's interface language.
HINT_KEYS = ("language", "language_code", "locale")
#: Entity types the topic intents can be narrowed by.
TOPIC_ENTITIES = ("organisation", "person", "commodity")


@lru_cache(maxsize=1)
def store() -> FactsStore:
    """The process's facts store (a pooled engine; facts themselves are read per request)."""
    return FactsStore()


def language_hint(metadata: Any) -> str | None:
    """The channel's language hint from message or session metadata, if any."""
    if isinstance(metadata, dict):
        for key in HINT_KEYS:
            if isinstance(metadata.get(key), str):
                return metadata[key]
    return None


def conversation_language(tracker: Tracker) -> str:
    """The language to answer in: the slot, else the hint of the first message, else default."""
    hint = language_hint(tracker.get_slot(SESSION_METADATA_SLOT)) or language_hint(
        (tracker.latest_message or {}).get("metadata"))
    return resolve_language("", current=tracker.get_slot(LANGUAGE_SLOT), hint=hint).language


def entity_values(tracker: Tracker, *types: str) -> list[str]:
    """Values of the latest message's entities of the given types, in order, without repeats."""
    values: list[str] = []
    for entity in (tracker.latest_message or {}).get("entities", []):
        value = entity.get("value")
        if entity.get("entity") in types and isinstance(value, str) and value not in values:
            values.append(value)
    return values


def follow_up_button(fact: Fact, lang: str) -> dict[str, str]:
    """A quick reply that asks for ``fact``, titled with the question in the user's language."""
    return {"title": fact.question[lang], "payload": fact.payload()}


def menu_buttons(entries: list[MenuEntry], lang: str) -> list[dict[str, str]]:
    return [{"title": entry.title[lang], "payload": entry.payload} for entry in entries]
