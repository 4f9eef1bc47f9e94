"""Numbers a question names that the chosen facts do not contain.

"What was the SME credit ratio in 2019?", "Kapan target afirmasi 40 persen harus tercapai?": the
classifier finds the fact about the subject (the 30 % credit-ratio target for 2024), but the
question pins it to a year or a figure that fact never states. Stating the fact would answer a
different question, so ``decide`` says the sources do not say (signal 6 in
``bot.answering.decision``; docs/evaluation.md measures it).

A number counts as given when it appears in the statement in any language (the Japanese statement
writes "6位" where the English one says "sixth"). Japanese "N割" (tenths) reads as N × 10 percent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.facts.schema import Fact

#: A number, with an optional decimal part and the Japanese counter for tenths.
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(割)?")


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
def _statement_numbers(statement: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(numbers_in(text) for text in statement))


def unstated_numbers(text: str, facts: list[Fact]) -> frozenset[str]:
    """The numbers the question names that none of ``facts`` states in any language."""
    asked = numbers_in(text)
    if not asked:
        return frozenset()
    given = frozenset().union(*(_statement_numbers(tuple(f.statement.values())) for f in facts))
    return asked - given
