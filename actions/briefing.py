"""``action_briefing``: the cooperation in one message (``/brief``, the web page's button, "brief me").

The points, their order and their short forms are data (``data/facts/briefing.yml``); rendering is
shared with the fact answers (``actions.answer_fact.send_decision``).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer_fact import send_decision
from actions.conversation import conversation_language, store
from actions.outcome import ERROR, report_turn
from bot.answering.decision import briefing
from bot.facts import StoreNotBuiltError


class ActionBriefing(Action):
    """Sends the briefing: numbered short points, the sources once, a button per point."""

    def name(self) -> str:
        return "action_briefing"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        try:
            result = briefing(store())
            send_decision(dispatcher, result, lang)
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
            report_turn(tracker, ERROR)
            return []
        report_turn(tracker, result)
        return []
