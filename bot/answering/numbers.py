"""Numbers a question names that the chosen facts do not contain.

A question can find the fact about its subject and still pin it to a year or a figure that fact
never gives (the ratio "in <another year>", the target "of <another percentage>"). Stating the
fact would answer a different question, so ``decide`` says the sources do not say (signal 6 in
``bot.answering.decision``; docs/evaluation.md measures it).

A number counts as given when it appears in the statement in any language (one language may write
a rank or a share in digits where another spells it out) or in one of the fact's example
questions: those are questions the fact answers, so a comparison the operator listed there
("before <year>?", "in the top <n>?") is answered, and an operator who finds a number refused adds
an example, not code. Japanese "N割" (tenths) reads as N × 10 percent. A digit glued to a
Latin-script word is not a number: Indonesian writes plurals that way ("lembaga2", "syarat2nya").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.facts.schema import Fact

#: A number not glued to a preceding Latin letter, with an optional decimal part and the Japanese
#: counter for tenths.
_NUMBER = re.compile(r"(?<![A-Za-z])(\d+(?:[.,]\d+)?)\s*(割)?")


def numbers_in(text: str) -> frozenset[str]:
    """The numbers in ``text`` as plain digit strings ("4割" -> "40", "2,5" -> "2.5")."""
    found = set()
    for match in _NUMBER.finditer(unicodedata.normalize("NFKC", text or "")):
        value = float(match.group(1).replace(",", "."))
        if match.group(2):
            value *= 10
        found.add(f"{value:g}")
    return frozenset(found)


@lru_cache(maxsize=512)
def _given_numbers(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(numbers_in(text) for text in texts))


def unstated_numbers(text: str, facts: list[Fact]) -> frozenset[str]:
    """The numbers the question names that none of ``facts`` gives: not in its statement in any
    language, nor in any of its example questions."""
    asked = numbers_in(text)
    if not asked:
        return frozenset()
    return asked - frozenset().union(*(_given_numbers(_texts(f)) for f in facts))


def _texts(fact: Fact) -> tuple[str, ...]:
    return (*fact.statement.values(), *fact.examples.texts())
