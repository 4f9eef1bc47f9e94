"""``action_answer_fact``: answers fact questions and bare names from the facts store.

What to say is decided by ``bot.answering.decide``; this module only renders the decision with
the domain's responses, in the conversation's language. A fact is stated only when it answers
what was asked; otherwise the reply says the sources do not say, and the closest facts are buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import button, conversation_language, decision, store
from actions.menu import show_menu
from bot.answering import Decision
from bot.facts import Fact, SourceDocument, StoreNotBuiltError

#: The question type whose answer would be contact details; official websites are offered then.
CONTACT = "contact"


class ActionAnswerFact(Action):
    """States the facts that answer the question, or says plainly that the sources do not."""

    def name(self) -> str:
        return "action_answer_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        try:
            send_decision(dispatcher, decision(tracker), lang)
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
        return []


def send_decision(dispatcher: CollectingDispatcher, result: Decision, lang: str) -> None:
    """Every reply that rests on the facts goes through here (answer, cards, "don't say")."""
    if result.kind in ("answer", "cards"):
        sources = store().sources()
        for fact in result.facts:
            send_fact(dispatcher, fact, lang, sources)
        _send_websites(dispatcher, result.facts, lang)
        if result.more:
            dispatcher.utter_message(response="utter_follow_ups",
                                     buttons=[button(item, lang) for item in result.more[:3]])
        return
    if result.kind == "not_in_sources":
        if result.missing:
            missing = " / ".join(question_type.missing[lang] for question_type in result.missing)
            dispatcher.utter_message(response="utter_sources_dont_say", missing=missing)
        else:
            dispatcher.utter_message(response="utter_sources_dont_answer")
        if any(q.id == CONTACT for q in result.missing):
            _send_websites(dispatcher, [o for o in result.offers if isinstance(o, Fact)], lang)
        if result.offers:
            dispatcher.utter_message(response="utter_closest_facts",
                                     buttons=[button(item, lang) for item in result.offers])
            return
    else:
        dispatcher.utter_message(response="utter_dont_know")
    show_menu(dispatcher, lang)


def send_fact(dispatcher: CollectingDispatcher, fact: Fact, lang: str,
              sources: dict[str, SourceDocument]) -> None:
    """One fact as one message: the statement in ``lang`` and the sources it rests on."""
    parts = []
    for citation in fact.sources:
        document = sources.get(citation.source)
        about = [document.publisher, document.title, document.date, document.url] if document \
            else [citation.source]
        quotes = " ".join(quote if quote.startswith(("“", '"')) else f"“{quote}”"
                          for quote in citation.quotes)
        parts.append(f"{', '.join(p for p in about if p)} — {quotes}")
    dispatcher.utter_message(response="utter_fact_answer", statement=fact.statement[lang],
                             sources="; ".join(parts))


def _send_websites(dispatcher: CollectingDispatcher, facts: Any, lang: str) -> None:
    for fact in facts:
        if fact.website and fact.name:
            dispatcher.utter_message(response="utter_official_website", name=fact.name[lang],
                                     website=fact.website)
