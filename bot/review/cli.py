"""``make review`` (``python -m bot.review``): what people asked that the bot could not answer.

  list                      open questions grouped by similar wording, with counts per language,
                            the nearest fact and the ids to act on (the default)
  export --csv FILE         every recorded question as CSV (UTF-8; "-" writes to the terminal)
  attach ITEM_ID FACT_ID    add the question to that fact (or group) as a new example question, in
                            the facts file; the next `make run` rebuilds and retrains, and learns it
    --unanswered            ... or to the questions about that fact's subject it does not answer:
                            the bot learns to say "my sources don't say" to such questions
  dismiss ITEM_ID           out of scope: kept out of later listings

Every run first deletes what is older than REVIEW_RETENTION_DAYS. A problem the operator can fix
(unknown id, empty store, unwritable file) is one message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.review.attach import UNANSWERED, AttachError, attach_example, shown_path
from bot.review.grouping import MAX_QUESTIONS, SIMILARITY, QuestionGroup, group_questions
from bot.review.store import (
    ATTACHED,
    DISMISSED,
    OPEN,
    Question,
    ReviewStore,
    ReviewStoreError,
    open_for_review,
)
from bot.settings import LANGUAGES

#: Exit code of every problem the operator can fix (argparse uses it for bad arguments too).
OPERATOR_ERROR = 2
#: Columns of ``export``.
CSV_COLUMNS = ("id", "asked_at_utc", "language", "channel", "reason", "text", "nearest_fact",
               "score", "status", "resolved_fact", "group")


class OperatorError(RuntimeError):
    """A problem the operator can fix; printed as is, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (OperatorError, ReviewStoreError, AttachError) as error:
        print(f"error: {error}", file=sys.stderr)
        return OPERATOR_ERROR
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"error: the review store cannot be used: {reason}", file=sys.stderr)
        return OPERATOR_ERROR
    except BrokenPipeError:  # `make review | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # so that exiting does not flush into the closed pipe
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.review",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None,
                        help="SQLAlchemy URL of the review store (default: $REVIEW_DB_URL, var/review.db)")
    parser.set_defaults(handler=_list, all=False, similarity=SIMILARITY, limit=MAX_QUESTIONS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    listing = commands.add_parser("list", help="open questions grouped by similar wording (default)")
    listing.add_argument("--all", action="store_true",
                         help="include attached and dismissed questions, with their status")
    listing.add_argument("--similarity", type=_fraction, default=SIMILARITY,
                         help=f"how alike questions must be to share a group, 0-1 (default {SIMILARITY}; "
                              "higher: smaller, tighter groups)")
    listing.add_argument("--limit", type=int, default=MAX_QUESTIONS,
                         help=f"group only the most recent N questions (default {MAX_QUESTIONS})")
    listing.set_defaults(handler=_list)
    export = commands.add_parser("export", help="every recorded question as CSV")
    export.add_argument("--csv", required=True, metavar="FILE",
                        help="file to write (UTF-8 with BOM, opens in spreadsheets); - for stdout")
    export.set_defaults(handler=_export)
    attach = commands.add_parser(
        "attach", help="add a question to a fact as a new example question (facts file) and mark "
                       "it resolved; the next `make run` learns it")
    attach.add_argument("item_id", type=int, metavar="ITEM_ID", help="the id `list` shows in [brackets]")
    attach.add_argument("fact_id", metavar="FACT_ID",
                        help="fact or group id (python -m bot.facts list)")
    attach.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="the question's language, if not the one recorded")
    attach.add_argument("--unanswered", action="store_true",
                        help="the fact does not answer the question: add it to the fact's "
                             "unanswered questions, so the bot learns to decline such questions")
    attach.add_argument("--facts-dir", type=Path, default=None,
                        help="folder of facts files (default: $FACTS_DIR, data/facts)")
    attach.set_defaults(handler=_attach)
    dismiss = commands.add_parser("dismiss", help="mark a question out of scope (no longer listed)")
    dismiss.add_argument("item_id", type=int, metavar="ITEM_ID")
    dismiss.set_defaults(handler=_dismiss)
    return parser


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1 (got {value!r})")
    return number


# --- list ------------------------------------------------------------------------------------------

def _list(args: argparse.Namespace) -> int:
    store = _nonempty_store(args)
    statuses = (OPEN, ATTACHED, DISMISSED) if args.all else (OPEN,)
    questions = store.questions(statuses, limit=args.limit)
    if not questions:
        counts = store.counts()
        print(f"No open questions in {store.shown_url} (last {store.retention_days} days); "
              f"{counts.get(ATTACHED, 0)} attached, {counts.get(DISMISSED, 0)} dismissed.")
        return 0
    groups = group_questions(questions, args.similarity)
    print(f"{len(questions)} {'recorded' if args.all else 'open'} question(s) in {len(groups)} "
          f"group(s) of similar wording (similarity > {args.similarity}), {store.shown_url}, "
          f"last {store.retention_days} days:")
    for number, group in enumerate(groups, start=1):
        print()
        print(_group_heading(number, group))
        for question in group.questions:
            print(_question_line(question, show_status=args.all))
    print()
    print('Add a question to a fact as an example:  make review ARGS="attach ITEM_ID FACT_ID"\n'
          'Out of scope, stop listing it:           make review ARGS="dismiss ITEM_ID"')
    return 0


