"""Read and validate the facts files operators edit.

Validation collects every problem before failing, and each problem names the file, the fact and
what is wrong, so an operator fixes a broken edit in one pass. Nothing here writes anywhere: the
store is only rebuilt from a catalogue that passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config import LANGUAGES
from bot.facts.schema import MAX_PAYLOAD_BYTES, TOPICS, Catalogue, Fact, MenuEntry, Source

_ID = re.compile(r"^[a-z0-9_]{3,40}$")
_FACT_KEYS = {
    "id", "topic", "intents", "entities", "statement", "question", "keywords", "related",
    "source", "requires_entity", "name", "website",
}
_REQUIRED_KEYS = ("id", "topic", "intents", "statement", "question", "keywords", "source")


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.message}"


class FactsValidationError(ValueError):
    """Raised with every problem found; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_catalogue(folder: Path) -> Catalogue:
    """Load every ``*.yml``/``*.yaml`` file in ``folder``; raise FactsValidationError if any is bad."""
    problems: list[Problem] = []
    facts: list[Fact] = []
    menu: list[MenuEntry] = []
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    if not files:
        raise FactsValidationError([Problem(str(folder), "folder", "no facts files (*.yml) found")])
    for path in files:
        document = _read_yaml(path, problems)
        if document is None:
            continue
        unknown = set(document) - {"facts", "menu"}
        if unknown:
            problems.append(Problem(str(path), "file", f"unknown top-level keys {sorted(unknown)}"))
        for raw in _as_list(document.get("facts", []), path, "facts", problems):
            fact = _parse_fact(raw, path, problems)
            if fact:
                facts.append(fact)
        for raw in _as_list(document.get("menu", []), path, "menu", problems):
            entry = _parse_menu_entry(raw, path, problems)
            if entry:
                menu.append(entry)
    _check_catalogue(facts, menu, problems)
    if problems:
        raise FactsValidationError(problems)
    return Catalogue(facts=tuple(facts), menu=tuple(menu))


def _read_yaml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), "file", f"is not valid YAML: {error}"))
        return None
    if not isinstance(document, dict):
        problems.append(Problem(str(path), "file", "must be a mapping with a 'facts' or 'menu' list"))
        return None
    return document


def _as_list(value: Any, path: Path, key: str, problems: list[Problem]) -> list[Any]:
    if isinstance(value, list):
        return value
    problems.append(Problem(str(path), "file", f"'{key}' must be a list"))
    return []


