"""``action_answer_fact``: answers every topic intent from the facts store, with sources."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import (
    TOPIC_ENTITIES,
    conversation_language,
    entity_values,
    follow_up_button,
    store,
)
from bot import config
from bot.facts import Fact, StoreNotBuiltError
from bot.facts.schema import FACT_ENTITY

CONTACT_INTENT = "ask_contact"
MAX_FOLLOW_UPS = 3


class ActionAnswerFact(Action):
    """Sends the facts that answer the latest intent, each with its source, plus follow-ups."""

    def name(self) -> str:
        return "action_answer_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        intent = (tracker.latest_message or {}).get("intent", {}).get("name") or ""
        try:
            facts = self._facts(tracker, intent)
            follow_ups = store().get_many(_follow_up_ids(facts))
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
            return []
        if not facts:
            dispatcher.utter_message(response="utter_dont_know")
            return []
        for fact in facts:
            send_fact(dispatcher, fact, lang)
        if intent == CONTACT_INTENT:
            _send_contact_details(dispatcher, facts, lang)
        if follow_ups:
            dispatcher.utter_message(response="utter_follow_ups",
                                     buttons=[follow_up_button(f, lang) for f in follow_ups])
        return []

    @staticmethod
    def _facts(tracker: Tracker, intent: str) -> list[Fact]:
        named = entity_values(tracker, FACT_ENTITY)
        if named:
            facts = store().get_many(named)
            if facts:
                return facts
        facts = store().facts_for(intent, entity_values(tracker, *TOPIC_ENTITIES))
        return facts[: config.max_facts_per_answer()]


def send_fact(dispatcher: CollectingDispatcher, fact: Fact, lang: str) -> None:
    """One fact as one message: the statement in ``lang`` and its source."""
    dispatcher.utter_message(response="utter_fact_answer", statement=fact.statement[lang],
                             publisher=fact.source.publisher, quote=fact.source.quote)


def _send_contact_details(dispatcher: CollectingDispatcher, facts: list[Fact], lang: str) -> None:
    for fact in facts:
        if fact.website and fact.name:
            dispatcher.utter_message(response="utter_official_website", name=fact.name[lang],
                                     website=fact.website)
    dispatcher.utter_message(response="utter_no_contact_details")


def _follow_up_ids(facts: list[Fact]) -> list[str]:
    answered = {f.id for f in facts}
    ids: list[str] = []
    for fact in facts:
        for other in fact.related:
            if other not in answered and other not in ids:
                ids.append(other)
    return ids[:MAX_FOLLOW_UPS]
