"""``action_dont_know``: the honest reply when the classifier is unsure.

A facts-store text search may answer a paraphrase the classifier missed, but only when an
operator turns it on with ``BOT_SEARCH_MIN_SCORE``: on the held-out test set no threshold gave
zero wrong answers (docs/evaluation.md), so by default the user hears "I don't have that
information" and the topics.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer_fact import send_fact
from actions.conversation import conversation_language, store
from actions.menu import show_menu
from bot import config
from bot.facts import Fact, StoreNotBuiltError

_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)


def _search_match(text: str, lang: str) -> Fact | None:
    min_score = config.search_min_score()
    if min_score is None:
        return None
    try:
        return store().best_match(text, lang, min_score)
    except (StoreNotBuiltError, SQLAlchemyError):
        return None


class ActionDontKnow(Action):
    """Answers from a confident text search, else admits not knowing and offers the topics."""

    def name(self) -> str:
        return "action_dont_know"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        if not _HAS_WORD.search(text):
            dispatcher.utter_message(response="utter_no_question")
            show_menu(dispatcher, lang)
            return []
        match = _search_match(text, lang)
        if match:
            dispatcher.utter_message(response="utter_search_match")
            send_fact(dispatcher, match, lang)
            return []
        dispatcher.utter_message(response="utter_dont_know")
        show_menu(dispatcher, lang)
        return []