def _label(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return f"fact '{raw['id']}'"
    return "fact without id"


def _parse_fact(raw: Any, path: Path, problems: list[Problem]) -> Fact | None:
    file = str(path)
    if not isinstance(raw, dict):
        problems.append(Problem(file, "fact", "each fact must be a mapping"))
        return None
    label = _label(raw)
    before = len(problems)

    def bad(message: str) -> None:
        problems.append(Problem(file, label, message))

    for key in sorted(set(raw) - _FACT_KEYS):
        bad(f"unknown field '{key}'")
    for key in _REQUIRED_KEYS:
        if key not in raw or raw[key] in (None, "", [], {}):
            bad(f"missing '{key}'")
    if isinstance(raw.get("id"), str) and not _ID.match(raw["id"]):
        bad("id must be 3–40 lowercase letters, digits or underscores")
    if "topic" in raw and raw["topic"] not in TOPICS:
        bad(f"unknown topic '{raw['topic']}' (allowed: {', '.join(TOPICS)})")
    statement = _localised(raw.get("statement"), "statement", bad)
    question = _localised(raw.get("question"), "question", bad)
    name = _localised(raw["name"], "name", bad) if "name" in raw else None
    keywords = _keywords(raw.get("keywords"), bad)
    intents = _string_list(raw.get("intents"), "intents", bad)
    entities = _string_list(raw.get("entities", []), "entities", bad)
    related = _string_list(raw.get("related", []), "related", bad)
    source = _source(raw.get("source"), bad)
    website = raw.get("website")
    if website is not None and not (isinstance(website, str) and website.startswith("https://")):
        bad("website must be an https:// URL")
    requires_entity = raw.get("requires_entity", False)
    if not isinstance(requires_entity, bool):
        bad("requires_entity must be true or false")
    if requires_entity and not entities:
        bad("requires_entity is set but 'entities' is empty")
    if len(problems) > before:
        return None
    fact = Fact(
        id=raw["id"], topic=raw["topic"], intents=tuple(intents), statement=statement,
        question=question, keywords=keywords, source=source, entities=tuple(entities),
        related=tuple(related), requires_entity=requires_entity, name=name, website=website,
        file=file,
    )
    if len(fact.payload().encode()) > MAX_PAYLOAD_BYTES:
        bad(f"id too long: its follow-up payload {fact.payload()!r} exceeds {MAX_PAYLOAD_BYTES} bytes")
        return None
    return fact


def _localised(value: Any, field_name: str, bad: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        bad(f"'{field_name}' must map each language ({', '.join(LANGUAGES)}) to a text")
        return {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            bad(f"'{field_name}' is missing language '{lang}'")
    for lang in sorted(set(value) - set(LANGUAGES)):
        bad(f"'{field_name}' has unsupported language '{lang}'")
    return {lang: str(value.get(lang, "")).strip() for lang in LANGUAGES}


def _keywords(value: Any, bad: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        if value is not None:
            bad("'keywords' must map each language to a list of words")
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        words = value.get(lang)
        if not isinstance(words, list) or not words or not all(
            isinstance(w, (str, int)) and str(w).strip() for w in words
        ):
            bad(f"'keywords' is missing language '{lang}' (a non-empty list of words)")
            continue
        result[lang] = tuple(str(w).strip() for w in words)
    return result


def _string_list(value: Any, field_name: str, bad: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        bad(f"'{field_name}' must be a list of non-empty strings")
        return []
    return [v.strip() for v in value]


def _source(value: Any, bad: Any) -> Source:
    if not isinstance(value, dict):
        if value is not None:
            bad("'source' must have 'publisher' and 'quote'")
        return Source("", "")
    publisher, quote = value.get("publisher"), value.get("quote")
    for key, text in (("publisher", publisher), ("quote", quote)):
        if not isinstance(text, str) or not text.strip():
            bad(f"empty source: '{key}' is missing")
    for key in sorted(set(value) - {"publisher", "quote"}):
        bad(f"unknown source field '{key}'")
    return Source(str(publisher or "").strip(), str(quote or "").strip())


def _parse_menu_entry(raw: Any, path: Path, problems: list[Problem]) -> MenuEntry | None:
    file = str(path)
    label = f"menu entry '{raw.get('id')}'" if isinstance(raw, dict) else "menu entry"
    before = len(problems)

    def bad(message: str) -> None:
        problems.append(Problem(file, label, message))

    if not isinstance(raw, dict):
        bad("must be a mapping")
        return None
    payload = raw.get("payload")
    if not isinstance(raw.get("id"), str) or not _ID.match(raw["id"]):
        bad("id must be 3–40 lowercase letters, digits or underscores")
    if not isinstance(payload, str) or not payload.startswith("/"):
        bad("payload must be a Rasa intent payload starting with '/'")
    elif len(payload.encode()) > MAX_PAYLOAD_BYTES:
        bad(f"payload is longer than {MAX_PAYLOAD_BYTES} bytes (Telegram's limit)")
    title = _localised(raw.get("title"), "title", bad)
    if len(problems) > before:
        return None
    return MenuEntry(id=raw["id"], payload=payload, title=title)


def _check_catalogue(facts: list[Fact], menu: list[MenuEntry], problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for fact in facts:
        if fact.id in seen:
            problems.append(Problem(fact.file, f"fact '{fact.id}'",
                                    f"duplicate id (first defined in {seen[fact.id]})"))
        else:
            seen[fact.id] = fact.file
    for fact in facts:
        for other in fact.related:
            if other not in seen:
                problems.append(Problem(fact.file, f"fact '{fact.id}'",
                                        f"related fact '{other}' does not exist"))
            elif other == fact.id:
                problems.append(Problem(fact.file, f"fact '{fact.id}'", "is related to itself"))
    _check_unique(((m.id, "menu entry") for m in menu), problems)
    if not facts:
        problems.append(Problem("facts", "catalogue", "no facts defined"))


def _check_unique(items: Iterable[tuple[str, str]], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for item_id, kind in items:
        if item_id in seen:
            problems.append(Problem("menu", f"{kind} '{item_id}'", "duplicate id"))
        seen.add(item_id)
