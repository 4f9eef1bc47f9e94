"""``action_show_quote``: the verbatim passages an answer card's statement rests on.

The card's "source quote" button names its fact (``/show_quote{"fact":"<id>"}``); typed ("where
does it say that?") it quotes the facts of the last answer (slot ``stated_facts``). Quotes are the
source's own words (Indonesian for the ANTARA article), checked verbatim against ``data/source/``
when the facts are built.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer_fact import STATED_FACTS_SLOT, describe_source
from actions.conversation import conversation_language, store
from actions.menu import show_menu
from actions.outcome import ANSWERED, ERROR, FALLBACK, report_turn
from bot.facts import StoreNotBuiltError
from bot.facts.schema import FACT_ENTITY


class ActionShowQuote(Action):
    """Quotes the sources of the named fact, else of the last answer."""

    def name(self) -> str:
        return "action_show_quote"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = conversation_language(tracker)
        fact_ids = list(tracker.get_latest_entity_values(FACT_ENTITY)) or \
            list(tracker.get_slot(STATED_FACTS_SLOT) or [])
        try:
            facts = store().get_many([str(i) for i in fact_ids])
            sources = store().sources()
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
            report_turn(tracker, ERROR)
            return []
        if not facts:
            dispatcher.utter_message(response="utter_no_quote")
            show_menu(dispatcher, lang)
            report_turn(tracker, FALLBACK)
            return []
        for fact in facts:
            for citation in fact.sources:
                quote = " ".join(q if q.startswith(("“", '"')) else f"“{q}”"
                                 for q in citation.quotes)
                dispatcher.utter_message(
                    response="utter_source_quote", quote=quote,
                    source=describe_source(sources.get(citation.source), citation.source))
        report_turn(tracker, ANSWERED)
        return []