def _group_heading(number: int, group: QuestionGroup) -> str:
    languages = " · ".join(f"{lang} {count}" for lang, count in group.by_language.items())
    fact_id, score = group.nearest_fact
    nearest = "none" if fact_id is None else fact_id + ("" if score is None else f" (best score {score:.2f})")
    return f"#{number}  {len(group.questions)} question(s): {languages}  nearest fact: {nearest}"


def _question_line(question: Question, show_status: bool) -> str:
    text = " ".join(question.text.split())
    if len(text) > 100:
        text = text[:99] + "…"
    status = ""
    if show_status and question.status != OPEN:
        status = f"  ({question.status}{' to ' + question.resolved_fact if question.resolved_fact else ''})"
    return (f"  [{question.id}] {question.language}  {question.asked_at:%Y-%m-%d %H:%M}Z  "
            f"{question.channel:9} {question.reason:16}  {text}{status}")


# --- export ----------------------------------------------------------------------------------------

def _export(args: argparse.Namespace) -> int:
    store = _nonempty_store(args)
    questions = store.questions((OPEN, ATTACHED, DISMISSED))
    open_questions = [q for q in questions if q.status == OPEN][-MAX_QUESTIONS:]
    group_of = {q.id: number for number, group in enumerate(group_questions(open_questions), start=1)
                for q in group.questions}
    rows = [{"id": q.id, "asked_at_utc": q.asked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "language": q.language, "channel": q.channel, "reason": q.reason, "text": q.text,
             "nearest_fact": q.fact_id or "", "score": "" if q.score is None else q.score,
             "status": q.status, "resolved_fact": q.resolved_fact or "",
             "group": group_of.get(q.id, "")} for q in questions]
    if args.csv == "-":
        _write_csv(sys.stdout, rows)
        return 0
    path = Path(args.csv)
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            _write_csv(out, rows)
    except OSError as error:
        raise OperatorError(f"Cannot write {path}: {error.strerror or error}.") from None
    print(f"Wrote {len(rows)} question(s) to {path} ({len(open_questions)} open, grouped as in "
          "`make review`).")
    return 0


def _write_csv(out, rows: list[dict]) -> None:  # noqa: ANN001 - a text stream
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)


# --- attach and dismiss ----------------------------------------------------------------------------

def _attach(args: argparse.Namespace) -> int:
    store = _nonempty_store(args)
    question = _question(store, args.item_id)
    if question.status == ATTACHED:
        raise OperatorError(f"Question [{question.id}] is already attached to "
                            f"'{question.resolved_fact}'; nothing was changed.")
    attached = attach_example(question.text, args.fact_id, args.lang or question.language,
                              args.facts_dir, unanswered=args.unanswered)
    if attached.field == UNANSWERED:
        store.resolve(question.id, ATTACHED, f"{attached.answer_id}/{UNANSWERED}")
        role = "a question not answered by"
    else:
        store.resolve(question.id, ATTACHED, attached.answer_id)
        role = "an example question of"
    print(f"Added {attached.text!r} ({attached.language}) as {role} {attached.kind} "
          f"'{attached.answer_id}' in {shown_path(attached.path)}.\n"
          f"Question [{question.id}] is resolved. Run `make run` (it rebuilds the facts and retrains) "
          "so the bot learns it.")
    return 0


def _dismiss(args: argparse.Namespace) -> int:
    store = _nonempty_store(args)
    question = _question(store, args.item_id)
    if question.status == DISMISSED:
        print(f"Question [{question.id}] was already dismissed.")
        return 0
    if question.status == ATTACHED:
        raise OperatorError(f"Question [{question.id}] is attached to '{question.resolved_fact}' as an "
                            "example question; remove it from the facts file to undo that.")
    store.resolve(question.id, DISMISSED)
    print(f"Question [{question.id}] dismissed as out of scope; `make review` no longer lists it.")
    return 0


# --- shared ----------------------------------------------------------------------------------------

def _nonempty_store(args: argparse.Namespace) -> ReviewStore:
    store = open_for_review(args.db)
    if not store.counts():
        raise OperatorError(
            f"The review store {store.shown_url} is empty: no unanswered question was recorded in the "
            f"last {store.retention_days} days. Questions are recorded by the action server as "
            "people ask (REVIEW_DB_URL must name the same store for both).")
    return store


def _question(store: ReviewStore, question_id: int) -> Question:
    question = store.get(question_id)
    if question is None:
        raise OperatorError(f"No question with id {question_id} in {store.shown_url}; "
                            "`make review` lists the ids in [brackets].")
    return question
