"""``action_answer_fact``: answers fact questions, bare names and the briefing from the facts store.

What to say is decided by ``bot.answering.decide``; this module only renders the decision with
the domain's responses, in the conversation's language. A fact is stated only when it answers
what was asked; otherwise the reply says the sources do not say, and the closest facts are buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import button, conversation_language, decision, store
from actions.menu import show_menu
from actions.outcome import ERROR, report_turn
from bot.answering import Decision
from bot.facts import Fact, SourceDocument, StoreNotBuiltError
from bot.facts.schema import quote_payload

#: The slot that remembers the facts of the last answer, for "where does it say that?".
STATED_FACTS_SLOT = "stated_facts"

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
            result = decision(tracker)
            send_decision(dispatcher, result, lang)
        except (StoreNotBuiltError, SQLAlchemyError):
            dispatcher.utter_message(response="utter_facts_unavailable")
            report_turn(tracker, ERROR)
            return []
        report_turn(tracker, result)
        if result.kind in ("answer", "cards"):
            return [SlotSet(STATED_FACTS_SLOT, [fact.id for fact in result.facts])]
        return []


def send_decision(dispatcher: CollectingDispatcher, result: Decision, lang: str) -> None:
    """Every reply that rests on the facts goes through here (answer, cards, briefing,
    "don't say")."""
    if result.kind == "briefing":
        send_briefing(dispatcher, result, lang)
        return
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
    """One fact as one answer card: the statement in ``lang`` first, then a short line naming its
    sources; the verbatim quote is one tap away (``action_show_quote``), so a long Indonesian
    quote no longer buries the answer on a phone."""
    dispatcher.utter_message(response="utter_fact_answer", statement=fact.statement[lang],
                             source=sources_line([fact], sources), quote_payload=quote_payload(fact.id))


def send_briefing(dispatcher: CollectingDispatcher, result: Decision, lang: str) -> None:
    """The briefing as one message: its points in order, the sources named once, and one button
    per point that opens the full fact (numbered like the point it belongs to)."""
    numbered = list(enumerate(zip(result.points, result.facts, strict=True), start=1))
    dispatcher.utter_message(
        response="utter_briefing",
        points="\n".join(f"{number}. {point.short[lang]}" for number, (point, _) in numbered),
        sources=sources_line(result.facts, store().sources()),
        buttons=[{"title": f"{number}. {fact.question[lang]}", "payload": fact.payload()}
                 for number, (_, fact) in numbered])


def sources_line(facts: tuple[Fact, ...] | list[Fact], sources: dict[str, SourceDocument]) -> str:
    """The sources ``facts`` rest on, each document once, as given (no invented date): a card's
    short source line, the briefing's closing line."""
    cited = dict.fromkeys(citation.source for fact in facts for citation in fact.sources)
    return "; ".join(describe_source(sources.get(source_id), source_id) for source_id in cited)


def describe_source(document: SourceDocument | None, source_id: str) -> str:
    """Publisher, title, date or day as given, and URL when known."""
    if document is None:
        return source_id
    return ", ".join(part for part in (document.publisher, document.title, document.date,
                                       document.url) if part)


def _send_websites(dispatcher: CollectingDispatcher, facts: Any, lang: str) -> None:
    for fact in facts:
        if fact.website and fact.name:
            dispatcher.utter_message(response="utter_official_website", name=fact.name[lang],
                                     website=fact.website)
