"""Which facts answer a question, and whether they answer what was asked.

Signals, each measured by ``scripts/evaluate_answers.py`` on held-out questions (docs/evaluation.md):

1. the intent: ``ask_fact`` (a question about what the facts cover), ``ask_entity`` (only names),
   ``out_of_scope`` (off-topic), or the NLU fallback when the intent classifier is unsure;
2. Rasa's ResponseSelector over the facts' example questions: the fact or group it picks, and its
   confidence (below ``BOT_ANSWER_MIN_CONFIDENCE`` nothing is stated). It may pick
   ``not_answered`` (``NOT_ANSWERED``), trained on the questions no fact answers; the store has
   no such fact, so the reply is "my sources don't say" with the next candidates as offers;
3. the question types asked (``question_types.yml``: an amount, a date, a future event, a contact,
   a person not named ...) against the ``answers`` the chosen facts declare: a fact that does not
   give what was asked is offered as a button, never stated as the answer;
4. the organisations, people and commodities the question names against those the chosen facts
   mention (in any language and alias, statement or example questions: ``mentioned_entities``): a
   question about IFC's role is not answered with a fact that never mentions IFC;
5. a second opinion below the threshold: down to ``BOT_ANSWER_MIN_SEARCH_CONFIDENCE``, the
   selector's fact is still stated when the facts store's full-text search finds that same fact
   first for the question, with most of its content words (``FactsStore.search``). Two unlike
   signals agreeing make a lower threshold safe where either alone is not;
6. the numbers the question names (a year, a percentage) against those the chosen facts state or
   their example questions name (``bot.answering.numbers``): "the credit ratio in 2019" is not
   answered with the 2024 target;
7. the items an inclusion question names against the chosen facts' texts
   (``bot.answering.unlisted``): "is tuna included?" is not answered with a list that never names
   tuna;
8. the office a question asks the holder of against the offices of the people the chosen facts
   name (``bot.answering.offices``): "Who is the METI minister?" is not answered with the card of
   Indonesia's cooperatives minister.

Facts named by a button payload (the ``fact`` entity) are answered as asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.answering.numbers import unstated_numbers
from bot.answering.offices import HOLDER_TYPE, unheld_office
from bot.answering.question_types import asked_types
from bot.answering.unlisted import unlisted_items
from bot.facts.schema import (
    BRIEF_INTENT,
    ENTITY_INTENT,
    FACT_ENTITY,
    FACT_INTENT,
    BriefingPoint,
    Fact,
    Group,
    QuestionType,
)
from bot.facts.store import FactsStore

#: Entity types that name what a question is about.
SUBJECT_ENTITIES = ("organisation", "person", "commodity")
#: How many closest facts a "my sources don't say" reply offers as buttons.
MAX_OFFERS = 3
#: A ResponseSelector candidate below this confidence is not worth offering as a button either.
MIN_OFFER_CONFIDENCE = 0.05
#: The share of the question's content words the full-text search's first fact must contain to
#: second the selector below the threshold (signal 5; docs/evaluation.md has the sweep).
MIN_SEARCH_SCORE = 0.5

Answerable = Fact | Group


@dataclass(frozen=True)
class Decision:
    """What to reply. ``kind``:

    - ``answer``: state ``facts``;
    - ``cards``: the message was only names; state each entity's card (``facts``);
    - ``not_in_sources``: the sources do not answer what was asked (``missing`` names it when a
      question type says what); ``offers`` are the closest facts, as buttons only;
    - ``briefing``: the one-message briefing: its ``points`` and their ``facts``, in order;
    - ``unknown``: nothing near the facts; the caller offers the topic menu.
    """

    kind: str
    facts: tuple[Fact, ...] = ()
    missing: tuple[QuestionType, ...] = ()
    offers: tuple[Answerable, ...] = ()
    more: tuple[Answerable, ...] = field(default=())  # follow-ups after an answer
    points: tuple[BriefingPoint, ...] = ()  # the briefing's points
    label: str | None = None
    confidence: float = 0.0


def decide(parse: dict[str, Any], store: FactsStore, *, min_confidence: float,
           max_facts: int = 3, question_types: list[QuestionType] | None = None,
           check_mentions: bool = True, check_numbers: bool = True, check_listed: bool = True,
           check_offices: bool = True,
           lang: str | None = None, min_search_confidence: float | None = None) -> Decision:
    """The decision for one message, from its NLU parse (Rasa's ``latest_message``).

    ``question_types`` defaults to the store's; the evaluation passes ``[]``,
    ``check_mentions=False``, ``check_numbers=False``, ``check_listed=False`` and
    ``check_offices=False`` to measure what each signal adds. The search's second opinion, the
    inclusion check and the office check need the conversation's ``lang`` (the search also
    ``min_search_confidence``); without it they are off.
    """
    text = parse.get("text") or ""
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent == BRIEF_INTENT:
        return briefing(store)
    named_answers = _entity_values(parse, FACT_ENTITY)
    if named_answers:
        facts = _unique(f for answer_id in named_answers for f in store.answer(answer_id))
        if facts:
            return _answer(facts, store, max_facts, label=named_answers[0], confidence=1.0)
    subjects = _entity_values(parse, *SUBJECT_ENTITIES)
    ranking = fact_ranking(parse)
    if intent == ENTITY_INTENT and subjects:
        cards = _unique(f for name in subjects for f in store.entity_card(name))
        if cards:
            return Decision("cards", facts=tuple(cards[:max_facts]),
                            more=tuple(_related(cards, store)), confidence=1.0)
    if question_types is None:
        question_types = store.question_types()
    asked = asked_types(text, question_types)
    if intent == FACT_INTENT and ranking:
        label, confidence = ranking[0]
        facts = store.answer(label)
        given = {answer for fact in facts for answer in fact.answers}
        missing = tuple(q for q in asked if not q.satisfied(given))
        answers = bool(
            facts and not missing
            and (confidence >= min_confidence
                 or _search_agrees(text, lang, facts, store, confidence, min_search_confidence))
            and not (check_mentions and _unmentioned(subjects, facts, store))
            and not (check_numbers and unstated_numbers(text, facts))
            and not (check_listed and lang and unlisted_items(text, lang, facts, store)))
        if answers and check_offices and lang and unheld_office(text, lang, facts, store,
                                                                 _mentions(parse, "person")):
            # The reply says whom the sources do not name, as for "who heads SMRJ?".
            answers, missing = False, tuple(q for q in question_types if q.id == HOLDER_TYPE)
        if answers:
            return _answer(facts, store, max_facts, label=label, confidence=confidence)
        return Decision("not_in_sources", missing=missing,
                        offers=tuple(_offers(ranking, subjects, store, text, lang)), label=label,
                        confidence=confidence)
    if subjects or asked:
        return Decision("not_in_sources", missing=tuple(asked),
                        offers=tuple(_offers(ranking, subjects, store, text, lang)))
    return Decision("unknown")


def briefing(store: FactsStore) -> Decision:
    """The briefing's points and their facts in its order (``data/facts/briefing.yml``)."""
    points = store.briefing()
    facts = {fact.id: fact for fact in store.get_many([point.fact for point in points])}
    points = [point for point in points if point.fact in facts]
    return Decision("briefing", facts=tuple(facts[point.fact] for point in points),
                    points=tuple(points), confidence=1.0)


