"""Adding a recorded question to a fact, in the facts file itself: as a new example question, or
(``unanswered=True``) as a question about the fact's subject that it does not answer.

The facts files are the one source of what the bot answers and of the training data derived from
them (docs/facts.md), so an attached question goes where an editor would put it: the end of the
fact's (or group's) ``examples.<language>`` list in its file under ``FACTS_DIR``, or of the fact's
``unanswered.<language>`` list (created when the fact has none; trained as
``ask_fact/not_answered``). The next ``make run`` rebuilds the facts and the derived training data
and retrains, and the bot learns it.

The file is edited with ruamel.yaml's round-trip mode (it ships with Rasa), so comments, quoting and
layout stay as editors left them. Before anything is written this module checks that the change
only adds the question (one line; five when an ``unanswered`` list is created) and that the
whole folder still validates (``bot.facts.load_catalogue``,
the same check as ``make facts``); then the file is replaced atomically.
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.facts.loader import FactsValidationError, load_catalogue
from bot.facts.schema import normalise_space
from bot.settings import LANGUAGES, PROJECT_ROOT, settings

#: The sections of a facts file whose items carry example questions.
SECTIONS = {"facts": "fact", "groups": "group"}
#: The lists a question can be added to: what the item answers, what a fact does not answer.
EXAMPLES, UNANSWERED = "examples", "unanswered"
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class AttachError(ValueError):
    """The question cannot be attached; the message tells the operator why and what to do."""


@dataclass(frozen=True)
class Attached:
    path: Path
    kind: str          # "fact" or "group"
    answer_id: str
    language: str
    text: str
    field: str = EXAMPLES


def attach_example(text: str, answer_id: str, language: str, facts_dir: Path | None = None, *,
                   unanswered: bool = False) -> Attached:
    """Append ``text`` to the ``language`` example questions of fact or group ``answer_id``, or,
    with ``unanswered``, to the questions fact ``answer_id`` does not answer."""
    field = UNANSWERED if unanswered else EXAMPLES
    folder = facts_dir or settings().facts_dir
    example = normalise_space(text)
    if not example:
        raise AttachError("The question is empty; there is nothing to attach.")
    if language not in LANGUAGES:
        raise AttachError(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.")
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    if not files:
        raise AttachError(f"No facts files in {shown_path(folder)} (FACTS_DIR).")
    documents = {path: _read(path) for path in files}
    target = _find(documents, answer_id)
    if target is None:
        raise AttachError(_unknown_id_message(documents, answer_id, folder))
    path, kind, _ = target
    if unanswered and kind != "fact":
        raise AttachError(f"'{answer_id}' is a {kind}; a question it does not answer belongs to one "
                          "of its facts (attach it to that fact with --unanswered).")
    _refuse_duplicate(documents, example, answer_id, field)
    # Only the file that changes is read again, round-trip (ruamel is ~10x slower than libyaml).
    round_trip = _yaml()
    original = path.read_text(encoding="utf-8")
    document = _load(round_trip, path)
    item = next(item for section in SECTIONS for item in document.get(section) or []
                if isinstance(item, dict) and item.get("id") == answer_id)
    added_lines = 1
    if field == UNANSWERED and item.get(UNANSWERED) is None:
        # A new list for every language (the schema wants all three), right after the examples.
        item.insert(list(item).index(EXAMPLES) + 1 if EXAMPLES in item else len(item), UNANSWERED,
                    CommentedMap((lang, CommentedSeq()) for lang in LANGUAGES))
        added_lines = 2 + len(LANGUAGES)
    questions = item.get(field)
    if not isinstance(questions, dict) or not isinstance(questions.get(language), list):
        raise AttachError(f"{kind} '{answer_id}' in {shown_path(path)} has no {field}.{language} "
                          "list to add to; fix the file (make facts says what is wrong).")
    questions[language].append(example)
    changed = _dump(round_trip, document)
    _check_only_added(original, changed, path, added_lines)
    _check_folder_validates(folder, path, changed)
    _replace(path, changed)
    return Attached(path, kind, answer_id, language, example, field)


def _yaml() -> YAML:
    round_trip = YAML()  # round-trip: comments, order and quoting survive
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never re-wrap a long statement or quote
    round_trip.indent(mapping=2, sequence=4, offset=2)  # the layout of data/facts/*.yml
    # `url: null` stays `url: null` (ruamel would write `url:`, which reads the same but would
    # change a line the operator did not touch).
    round_trip.representer.add_representer(
        type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null",
                                                                        "null"))
    return round_trip


def _read(path: Path) -> Any:
    """A facts file as plain data, to find the fact and check for duplicates (libyaml when built)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise AttachError(_invalid(path, error)) from None


