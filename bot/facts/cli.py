"""Operator CLI for the facts store: ``python -m bot.facts {validate,build,list,show,search}``.

Operators edit YAML under ``FACTS_DIR``, run ``validate``, then ``build``. A rebuilt store is live
for the running bot at once: no retraining, no restart. ``build`` also regenerates the training
data derived from the facts (``data/generated/``); when example questions or names changed,
``make run`` retrains.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.facts.clashes import find_clashes
from bot.facts.loader import FactsValidationError, load_catalogue
from bot.facts.schema import TOPICS
from bot.facts.store import FactsStore, StoreNotBuiltError
from bot.facts.training_data import write_training_data
from bot.facts.type_mismatches import find_type_mismatches
from bot.settings import LANGUAGES, settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except FactsValidationError as error:
        print(f"Facts are invalid ({len(error.problems)} problem(s)); the store was not changed:",
              file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except StoreNotBuiltError as error:
        print(str(error), file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.facts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts-dir", type=Path, default=None,
                        help="folder of facts YAML files (default: $FACTS_DIR or data/facts)")
    parser.add_argument("--db", default=None,
                        help="SQLAlchemy URL of the store (default: $FACTS_DB_URL or var/facts.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate", help="check the facts files (exit 1 listing every problem) and report facts "
                         "whose example questions clash with another fact's")
    validate.add_argument("--no-clashes", action="store_true",
                          help="skip the cross-validation of example questions (a few seconds)")
    validate.add_argument("--strict", action="store_true", help="exit 1 when there are clashes")
    validate.set_defaults(handler=_validate)
    build = commands.add_parser("build", help="validate, replace the store's content atomically "
                                              "and regenerate the derived training data")
    build.add_argument("--generated-dir", type=Path, default=None,
                       help="where to write the training data (default: $GENERATED_DATA_DIR or "
                            "data/generated)")
    build.set_defaults(handler=_build)
    listing = commands.add_parser("list", help="list fact ids, topics and English statements")
    listing.add_argument("--topic", choices=TOPICS)
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="show one fact in every language with its source")
    show.add_argument("fact_id")
    show.set_defaults(handler=_show)
    search = commands.add_parser("search", help="full-text search in one language")
    search.add_argument("text")
    search.add_argument("--lang", choices=LANGUAGES, default="en")
    search.add_argument("--limit", type=int, default=5)
    search.set_defaults(handler=_search)
    return parser


def _folder(args: argparse.Namespace) -> Path:
    return args.facts_dir or settings().facts_dir


def _validate(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(_folder(args))
    print(f"OK: {len(catalogue.facts)} facts, {len(catalogue.groups)} groups, "
          f"{len(catalogue.entities)} entities and {len(catalogue.menu)} menu entries "
          f"in {_folder(args)}")
    mismatches = find_type_mismatches(catalogue)
    if mismatches:
        print(f"{sum(m.count for m in mismatches)} example question(s) ask for something their "
              "fact does not give; the bot answers them with \"my sources don't say\". Declare "
              "the type in the fact's answers if its statement gives it, or reword:")
        for mismatch in mismatches:
            print(f"  {mismatch}")
    if args.no_clashes:
        return 0
    clashes = find_clashes(catalogue)
    if not clashes:
        print("No clashes: every fact's example questions are told apart from the others' "
              "(cross-validated).")
        return 0
    print(f"{len(clashes)} clash(es) between example questions (cross-validated); reword them:")
    for clash in clashes:
        print(f"  {clash}")
    return 1 if args.strict else 0


def _build(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(_folder(args))
    store = FactsStore(args.db)
    report = store.build(catalogue)
    print(f"Built {store.url}: {report.facts} facts, {len(catalogue.groups)} groups, "
          f"{report.menu_entries} menu entries ({report.built_at})")
    path, changed = write_training_data(catalogue, args.generated_dir or settings().generated_data_dir)
    print(f"Training data derived from the facts: {path} "
          f"({'changed: the next make run retrains' if changed else 'unchanged'})")
    return 0


def _list(args: argparse.Namespace) -> int:
    for fact in FactsStore(args.db).all(args.topic):
        print(f"{fact.id:30} {fact.topic:13} {fact.statement['en'][:70]}")
    return 0


def _show(args: argparse.Namespace) -> int:
    fact = FactsStore(args.db).get(args.fact_id)
    if fact is None:
        print(f"No fact with id '{args.fact_id}'.", file=sys.stderr)
        return 1
    print(f"{fact.id} [{fact.topic}]")
    print(f"  answers: {', '.join(fact.answers)}")
    if fact.entities:
        print(f"  about: {', '.join(fact.entities)}")
    for lang in LANGUAGES:
        print(f"  {lang}: {fact.statement[lang]}")
    if fact.website:
        print(f"  website (not from the sources): {fact.website}")
    for citation in fact.sources:
        for quote in citation.quotes:
            print(f"  source {citation.source}: “{quote}”")
    print(f"  related: {', '.join(fact.related) or '-'}")
    return 0


def _search(args: argparse.Namespace) -> int:
    hits = FactsStore(args.db).search(args.text, args.lang, args.limit)
    if not hits:
        print("No match.")
    for hit in hits:
        print(f"{hit.score:5.2f}  {hit.fact.id:30} {hit.fact.statement[args.lang][:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
