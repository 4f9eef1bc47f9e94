"""Splitting text into words: MeCab (fugashi + unidic-lite) for Japanese, whitespace rules else.

The analyser is created once per process: building a MeCab tagger loads its dictionary, which is
far too slow to do per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import fugashi

_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LATIN_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)
# Parts of speech (UniDic) that carry content; particles, auxiliaries and symbols do not.
_CONTENT_POS = {"名詞", "固有名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞"}
_COMPOUND_POS = {"名詞", "接頭辞", "接尾辞"}


@dataclass(frozen=True)
class Morpheme:
    surface: str
    lemma: str
    pos: str
    start: int
    end: int


def has_word(text: str) -> bool:
    """Whether ``text`` has a letter or digit (in any script), i.e. could be a question at all;
    emoji, punctuation and symbols alone are not."""
    return bool(_HAS_WORD.search(text))


def has_japanese(text: str) -> bool:
    return bool(_JAPANESE.search(text))


@lru_cache(maxsize=1)
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


def morphemes(text: str) -> list[Morpheme]:
    """MeCab's segmentation of ``text`` with character offsets into ``text``."""
    # MeCab takes a NUL-terminated UTF-8 string: it would stop at a NUL and UTF-8 has no lone
    # surrogates (JSON's "\ud800" decodes to one), so it reads a space and U+FFFD in their place,
    # one character for one, and offsets and surfaces still index ``text``.
    tagged = _SURROGATE.sub("\ufffd", text).replace("\x00", " ")
    result: list[Morpheme] = []
    cursor = 0
    for word in _tagger()(tagged):
        start = tagged.find(word.surface, cursor)
        if not word.surface or start < 0:
            continue
        cursor = start + len(word.surface)
        surface = text[start:cursor]
        lemma = getattr(word.feature, "lemma", None) or surface
        result.append(Morpheme(surface, str(lemma), str(word.feature.pos1), start, cursor))
    return result


def content_words(text: str, lang: str) -> list[str]:
    """Words that carry meaning, for search: Japanese noun compounds and stems, Latin words."""
    if lang != "ja" and not has_japanese(text):
        return _LATIN_WORD.findall(text)
    words: list[str] = []
    compound: list[str] = []
    for morpheme in morphemes(text):
        if morpheme.pos in _COMPOUND_POS:
            compound.append(morpheme.surface)
            continue
        if len(compound) > 1:
            words.append("".join(compound))
        words.extend(compound)
        compound = []
        if morpheme.pos in _CONTENT_POS:
            words.append(morpheme.surface)
    if len(compound) > 1:
        words.append("".join(compound))
    words.extend(compound)
    return [w for w in words if w.strip() and not re.fullmatch(r"\W+", w)]