def _load(round_trip: YAML, path: Path) -> Any:
    try:
        return round_trip.load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as error:
        raise AttachError(_invalid(path, error)) from None


def _invalid(path: Path, error: Exception) -> str:
    return (f"{shown_path(path)} is not valid YAML ({str(error).splitlines()[0]}); fix it first "
            "(make facts lists every problem).")


def _items(documents: dict[Path, Any]):
    for path, document in documents.items():
        if not isinstance(document, dict):
            continue
        for section, kind in SECTIONS.items():
            for item in document.get(section) or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    yield path, kind, item


def _find(documents: dict[Path, Any], answer_id: str) -> tuple[Path, str, Any] | None:
    return next(((path, kind, item) for path, kind, item in _items(documents)
                 if item["id"] == answer_id), None)


def _unknown_id_message(documents: dict[Path, Any], answer_id: str, folder: Path) -> str:
    ids = [item["id"] for _, _, item in _items(documents)]
    close = difflib.get_close_matches(answer_id, ids, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return (f"'{answer_id}' is not a fact or group id in {shown_path(folder)}.{hint} "
            "`python -m bot.facts list` shows every fact.")


def _refuse_duplicate(documents: dict[Path, Any], question: str, answer_id: str, field: str) -> None:
    """A question trains one label only (the loader refuses copies): an example of one item, or an
    unanswered question of any number of facts. Say so now, naming where it already is."""
    key = question.casefold()
    for _, kind, item in _items(documents):
        for listed in (EXAMPLES, UNANSWERED):
            questions = item.get(listed)
            if not isinstance(questions, dict):
                continue
            for lang, texts in questions.items():
                if not any(normalise_space(str(t)).casefold() == key for t in texts or []):
                    continue
                owner = "it" if item["id"] == answer_id else f"{kind} '{item['id']}'"
                role = ("an example question of" if listed == EXAMPLES
                        else "a question not answered by")
                hint = "" if listed == field else " Remove it there first if that was a mistake."
                raise AttachError(f"{question!r} is already {role} {owner} ({lang}); nothing was "
                                  f"changed.{hint}")


def _dump(round_trip: YAML, document: Any) -> str:
    out = io.StringIO()
    round_trip.dump(document, out)
    return out.getvalue()


def _check_only_added(original: str, changed: str, path: Path, lines: int) -> None:
    """Refuse to write when ruamel would also reformat something (a layout it does not keep): the
    change must be ``lines`` inserted lines in one place."""
    matcher = difflib.SequenceMatcher(a=original.splitlines(), b=changed.splitlines(), autojunk=False)
    edits = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if len(edits) != 1 or edits[0][0] != "insert" or edits[0][4] - edits[0][3] != lines:
        raise AttachError(f"Adding the question would also reformat {shown_path(path)}; nothing was "
                          "changed. Add it to the file by hand.")


def _check_folder_validates(folder: Path, path: Path, changed: str) -> None:
    with tempfile.TemporaryDirectory(prefix="review-attach-") as scratch:
        copy = Path(scratch) / "facts"
        shutil.copytree(folder, copy)
        (copy / path.name).write_text(changed, encoding="utf-8")
        try:
            load_catalogue(copy)
        except FactsValidationError as error:
            problems = "\n".join(f"  {problem}".replace(str(copy), shown_path(folder))
                                 for problem in error.problems[:10])
            raise AttachError(f"With this question the facts would not validate; nothing was "
                              f"changed:\n{problems}") from None


def _replace(path: Path, text: str) -> None:
    """Write a sibling file and rename it over ``path``: a reader (or a crash) sees the old file or
    the new one, never half of it. The sibling's name does not end in .yml, so a concurrent
    ``make facts`` never reads it."""
    temporary = path.with_name(f".{path.name}.attach")
    temporary.write_text(text, encoding="utf-8")
    shutil.copymode(path, temporary)
    os.replace(temporary, path)


def shown_path(path: Path) -> str:
    """A path as operators see it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
