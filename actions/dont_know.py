"""``action_dont_know``: the honest reply when the classifier is unsure.

A facts-store text search may still answer a paraphrase, but only when its score reaches
``BOT_SEARCH_MIN_SCORE`` (calibrated so it gave no wrong answer on the held-out test set, see
docs/evaluation.md). Otherwise the user hears "I don't have that information" and the topics.
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
from bot.facts import StoreNotBuiltError

_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)


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
        try:
            hits = store().search(text, lang, limit=1)
        except (StoreNotBuiltError, SQLAlchemyError):
            hits = []
        if hits and hits[0].score >= config.search_min_score():
            dispatcher.utter_message(response="utter_search_match")
            send_fact(dispatcher, hits[0].fact, lang)
            return []
        dispatcher.utter_message(response="utter_dont_know")
        show_menu(dispatcher, lang)
        return []
