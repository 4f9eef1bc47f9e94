"""Read and validate the facts files operators edit.

Per-item checks are the pydantic models' (``bot.facts.schema``); this module adds the checks that
need the whole catalogue (unique ids and examples, references between items, quotes found
verbatim in their source's text). Validation collects every problem before failing, and each
problem names the file, the item and what is wrong, so an operator fixes a broken edit in one
pass. Nothing here writes anywhere: the store is only rebuilt from a catalogue that passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.facts.schema import (
    BRIEFING_POINTS,
    MAX_PAYLOAD_BYTES,
    NOT_ANSWERED,
    BriefingPoint,
    Catalogue,
    Entity,
    Fact,
    Group,
    MenuEntry,
    QuestionType,
    SourceDocument,
    answer_payload,
    normalise_space,
    quote_payload,
)
from bot.settings import LANGUAGES, settings

#: Top-level keys of a facts file, and the model each list item is validated into.
SECTIONS: dict[str, type[BaseModel]] = {
    "facts": Fact, "groups": Group, "entities": Entity, "sources": SourceDocument,
    "question_types": QuestionType, "menu": MenuEntry, "briefing": BriefingPoint,
}
_CONTACT_DETAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d\s().-]{7,}\d")


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


def load_catalogue(folder: Path, sources_dir: Path | None = None) -> Catalogue:
    """Load every ``*.yml``/``*.yaml`` file in ``folder``; raise FactsValidationError if any is bad.

    ``sources_dir`` holds the source texts quotes are checked against (default: ``SOURCES_DIR``).
    """
    problems: list[Problem] = []
    items: dict[str, list[tuple[Any, str]]] = {key: [] for key in SECTIONS}
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    if not files:
        raise FactsValidationError([Problem(str(folder), "folder", "no facts files (*.yml) found")])
    for path in files:
        document = _read_yaml(path, problems)
        if document is None:
            continue
        unknown = set(document) - set(SECTIONS)
        if unknown:
            problems.append(Problem(str(path), "file", f"unknown top-level keys {sorted(unknown)} "
                                    f"(allowed: {', '.join(SECTIONS)})"))
        for key, model in SECTIONS.items():
            raw_items = document.get(key, [])
            if not isinstance(raw_items, list):
                problems.append(Problem(str(path), "file", f"'{key}' must be a list"))
                continue
            for raw in raw_items:
                parsed = _parse(model, key, raw, path, problems)
                if parsed is not None:
                    items[key].append((parsed, str(path)))
    _check_catalogue(items, sources_dir or settings().sources_dir, problems)
    if problems:
        raise FactsValidationError(problems)
    return Catalogue(**{key: tuple(item for item, _ in found) for key, found in items.items()})


def _read_yaml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), "file", f"is not valid YAML: {error}"))
        return None
    if not isinstance(document, dict):
        problems.append(Problem(str(path), "file",
                                f"must be a mapping with one or more of: {', '.join(SECTIONS)}"))
        return None
    return document


def _label(section: str, raw: Any) -> str:
    kind = {"facts": "fact", "groups": "group", "entities": "entity", "sources": "source",
            "question_types": "question type", "menu": "menu entry",
            "briefing": "briefing point"}[section]
    key = {"entities": "name", "briefing": "fact"}.get(section, "id")
    if isinstance(raw, dict) and isinstance(raw.get(key), str):
        return f"{kind} '{raw[key]}'"
    return f"{kind} without {key}"


def _parse(model: type[BaseModel], section: str, raw: Any, path: Path,
           problems: list[Problem]) -> Any:
    label = _label(section, raw)
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), label, "must be a mapping"))
        return None
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        for detail in error.errors():
            where = ".".join(str(part) for part in detail["loc"] if part != "__root__")
            message = {"field required": "is missing",
                       "extra fields not permitted": "is not a known field"}.get(
                detail["msg"], detail["msg"])
            problems.append(Problem(str(path), label, f"{where}: {message}" if where else message))
        return None


def _check_catalogue(items: dict[str, list[tuple[Any, str]]], sources_dir: Path,
                     problems: list[Problem]) -> None:
    facts: list[tuple[Fact, str]] = items["facts"]
    groups: list[tuple[Group, str]] = items["groups"]
    if not facts:
        problems.append(Problem("facts", "catalogue", "no facts defined"))

    def bad(file: str, label: str) -> Callable[[str], None]:
        return lambda message: problems.append(Problem(file, label, message))

    answers = _unique_ids([(f.id, file, "fact") for f, file in facts] +
                          [(g.id, file, "group") for g, file in groups], problems)
    entity_names = _unique_ids([(e.name, file, "entity") for e, file in items["entities"]],
                               problems)
    source_texts = _source_texts(items["sources"], sources_dir, problems)
    _unique_ids([(m.id, file, "menu entry") for m, file in items["menu"]], problems)
    _unique_ids([(q.id, file, "question type") for q, file in items["question_types"]], problems)
    _check_aliases(items["entities"], problems)
    _check_offices(items["entities"], problems)
    _check_examples([(f"fact '{f.id}'", f.id, "examples", f.examples, file) for f, file in facts]
                    + [(f"group '{g.id}'", g.id, "examples", g.examples, file) for g, file in groups]
                    + [(f"fact '{f.id}'", NOT_ANSWERED, "unanswered", f.unanswered, file)
                       for f, file in facts if f.unanswered], problems)
    fact_ids = {f.id for f, _ in facts}
    for fact, file in facts:
        report = bad(file, f"fact '{fact.id}'")
        for other in fact.related:
            if other == fact.id:
                report("is related to itself")
            elif other not in answers:
                report(f"related: '{other}' is not a fact or group")
        for name in fact.entities:
            if name not in entity_names:
                report(f"entities: '{name}' is not in entities.yml")
        for citation in fact.sources:
            text = source_texts.get(citation.source)
            if citation.source not in source_texts:
                report(f"sources: '{citation.source}' is not in sources.yml")
            for quote in citation.quotes:
                if text is not None and normalise_space(quote) not in text:
                    report(f"sources: quote not found verbatim in '{citation.source}': "
                           f"{quote[:80]!r}")
        for lang in LANGUAGES:
            if _CONTACT_DETAIL.search(fact.statement[lang]):
                report(f"statement.{lang}: contains what looks like a phone number or e-mail")
        _check_payload(fact.id, report)
    for group, file in groups:
        report = bad(file, f"group '{group.id}'")
        for member in group.facts:
            if member not in fact_ids:
                report(f"facts: '{member}' is not a fact")
        _check_payload(group.id, report)
    for entry, file in items["menu"]:
        if entry.answer not in answers:
            bad(file, f"menu entry '{entry.id}'")(f"answer: '{entry.answer}' is not a fact or group")
    _check_briefing(items["briefing"], fact_ids, problems)


def _check_briefing(points: list[tuple[BriefingPoint, str]], fact_ids: set[str],
                    problems: list[Problem]) -> None:
    """The briefing names existing facts, each once, in a number that fits one message."""
    _unique_ids([(p.fact, file, "briefing point") for p, file in points], problems)
    for point, file in points:
        if point.fact not in fact_ids:
            problems.append(Problem(file, f"briefing point '{point.fact}'",
                                    f"fact: '{point.fact}' is not a fact"))
    low, high = BRIEFING_POINTS
    if points and not low <= len(points) <= high:
        problems.append(Problem(points[0][1], "briefing",
                                f"has {len(points)} points; a briefing has {low} to {high}"))


def _unique_ids(entries: list[tuple[str, str, str]], problems: list[Problem]) -> set[str]:
    seen: dict[str, str] = {}
    for item_id, file, kind in entries:
        if item_id in seen:
            problems.append(Problem(file, f"{kind} '{item_id}'",
                                    f"duplicate id (first defined in {seen[item_id]})"))
        else:
            seen[item_id] = file
    return set(seen)


def _check_payload(answer_id: str, report: Callable[[str], None]) -> None:
    for payload in (answer_payload(answer_id), quote_payload(answer_id)):
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            report(f"id too long: its button payload {payload!r} exceeds {MAX_PAYLOAD_BYTES} bytes")


def _check_examples(owners: list[tuple[str, str, str, Any, str]], problems: list[Problem]) -> None:
    """A question may train one label only: a copy would teach both, and an example of a fact that
    is also one of the ``unanswered`` questions would teach the selector to answer and to decline.

    ``owners`` are (item, training label, field, questions, file); two facts may list the same
    unanswered question, since both train ``ask_fact/not_answered``.
    """
    seen: dict[str, tuple[str, str, str]] = {}
    for item, label, field, questions, file in owners:
        for lang, texts in questions.items():
            for text in texts:
                key = normalise_space(text).casefold()
                first = seen.setdefault(key, (label, item, field))
                if first[0] != label:
                    role = "an example" if first[2] == "examples" else "an unanswered question"
                    problems.append(Problem(file, item, f"{field}.{lang}: {text!r} is also "
                                            f"{role} of {first[1]}"))


def _check_offices(entities: list[tuple[Entity, str]], problems: list[Problem]) -> None:
    """An office's title must be one the lexicon knows the words for, and its ``of`` an
    organisation of the entities file: otherwise the office check could never match it."""
    from bot.language.lexicon import office_titles

    titles = office_titles()
    organisations = {entity.name for entity, _ in entities if entity.type == "organisation"}
    for entity, file in entities:
        for office in entity.offices:
            if office.title not in titles:
                problems.append(Problem(file, f"entity '{entity.name}'",
                                        f"office title '{office.title}' is not one of "
                                        f"lexicon.yml's office_titles ({', '.join(titles)})"))
            if office.of is not None and office.of not in organisations:
                problems.append(Problem(file, f"entity '{entity.name}'",
                                        f"office of '{office.of}', which is not an organisation "
                                        f"of the entities file"))


def _check_aliases(entities: list[tuple[Entity, str]], problems: list[Problem]) -> None:
    owner: dict[str, str] = {}
    for entity, file in entities:
        for form in entity.forms():
            key = form.casefold()
            if key in owner and owner[key] != entity.name:
                problems.append(Problem(file, f"entity '{entity.name}'",
                                        f"alias {form!r} also names '{owner[key]}'"))
            owner.setdefault(key, entity.name)


def _source_texts(sources: list[tuple[SourceDocument, str]], folder: Path,
                  problems: list[Problem]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for source, file in sources:
        path = folder / source.file
        try:
            texts[source.id] = normalise_space(path.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(Problem(file, f"source '{source.id}'",
                                    f"file: cannot read {path}: {error.strerror}"))
    return texts
