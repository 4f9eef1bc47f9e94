"""Grouping recorded questions by similar wording, so an operator reads one line per topic.

Each question becomes a TF-IDF vector of character n-grams, built to work for all three languages
without a tokenizer: Latin-script words give their 3- and 4-character pieces (so "meeting" and
"meetings", "SMRJ" and "smrj?" share most features), Japanese and other CJK runs give single
kanji/katakana and every pair of adjacent characters (Japanese has no spaces, and one kanji already
carries meaning; lone hiragana are particles and left out). Questions are then merged by
agglomerative clustering with average linkage on cosine similarity: two groups join while the
average similarity between their questions is above :data:`SIMILARITY` (0.45).

Why 0.45: on questions people ask this bot in id, ja and en (tests/test_review_grouping.py), it
keeps rewordings together ("When is the next meeting?" / "when's the next meeting",
「次の会談はいつですか？」 / 「次の会合はいつ？」, "Berapa nomor telepon Smesco?" / "nomor telepon
smesco berapa") while questions that only share a frame ("What is the budget of SMRJ?" / "What is
the weather in Tokyo?") stay apart; at 0.3 they merge. ``make review ARGS="list --similarity 0.6"``
groups more strictly.

Clustering holds a similarity matrix of the distinct wordings: 2,000 of them take ~32 MB and about
a second, hence ``list --limit`` (default :data:`MAX_QUESTIONS`, the most recent).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.review.store import Question
from bot.settings import LANGUAGES

#: Two groups merge while the average cosine similarity between their questions is above this.
SIMILARITY = 0.45
#: ``make review`` groups at most this many of the most recent open questions by default.
MAX_QUESTIONS = 2000

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_HIRAGANA = re.compile(r"[\u3040-\u309f]")


@dataclass(frozen=True)
class QuestionGroup:
    """Questions worded alike, oldest first."""

    questions: tuple[Question, ...]

    @property
    def by_language(self) -> dict[str, int]:
        """How many questions per language, every language listed (0 included)."""
        counts = Counter(q.language for q in self.questions)
        return {lang: counts.get(lang, 0) for lang in (*LANGUAGES, *sorted(set(counts) - set(LANGUAGES)))}

    @property
    def nearest_fact(self) -> tuple[str | None, float | None]:
        """The fact (or group) the bot most often found closest, with its best score."""
        facts = Counter(q.fact_id for q in self.questions if q.fact_id)
        if not facts:
            return None, None
        fact_id = max(facts, key=lambda f: (facts[f], max(q.score or 0.0 for q in self.questions
                                                          if q.fact_id == f)))
        scores = [q.score for q in self.questions if q.fact_id == fact_id and q.score is not None]
        return fact_id, max(scores) if scores else None


def features(text: str) -> list[str]:
    """The character n-grams a question is compared by (see the module's docstring)."""
    normalised = unicodedata.normalize("NFKC", text).casefold()
    grams: list[str] = []
    for run in _RUNS.findall(normalised):
        if _IS_CJK.match(run):
            grams += [char for char in run if not _HIRAGANA.match(char)]
            grams += [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            padded = f" {run} "
            for size in (3, 4):
                grams += [padded[i:i + size] for i in range(len(padded) - size + 1)]
    return grams


def group_questions(questions: Sequence[Question], similarity: float = SIMILARITY) -> list[QuestionGroup]:
    """Groups of similarly worded questions, largest first (then the most recently asked)."""
    if not questions:
        return []
    # Identical wordings (after normalisation) are one point: cheaper, and always together.
    wordings: dict[str, list[Question]] = {}
    for question in questions:
        key = " ".join(features(question.text)) or question.text.strip().casefold()
        wordings.setdefault(key, []).append(question)
    members = list(wordings.values())
    labels = _cluster([bucket[0].text for bucket in members], similarity)
    grouped: dict[int, list[Question]] = {}
    for label, bucket in zip(labels, members, strict=True):
        grouped.setdefault(label, []).extend(bucket)
    groups = [QuestionGroup(tuple(sorted(found, key=lambda q: (q.asked_at, q.id or 0))))
              for found in grouped.values()]
    groups.sort(key=lambda g: (-len(g.questions), -max(q.asked_at for q in g.questions).timestamp()))
    return groups


def _cluster(texts: list[str], similarity: float) -> list[int]:
    if len(texts) == 1:
        return [0]
    # scikit-learn takes about a second to import: only `make review` pays for it.
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances

    try:
        vectors = TfidfVectorizer(analyzer=features, sublinear_tf=True).fit_transform(texts)
    except ValueError:  # not one feature in any text (only emoji or punctuation): nothing is alike
        return list(range(len(texts)))
    distances = cosine_distances(vectors)
    # scikit-learn 1.1 (constraints.txt) calls the metric `affinity`; 1.2 renamed it `metric`.
    clustering = AgglomerativeClustering(n_clusters=None, affinity="precomputed", linkage="average",
                                         distance_threshold=1.0 - similarity)
    return [int(label) for label in clustering.fit_predict(distances)]
