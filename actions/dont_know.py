"""``action_dont_know``: the honest reply to what the facts do not cover.

Runs for ``out_of_scope`` (trained on off-topic questions; near-domain ones the sources cannot
answer are ``ask_fact/not_answered`` and reach ``action_answer_fact``) and for the NLU fallback.
When the question names something the facts know or asks for a kind of information (an amount, a
date, a contact ...), the reply says the sources do not say it and offers the closest facts as
buttons; otherwise it says so and shows the topics. It never states a
fact as the answer (``bot.answering.decide`` answers only ``ask_fact`` questions: a second opinion
against the out-of-scope class was measured and dropped, docs/evaluation.md).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer_fact import send_decision
from actions.conversation import conversation_language, decision
from actions.menu import show_menu
from actions.outcome import ERROR, FALLBACK, report_turn
from bot.facts import StoreNotBuiltError
from bot.facts.schema import OUT_OF_SCOPE_INTENT
from bot.language.segmentation import has_word


class ActionDontKnow(Action):
    """Says what the sources do not cover, offering what they do."""

    def name(self) -> str:
        return "action_dont_know"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        if not has_word(text):
            dispatcher.utter_message(response="utter_no_question")
            show_menu(dispatcher, lang)
            report_turn(tracker, FALLBACK)
            return []
        try:
            result = decision(tracker)
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
            report_turn(tracker, ERROR)
            return []
        if result.kind == "unknown" and \
                tracker.get_intent_of_latest_message(skip_fallback_intent=False) == OUT_OF_SCOPE_INTENT:
            dispatcher.utter_message(response="utter_out_of_scope")
            show_menu(dispatcher, lang)
            report_turn(tracker, result)
            return []
        send_decision(dispatcher, result, lang)
        report_turn(tracker, result)
        return []
