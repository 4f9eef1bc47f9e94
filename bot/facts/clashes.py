"""Find facts whose example questions are confused with another fact's, before users do.

A quick stand-in for the bot's classifier (character n-gram TF-IDF and a linear SVM, from
scikit-learn, which Rasa already installs; ~1 s for all facts, where a logistic regression took
30 s and reported nearly the same pairs) is cross-validated on the example questions of every
fact and group. Examples that the held-out folds send to another label are reported as clashes:
the operator rewords the examples, or the statements overlap and should be merged or grouped.
Groups overlap their member facts by design, so a group confused with one of its own facts is not
a clash. The facts' ``unanswered`` questions take part as ``not_answered``: a fact's examples taken
for it (or the reverse) show where an example and a question the fact does not answer look alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.facts.schema import NOT_ANSWERED, Catalogue

#: A pair is reported when at least this many of a label's examples go to the same other label.
MIN_CONFUSED = 2
FOLDS = 5


@dataclass(frozen=True)
class Clash:
    label: str
    confused_with: str
    count: int
    total: int
    samples: tuple[str, ...]

    def __str__(self) -> str:
        shown = "; ".join(repr(s) for s in self.samples)
        return (f"{self.label}: {self.count} of {self.total} example questions are taken for "
                f"{self.confused_with} (e.g. {shown})")


def find_clashes(catalogue: Catalogue, min_confused: int = MIN_CONFUSED) -> list[Clash]:
    """Cross-validated confusions between facts' and groups' example questions."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    texts: list[str] = []
    labels: list[str] = []
    for item in [*catalogue.facts, *catalogue.groups]:
        for _, examples in item.examples.items():
            texts.extend(examples)
            labels.extend([item.id] * len(examples))
    for fact in catalogue.facts:
        for _, questions in (fact.unanswered.items() if fact.unanswered else []):
            texts.extend(questions)
            labels.extend([NOT_ANSWERED] * len(questions))
    counts = Counter(labels)
    if len(counts) < 2:
        return []
    folds = max(2, min(FOLDS, min(counts.values())))
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=True),
        # Classes weighted by their size, as DIET's "balanced" batches do: unweighted, the large
        # not_answered label drew 33 facts' examples in (5 with weights).
        LinearSVC(C=0.5, class_weight="balanced"),
    )
    predicted = cross_val_predict(model, texts, labels,
                                  cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    members = {g.id: set(g.facts) for g in catalogue.groups}
    confusions: dict[tuple[str, str], list[str]] = {}
    for text, gold, guess in zip(texts, labels, predicted, strict=False):
        if gold == guess or guess in members.get(gold, ()) or gold in members.get(guess, ()):
            continue
        confusions.setdefault((gold, guess), []).append(text)
    clashes = [Clash(gold, guess, len(found), counts[gold], tuple(found[:2]))
               for (gold, guess), found in confusions.items() if len(found) >= min_confused]
    return sorted(clashes, key=lambda c: (-c.count / c.total, c.label))
