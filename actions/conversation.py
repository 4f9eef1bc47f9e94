"""What every action needs to know about the conversation: its language and the facts store."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from bot.answering import Decision, decide
from bot.facts import FactsStore, MenuEntry
from bot.language import resolve_language
from bot.language.hints import language_hint
from bot.settings import settings

LANGUAGE_SLOT = "language"
SESSION_METADATA_SLOT = "session_started_metadata"


@lru_cache(maxsize=1)
def store() -> FactsStore:
    """The process's facts store (a pooled engine; facts themselves are read per request)."""
    return FactsStore()


def conversation_language(tracker: Tracker) -> str:
    """The language to answer in: the slot, else the hint of the first message, else default."""
    hint = language_hint(tracker.get_slot(SESSION_METADATA_SLOT)) or language_hint(
        (tracker.latest_message or {}).get("metadata"))
    return resolve_language("", current=tracker.get_slot(LANGUAGE_SLOT), hint=hint).language


def decision(tracker: Tracker) -> Decision:
    """What the facts say about the latest message (bot.answering.decide)."""
    return decide(tracker.latest_message or {}, store(),
                  min_confidence=settings().bot_answer_min_confidence,
                  min_search_confidence=settings().bot_answer_min_search_confidence,
                  lang=conversation_language(tracker),
                  max_facts=settings().bot_max_facts_per_answer)


def button(item: Any, lang: str) -> dict[str, str]:
    """A button that asks for one fact or group, titled with its question in the user's language."""
    return {"title": item.question[lang], "payload": item.payload()}


def menu_buttons(entries: list[MenuEntry], lang: str) -> list[dict[str, str]]:
    return [{"title": entry.title[lang], "payload": entry.payload} for entry in entries]
