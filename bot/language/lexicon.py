"""Access to ``lexicon.yml``: marker words, names, and language names (loaded once per process)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import settings

_LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
_LATIN_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    return yaml.safe_load(_LEXICON_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def markers() -> dict[str, frozenset[str]]:
    """Per language, single words that point to it (multi-word entries are split)."""
    result = {}
    for lang, words in _lexicon()["markers"].items():
        result[lang] = frozenset(part for word in words for part in str(word).split())
    shared = result["id"] & result["en"]
    return {lang: words - shared for lang, words in result.items()}


@lru_cache(maxsize=1)
def interrogatives() -> dict[str, frozenset[str]]:
    """Per language, question words, which weigh double as evidence."""
    return {lang: frozenset(map(str, words)) for lang, words in _lexicon()["interrogatives"].items()}


@lru_cache(maxsize=1)
def names() -> frozenset[str]:
    """Proper names and acronyms, which carry no evidence about the message's language.

    The names of the entities the facts know come from the one list of them,
    ``data/facts/entities.yml`` (its ``any`` aliases: forms written the same in every language);
    ``lexicon.yml`` adds only names no fact is about (countries, cities, acronyms).
    """
    words = {str(word).casefold() for word in _lexicon()["names"]}
    for form in entity_names():
        words.update(_LATIN_WORD.findall(form.casefold()))
    return frozenset(words)


@lru_cache(maxsize=1)
def entity_names() -> tuple[str, ...]:
    """Every language-neutral alias (``aliases.any``) in the facts' entities file."""
    path = settings().facts_dir / "entities.yml"
    if not path.exists():
        return ()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(form) for entity in document.get("entities", [])
                 for form in (entity.get("aliases") or {}).get("any", []))


@lru_cache(maxsize=1)
def language_names() -> dict[str, tuple[str, ...]]:
    """How people name each language, longest form first so "bahasa inggris" beats "inggris"."""
    return {lang: tuple(sorted((str(n) for n in forms), key=len, reverse=True))
            for lang, forms in _lexicon()["language_names"].items()}


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    return frozenset(str(word) for word in _lexicon()["stopwords"])


def is_stopword(word: str) -> bool:
    """True for grammar words that carry no topic (left out of search queries)."""
    return word in _stopwords()


@lru_cache(maxsize=1)
def name_fillers() -> frozenset[str]:
    """Words that may stand next to names in a message that asks about nothing but those names."""
    return frozenset(str(word).casefold() for word in _lexicon().get("name_fillers", []))


@lru_cache(maxsize=1)
def inclusion_cues() -> dict[str, tuple[str, ...]]:
    """Per language, words that ask whether something is included ("termasuk", "含まれ")."""
    return {lang: tuple(map(str, cues))
            for lang, cues in (_lexicon().get("inclusion_cues") or {}).items()}


@lru_cache(maxsize=1)
def person_titles() -> frozenset[str]:
    """Titles and honorifics: fillers beside a person's name only ("Menteri Teten")."""
    return frozenset(str(word).casefold() for word in _lexicon().get("person_titles", []))


@lru_cache(maxsize=1)
def identity_frames() -> frozenset[str]:
    """Words that, next to names of people and organisations only, ask who or what they are."""
    return frozenset(str(word).casefold() for word in _lexicon().get("identity_frames", []))


@lru_cache(maxsize=1)
def office_titles() -> dict[str, tuple[str, ...]]:
    """Per office title id (minister, vice_minister ...), its forms in every language."""
    return {title: tuple(str(form) for forms in (by_lang or {}).values() for form in forms)
            for title, by_lang in (_lexicon().get("office_titles") or {}).items()}


@lru_cache(maxsize=1)
def who_words() -> tuple[str, ...]:
    """Words of every language that ask who someone is or what they are called."""
    return tuple(str(word) for words in (_lexicon().get("who_words") or {}).values()
                 for word in words)


@lru_cache(maxsize=1)
def office_qualifiers() -> tuple[str, ...]:
    """Words of every language that may stand beside an office's title in a question that only
    asks who holds it (countries, fields of government)."""
    return tuple(str(word) for words in (_lexicon().get("office_qualifiers") or {}).values()
                 for word in words)
