"""What kind of information a question asks for, from the cue words in ``question_types.yml``.

Cues of every language are tried, so a mixed-language question is still read. A type's
``exceptions`` are phrases in which its cues ask for something else ("where does Indonesia rank"
asks for a rank, not a place); the text they cover is not searched. Latin-script cues
match whole words or phrases; Japanese cues, written without spaces, match anywhere. A ``*`` in a
cue stands for what people put between its parts: up to two words in Latin script ("which *
companies" also reads "which Japanese companies"), up to eight characters in Japanese ("どの*企業"
also reads "どの日本企業").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.facts.schema import QuestionType
from bot.language.matching import bounded

#: What a ``*`` between two Latin-script words may stand for: none, one or two words.
_LATIN_GAP = r"\s+(?:\S+\s+){0,2}"
#: What a ``*`` in a Japanese cue may stand for: up to eight characters, no sentence break.
_JAPANESE_GAP = r"[^。？！?!\n]{0,8}?"


def asked_types(text: str, question_types: list[QuestionType]) -> list[QuestionType]:
    """The question types whose cues appear in ``text``, in the order the file lists them."""
    sample = unicodedata.normalize("NFKC", text or "").casefold()
    found = []
    for question_type in question_types:
        searched = sample
        if question_type.exceptions is not None:
            searched = cue_pattern(tuple(question_type.exceptions.texts())).sub(" ", sample)
        if cue_pattern(tuple(question_type.cues.texts())).search(searched):
            found.append(question_type)
    return found


@lru_cache(maxsize=64)
def cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of cues, longest first, to search NFKC-normalised, case-folded text
    (also the inclusion cues of ``bot.answering.unlisted``)."""
    parts = []
    for cue in sorted({unicodedata.normalize("NFKC", c).casefold() for c in cues}, key=len,
                      reverse=True):
        body = re.escape(cue).replace(r"\ ", r"\s+")
        body = body.replace(r"\s+\*\s+", _LATIN_GAP).replace(r"\*", _JAPANESE_GAP)
        parts.append(bounded(body, cue))
    return re.compile("|".join(parts) or r"(?!x)x")