def fact_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """The ResponseSelector's ranking of fact and group ids, best first."""
    selector = (parse.get("response_selector") or {}).get(FACT_INTENT) or {}
    ranking = []
    for entry in selector.get("ranking") or []:
        key = entry.get("intent_response_key") or ""
        if key.startswith(FACT_INTENT + "/"):
            ranking.append((key.split("/", 1)[1], float(entry.get("confidence") or 0.0)))
    return ranking


def _answer(facts: list[Fact], store: FactsStore, max_facts: int, *, label: str,
            confidence: float) -> Decision:
    stated, rest = facts[:max_facts], facts[max_facts:]
    more = _unique([*rest, *_related(stated, store)])
    return Decision("answer", facts=tuple(stated), more=tuple(more), label=label,
                    confidence=confidence)


def _related(facts: list[Fact], store: FactsStore) -> list[Answerable]:
    shown = {f.id for f in facts}
    ids = dict.fromkeys(other for fact in facts for other in fact.related if other not in shown)
    return store.items(list(ids))


def _search_agrees(text: str, lang: str | None, facts: list[Fact], store: FactsStore,
                   confidence: float, min_search_confidence: float | None) -> bool:
    """True when the selector, though below the threshold, is at least ``min_search_confidence``
    sure and the full-text search puts one of ``facts`` first with ``MIN_SEARCH_SCORE``."""
    if lang is None or min_search_confidence is None or confidence < min_search_confidence:
        return False
    hits = store.search(text, lang, limit=1)
    return bool(hits) and hits[0].score >= MIN_SEARCH_SCORE and hits[0].fact.id in {
        fact.id for fact in facts}


def _unmentioned(subjects: list[str], facts: list[Fact], store: FactsStore) -> bool:
    """True when the question names an entity that none of ``facts`` mentions."""
    if not subjects:
        return False
    mentioned = store.mentioned_entities([fact.id for fact in facts])
    return any(subject.casefold() not in mentioned for subject in subjects)


def _offers(ranking: list[tuple[str, float]], subjects: list[str], store: FactsStore,
            text: str = "", lang: str | None = None) -> list[Answerable]:
    """Closest facts to offer as buttons: the named entities' cards, then the selector's best.
    When neither gives one (the selector sure that no fact answers: "is tuna included?"), the
    full-text search's facts that hold most of the question's words, so the person still sees
    what the sources do say about it rather than only the topic menu."""
    items: list[Answerable] = [f for name in subjects for f in store.entity_card(name)[:1]]
    items += store.items([label for label, confidence in ranking
                          if confidence >= MIN_OFFER_CONFIDENCE])
    if not items and lang:
        items = [hit.fact for hit in store.search(text, lang, limit=MAX_OFFERS)
                 if hit.score >= MIN_SEARCH_SCORE]
    return _unique(items)[:MAX_OFFERS]


def _entity_values(parse: dict[str, Any], *types: str) -> list[str]:
    values: list[str] = []
    for entity in parse.get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") in types and isinstance(value, str) and value not in values:
            values.append(value)
    return values


def _mentions(parse: dict[str, Any], entity_type: str) -> list[str]:
    """The message's words the NLU took for entities of ``entity_type`` (before synonyms map them
    to their canonical name)."""
    text = parse.get("text") or ""
    return [text[entity["start"]:entity["end"]] for entity in parse.get("entities") or []
            if entity.get("entity") == entity_type
            and isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int)]


def _unique(items: Any) -> list:
    seen: set[str] = set()
    result = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            result.append(item)
    return result
