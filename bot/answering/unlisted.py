"""Items an inclusion question names that the chosen facts never mention.

"Is tuna among the downstreamed commodities?" finds the fact that lists the commodities; stating
it would answer a question it does not settle: the list says "such as" and never names tuna. When
a question asks whether something is included (a cue of ``inclusion_cues`` in ``lexicon.yml``:
"termasuk", "included", "含まれ" ...) and one of its content words appears nowhere in the chosen
facts' texts (statement, question, keywords, example questions, entities; any language), ``decide``
says the sources do not say (signal 7 in ``bot.answering.decision``; docs/evaluation.md measures
it). Only inclusion questions: for questions in general, words the facts do not cover are mostly
paraphrase: the same check on every question cost 14 points of tuned-on recall and 32 of
held-out right fact (docs/evaluation.md).
Every content word counts, not only the item ("priority" as much as "tuna"): checking only words
foreign to all the facts kept every answerable question but caught a third as many unanswerable
ones.
"""

from __future__ import annotations

from bot.answering.question_types import cue_pattern
from bot.facts.schema import Fact
from bot.facts.store import FactsStore, fact_vocabulary, normalise, search_terms, term_forms
from bot.language import lexicon


def unlisted_items(text: str, lang: str, facts: list[Fact], store: FactsStore) -> list[str]:
    """The content words of an inclusion question that none of ``facts`` contains, in its texts
    or as an alias of an entity it mentions ("biopharma" for medicinal plants); [] when the
    question does not ask whether something is included."""
    cues = lexicon.inclusion_cues().get(lang, ())
    if not cue_pattern(cues).search(normalise(text or "")):
        return []
    cue_words = {normalise(cue) for cue in cues}
    mentioned = store.mentioned_entities([fact.id for fact in facts])
    aliases = [normalise(form) for entity in store.entities()
               if entity.name.casefold() in mentioned for form in entity.forms()]
    vocabulary = "\n".join([*(fact_vocabulary(fact) for fact in facts), *aliases])
    return [term for term in search_terms(text, lang)
            if term not in cue_words and not any(form in vocabulary for form in _forms(term, lang))]


def _forms(term: str, lang: str) -> tuple[str, ...]:
    """The term, and for English its singular ("crabs" is covered by "crab")."""
    return term_forms(term) if lang == "en" else (term,)

