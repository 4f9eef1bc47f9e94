"""Which language a single message is written in, or ``None`` when it gives no clear signal.

Three kinds of evidence, cheapest first:
1. script: kana means Japanese; kanji with hardly any Latin words means Japanese too (the bot does
   not speak Chinese);
2. marker words from ``lexicon.yml`` (a margin of two), which settles most chat messages in a few
   microseconds;
3. langdetect, seeded and restricted to Indonesian and English profiles, only for messages of
   three or more words, and only when it is confident.
Short or ambiguous messages ("ok", "IFC?", "Smesco", emoji) return ``None``: the caller then keeps
the conversation's language. Names and acronyms never count as evidence.

``most_likely_language`` answers a different question, for a first message with no conversation
language and no channel hint: which language is this message most likely in, even if it is one or
two words ("hai", "pagi kak", "makasih banyak")? It takes ``detect_language``'s clear signal when
there is one, else a single uncontested marker word ("hai", "hello"), else lingua-language-detector
(built for short text, restricted to Indonesian, Japanese and English, models preloaded once per
process). It abstains (``None``) only when no word is left once names and acronyms are set aside
("SMRJ", "IFC?", "ok", "2024", emoji) or when lingua's best language is hardly better than a coin
flip. Its guesses are weaker evidence than ``detect_language``'s: ``resolve_language`` uses them only
for a first message without a usable hint, never to change a conversation's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.language import lexicon

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
#: Markup tags and URLs: their words (img, src, onerror, https, www) say nothing about the language
#: the person writes in, so "<b>halo</b>" is judged on "halo" alone.
_MARKUP = re.compile(r"<[^<>]{0,200}>|\b(?:https?://|www\.)\S+")
#: Longer messages add no evidence, only time.
_MAX_CHARS = 600
_MARKER_MARGIN = 2
_LANGDETECT_MIN_WORDS = 3
_LANGDETECT_MIN_PROBABILITY = 0.90
#: lingua's confidence for its best language must beat a coin flip by this much (0.5 + 0.1) to count
#: as a guess; below it ``most_likely_language`` abstains.
_GUESS_MIN_CONFIDENCE = 0.60
_LINGUA_LANGUAGES = {Language.INDONESIAN: "id", Language.JAPANESE: "ja", Language.ENGLISH: "en"}


@dataclass(frozen=True)
class Detection:
    language: str | None
    evidence: str  # "script", "markers", "langdetect", "lingua" or "none"


def detect_language(text: str) -> Detection:
    """The language of ``text`` if the message itself says so clearly, else ``None``."""
    sample = _sample(text)
    if _KANA.search(sample):
        return Detection("ja", "script")
    words = _words(sample)
    kanji = len(_KANJI.findall(sample))
    if kanji >= 2 and len(words) < 2:
        return Detection("ja", "script")
    by_markers, leaning = _by_markers(words)
    if by_markers:
        return Detection(by_markers, "markers")
    # Statistics on three or more words; on two only to confirm what an uncontested marker says
    # ("Kapan pertemuannya?"), never on a single word ("thanks" could be anybody's).
    if len(words) >= _LANGDETECT_MIN_WORDS or (len(words) == 2 and leaning):
        by_statistics = _by_langdetect(" ".join(words))
        if by_statistics and (len(words) >= _LANGDETECT_MIN_WORDS or by_statistics == leaning):
            return Detection(by_statistics, "langdetect")
    if kanji:
        return Detection("ja", "script")
    return Detection(None, "none")


def most_likely_language(text: str) -> Detection:
    """The most likely language of ``text``, for a first message: a clear signal if there is one,
    else a guess even from one or two words; ``None`` only without any word that is not a name,
    or when the guess would hardly beat a coin flip."""
    clear = detect_language(text)
    return clear if clear.language else guess_language(text)


def guess_language(text: str) -> Detection:
    """``most_likely_language`` for a message ``detect_language`` has already found unclear."""
    words = _words(_sample(text))
    if not words:
        return Detection(None, "none")
    _, leaning = _by_markers(words)
    if leaning:
        return Detection(leaning, "markers")
    guessed = _by_lingua(" ".join(words))
    return Detection(guessed, "lingua" if guessed else "none")


def _sample(text: str) -> str:
    return _MARKUP.sub(" ", unicodedata.normalize("NFKC", text or "")[:_MAX_CHARS]).casefold()


def _words(sample: str) -> list[str]:
    """Latin-script words that are not names or acronyms."""
    names = lexicon.names()
    return [w for w in _WORD.findall(sample) if w not in names]


def _by_markers(words: list[str]) -> tuple[str | None, str | None]:
    """(clear winner, uncontested leaning): a winner needs a margin of two marker words."""
    markers, questions = lexicon.markers(), lexicon.interrogatives()
    scores = {
        lang: sum(2 if w in questions[lang] else 1 for w in words if w in vocabulary)
        for lang, vocabulary in markers.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_score), (_, runner_up) = ranked[0], ranked[1]
    if best_score - runner_up >= _MARKER_MARGIN:
        return best, best
    return None, (best if best_score and not runner_up else None)


def _by_langdetect(sample: str) -> str | None:
    detector = _factory().create()
    detector.append(sample)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return None
    if ranked and ranked[0].prob >= _LANGDETECT_MIN_PROBABILITY:
        return str(ranked[0].lang)
    return None


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """A detector factory with only the Indonesian and English profiles, seeded for repeatability.

    Loading profiles takes ~100 ms, so it happens once per process.
    """
    factory = DetectorFactory()
    profiles = [Path(PROFILES_DIRECTORY, lang).read_text(encoding="utf-8") for lang in ("id", "en")]
    factory.load_json_profile(profiles)
    factory.set_seed(0)
    return factory


def _by_lingua(sample: str) -> str | None:
    best = max(_lingua().compute_language_confidence_values(sample), key=lambda value: value.value)
    return _LINGUA_LANGUAGES[best.language] if best.value >= _GUESS_MIN_CONFIDENCE else None


@lru_cache(maxsize=1)
def _lingua() -> LanguageDetector:
    """lingua restricted to the bot's three languages, with their models loaded up front.

    Building it takes 0.2–0.4 s and ~55 MB of memory (high-accuracy models), once per process;
    low-accuracy mode would take ~9 MB but misses the single-word target (docs/language.md).
    """
    return (LanguageDetectorBuilder.from_languages(*_LINGUA_LANGUAGES)
            .with_preloaded_language_models().build())
