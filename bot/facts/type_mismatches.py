"""Example questions that ask for something their own fact does not give, before users do.

A fact's ``answers`` say what kind of information its statement gives (a date, an amount ...).
When one of its example questions carries the cues of a question type the fact does not give
(``question_types.yml``), the bot will answer that question with "my sources don't say", not with
the fact. Sometimes that is meant (an example "what date?" on a fact that gives only the day
trains the classifier to find the fact, and the reply then says the exact date is not known); more
often the fact should declare the type, or a cue is too broad. ``python -m bot.facts validate``
lists them so an operator decides; the list informs, it never fails a build.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.facts.schema import Catalogue

#: Example questions quoted per mismatch.
SAMPLES = 2


@dataclass(frozen=True)
class TypeMismatch:
    fact: str
    asked: str              # the question type the examples ask for
    declared: tuple[str, ...]  # what the fact's ``answers`` declare
    samples: tuple[str, ...]
    count: int

    def __str__(self) -> str:
        shown = "; ".join(repr(s) for s in self.samples)
        return (f"{self.fact}: {self.count} example question(s) ask for '{self.asked}', which its "
                f"answers {list(self.declared)} do not give (e.g. {shown})")


def find_type_mismatches(catalogue: Catalogue) -> list[TypeMismatch]:
    """Each fact's example questions whose question types its ``answers`` do not satisfy."""
    from bot.answering.question_types import asked_types  # bot.answering imports bot.facts

    question_types = list(catalogue.question_types)
    mismatches = []
    for fact in catalogue.facts:
        found: dict[str, list[str]] = defaultdict(list)
        for lang in fact.examples.dict():
            for text in fact.examples[lang]:
                for asked in asked_types(text, question_types):
                    if not asked.satisfied(set(fact.answers)):
                        found[asked.id].append(text)
        mismatches += [TypeMismatch(fact.id, asked, tuple(fact.answers), tuple(texts[:SAMPLES]),
                                    len(texts)) for asked, texts in found.items()]
    return sorted(mismatches, key=lambda mismatch: -mismatch.count)
