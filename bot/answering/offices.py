"""Questions that ask who holds an office the sources give no one.

"Who is the METI minister?" finds Teten's card: it says "minister" and "METI" (he met METI's
vice-minister), so no other signal objects, yet the sources never name METI's minister. When a
question only asks who holds an office — a who-word, an office title (``office_titles`` in
``lexicon.yml``) and nothing but qualifiers (countries, fields of government, organisation names)
— the chosen facts must name a person holding that office: the same title (or, for "who heads …",
an office that leads its organisation) and every qualifier among the words of the office
(``offices`` in ``data/facts/entities.yml``, with its organisation's aliases). Otherwise ``decide``
says the sources do not say (signal 8 in ``bot.answering.decision``; docs/evaluation.md measures it).

A question with any other word (a verb, a year, a detail) or naming a person (other than by an
office's words) is not an office question here: it is left to the other signals, which keeps this
check from costing answerable questions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.question_types import cue_pattern
from bot.facts.schema import Entity, Fact, Office
from bot.facts.store import FactsStore, is_cjk, normalise, search_terms, term_forms
from bot.language import lexicon

#: The question type whose ``missing`` text a refusal names: who the person is (not named).
HOLDER_TYPE = "person"

_LATIN_WORDS = re.compile(r"[0-9a-z\u00c0-\u024f]+(?:['’-][0-9a-z\u00c0-\u024f]+)*")


def unheld_office(text: str, lang: str, facts: list[Fact], store: FactsStore,
                  person_mentions: list[str]) -> bool:
    """True when ``text`` only asks who holds an office and no person that ``facts`` name holds
    it; False for every other question, and when the message names a person (``person_mentions``:
    the text of each person the NLU found) other than by the words of an office ("Siapa Wakil
    Menteri Koperasi dan UKM?" holds Teten's office words, not his name)."""
    sample = normalise(text or "")
    if not cue_pattern(lexicon.who_words()).search(sample):
        return False
    title = _asked_title(sample)
    if title is None:
        return False
    entities = store.entities()
    office_words = {normalise(word) for entity in entities for office in entity.offices
                    for word in office.words.all()}
    if any(normalise(mention) not in office_words for mention in person_mentions):
        return False
    rest = _all_titles_and_who_words().sub(" ", sample)
    fillers = lexicon.name_fillers() | lexicon.identity_frames()
    terms = [term for term in search_terms(rest, lang) if term not in fillers]
    qualifiers = _qualifier_vocabulary(entities)
    if not all(_covered(term, *qualifiers) for term in terms):
        return False  # more than an office: a verb, a time, a detail
    for office in _offices_named_in(facts, entities):
        if office.title == title or (title == "head" and office.heads):
            vocabulary = _office_vocabulary(office, entities)
            if all(_covered(term, *vocabulary) for term in terms):
                return False
    return True


def _asked_title(sample: str) -> str | None:
    """The office title the question names, by its longest form ("wakil menteri" over
    "menteri", 大臣政務官 over 大臣)."""
    best: tuple[int, str] | None = None
    for title, forms in lexicon.office_titles().items():
        for match in cue_pattern(forms).finditer(sample):
            length = match.end() - match.start()
            if best is None or length > best[0]:
                best = (length, title)
    return best[1] if best else None


@lru_cache(maxsize=1)
def _all_titles_and_who_words() -> re.Pattern[str]:
    forms = [form for forms in lexicon.office_titles().values() for form in forms]
    return cue_pattern(tuple(forms) + lexicon.who_words())


def _offices_named_in(facts: list[Fact], entities: list[Entity]) -> list[Office]:
    """The offices of the people the facts' statements name (in any language)."""
    statements = normalise("\n".join(text for fact in facts for text in fact.statement.values()))
    return [office for entity in entities if entity.offices
            if any(normalise(form) in statements for form in entity.forms())
            for office in entity.offices]


def _office_vocabulary(office: Office, entities: list[Entity]) -> tuple[frozenset[str], str]:
    forms = list(office.words.all())
    forms += [form for entity in entities if entity.name == office.of for form in entity.forms()]
    return _vocabulary(forms)


def _qualifier_vocabulary(entities: list[Entity]) -> tuple[frozenset[str], str]:
    """What may stand beside a title in an office question: the lexicon's qualifiers, every
    organisation's names and every office's words."""
    forms = list(lexicon.office_qualifiers())
    forms += [form for entity in entities if entity.type == "organisation"
              for form in entity.forms()]
    forms += [form for entity in entities for office in entity.offices
              for form in office.words.all()]
    return _vocabulary(forms)


def _vocabulary(forms: list[str]) -> tuple[frozenset[str], str]:
    """Latin-script words (matched whole) and the normalised text (Japanese matched inside)."""
    text = normalise("\n".join(forms))
    return frozenset(_LATIN_WORDS.findall(text)), text


def _covered(term: str, words: frozenset[str], text: str) -> bool:
    if is_cjk(term):
        return term in text
    return any(form in words for form in term_forms(term))
