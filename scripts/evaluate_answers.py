"""Measure what the bot would answer on held-out questions: does it state a fact only when the
sources answer the question?

Runs the trained model in-process (Rasa's Agent: the same NLU pipeline as the server) and the same
decision code the actions use (``bot.answering.decide``) over ``tests/adversarial/<lang>.yml`` and
``tests/adversarial/set2/<lang>.yml`` (a second set, 2026-12-07) and
``tests/adversarial/offices/<lang>.yml`` (who holds an office, 2026-12-08), written for this purpose
and never trained on:

- ``unanswerable``: near-domain questions the sources do not answer. A reply that states a fact is
  **misleading** (target: <= 2 % per language);
- ``answerable``: paraphrases of questions the facts answer, none of them a training example. The
  reply must state one of the listed facts (**answerable recall**, target >= 97 %);
- ``names``: messages that are only names; the reply must be those entities' cards.

The question types and the decision code were refined after reading the errors on those sets, so
their figures are optimistic. ``tests/adversarial/blind/v<N>/<lang>.yml`` are the **blind sets**:
50 unanswerable and 50 answerable questions per language each, written by someone who saw the
article and the list of facts only (not the training data, the question types or the sets above),
each after the tuning of its time; they are reported separately, their wrong replies are never
printed, and they must not be used to tune anything. v1 was written on 2026-11-28 and its
per-category counts were read once (docs/evaluation.md); v2 on 2026-11-29, v3 in the session after
v4 on 2026-12-07 and v5 in the session after (the labels of v3, v4 and v5 checked by a second
helper that saw neither the bot's replies nor the training data), each first scored on the model it
was written against, before any change that followed. v3's wrong replies were read on 2026-12-07
(``READ_SINCE``): it is reported as read, and blind no longer.

It also reports the reply language a first message with no channel hint gets (target 100 %), the
fact-level accuracy on the held-out NLU sets (``tests/nlu``: fact questions, and out-of-scope
questions that must get no fact), a sweep of the confidence threshold and the effect of each
signal (question types off, out-of-scope class ignored, named-entity check off, number check
off). Writes ``reports/answers/summary.md``.

The issue's targets are printed as met or not met. The exit code guards against regressions: it is
1 when a language falls below the floors (``--max-misleading``, ``--min-recall``,
``--min-language``; misleading and recall apply to both sets), which are set under the last
measured figures with room for retraining noise (docs/evaluation.md), not at the targets, while
the targets are not reached yet.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answering import Decision, decide  # noqa: E402
from bot.facts import FactsStore, load_catalogue  # noqa: E402
from bot.facts.schema import (  # noqa: E402
    ENTITY_INTENT,
    FACT_INTENT,
    NOT_ANSWERED_INTENT,
    OUT_OF_SCOPE_INTENT,
)
from bot.facts.training_data import block_examples  # noqa: E402
from bot.language import resolve_language  # noqa: E402
from bot.language.hints import language_hint, with_language_hint  # noqa: E402
from bot.settings import LANGUAGES, settings  # noqa: E402

#: The adversarial sets tuned on, scored together: the first, the second (set2, 2026-12-07) and
#: the office questions (offices, 2026-12-08).
TUNED_ON = (ROOT / "tests" / "adversarial", ROOT / "tests" / "adversarial" / "set2",
            ROOT / "tests" / "adversarial" / "offices")
#: The blind sets (tests/adversarial/blind/v<N>/): written from the article and the list of facts
#: only, each after the decision code and the question types were last tuned; never tuned on.
BLIND = ROOT / "tests" / "adversarial" / "blind"
#: Their case kinds: "blind<N>_unanswerable" / "blind<N>_answerable".
BLIND_SETS = tuple(sorted(p.name for p in BLIND.iterdir() if p.is_dir())) if BLIND.is_dir() else ()
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
#: The issue's targets, per language.
TARGET_MISLEADING = 0.02
TARGET_RECALL = 0.97
TARGET_LANGUAGE = 1.0
#: Blind sets whose answerable recall was first measured under ``--min-recall``: their own, lower
#: regression floor (docs/evaluation.md, "Regression floors"). v3's English answerable questions
#: were at 70-74 % with the model it was written against; v4's Japanese ones at 80 %; v6's
#: Japanese and English ones at 72 %, and v6's English ones read 62-78 % over 13 trainings of
#: 2026-12-07's fifth session (seeds, epochs, features), hence its floor at 60 %. v7's Indonesian
#: answerable questions were at 83 % when first scored (2026-12-08), closer to 80 % than retraining
#: noise (up to 6 points between seeds), hence 75 %. v8's English ones were at 79 % when first
#: scored (the second session of 2026-12-08), hence 70 %.
RECALL_FLOORS = {"v3": 0.65, "v4": 0.75, "v6": 0.60, "v7": 0.75, "v8": 0.70}
#: Blind sets whose misleading rate was first measured over ``--max-misleading``: their own, higher
#: regression ceiling. v5's English unanswerable questions were at 28 % when it was first scored,
#: v6's Indonesian ones at 30 %.
MISLEADING_CEILINGS = {"v5": 0.34, "v6": 0.36}
#: Blind sets whose wrong replies were later read to find signals and cues, and the day: tuned on
#: since, so no longer blind; kept (and marked in the report) so their figures stay comparable.
READ_SINCE = {"v3": "2026-12-07"}


@dataclass
class Case:
    lang: str
    kind: str  # unanswerable | answerable | names | heldout
    text: str
    expected: tuple[str, ...]  # fact/group ids, or entity names for names
    parse: dict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "briefing-bot.tar.gz"))
    parser.add_argument("--out", default=str(ROOT / "reports" / "answers"))
    parser.add_argument("--threshold", type=float, default=None,
                        help="confidence threshold to report (default: BOT_ANSWER_MIN_CONFIDENCE)")
    parser.add_argument("--max-misleading", type=float, default=0.25,
                        help="regression floor: highest misleading-answer rate per language")
    parser.add_argument("--min-recall", type=float, default=0.80,
                        help="regression floor: lowest answerable recall per language")
    parser.add_argument("--min-language", type=float, default=0.90,
                        help="regression floor: lowest share of first messages in the right language")
    args = parser.parse_args()
    threshold = settings().bot_answer_min_confidence if args.threshold is None else args.threshold
    store = _store()
    cases = _cases()
    unknown = _unknown_answers(cases, store)
    if unknown:
        print(f"Unknown fact or group ids in the evaluation sets: {', '.join(unknown)}",
              file=sys.stderr)
        return 2
    cases = asyncio.run(_parse_all(Path(args.model), cases))
    rates, languages = _rates(cases, store, threshold), _reply_language(cases)
    lines = _report(cases, store, threshold, rates, languages)
    targets = _within(rates, languages, TARGET_MISLEADING, TARGET_RECALL, TARGET_LANGUAGE)
    floors = _within(rates, languages, args.max_misleading, args.min_recall, args.min_language,
                     RECALL_FLOORS, MISLEADING_CEILINGS)
    lines[4:4] = [f"Issue targets (misleading ≤ 2 %, recall ≥ 97 %, reply language 100 %, each "
                  f"language): **{'met' if targets else 'not met yet'}**. Regression floors "
                  f"(misleading ≤ {args.max_misleading:.0%}, recall ≥ {args.min_recall:.0%}{_own_floors()}, "
                  f"language ≥ {args.min_language:.0%}): {'held' if floors else 'BROKEN'}.", ""]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if floors else 1


def _store() -> FactsStore:
    """A private store built from the facts files, so the run measures exactly what is in git."""
    folder = Path(tempfile.mkdtemp(prefix="answers-eval-"))
    store = FactsStore(f"sqlite:///{folder / 'facts.db'}")
    store.build(load_catalogue(settings().facts_dir))
    return store


def _cases() -> list[Case]:
    cases = []
    for lang in LANGUAGES:
        for folder in TUNED_ON:
            data = yaml.safe_load((folder / f"{lang}.yml").read_text("utf-8"))
            cases += [Case(lang, "unanswerable", i["text"], (), {}) for i in data["unanswerable"]]
            cases += [Case(lang, "answerable", i["text"], tuple(i["facts"]), {})
                      for i in data["answerable"]]
            cases += [Case(lang, "names", i["text"], tuple(i["entities"]), {})
                      for i in data.get("names", [])]
        heldout = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text("utf-8"))
        for block in heldout["nlu"]:
            intent = block.get("intent", "")
            for text, fact in block_examples(block):
                if intent in (NOT_ANSWERED_INTENT, OUT_OF_SCOPE_INTENT):
                    cases.append(Case(lang, "heldout_oos", text, (), {}))
                elif intent.startswith(FACT_INTENT + "/"):
                    cases.append(Case(lang, "heldout", text, (intent.split("/", 1)[1],), {}))
                elif intent == ENTITY_INTENT and fact:  # "who is …?": the card must state it
                    cases.append(Case(lang, "heldout", text, (fact,), {}))
        near = yaml.safe_load((ROOT / "tests" / "nlu" / "near_domain" / f"{lang}.yml").read_text("utf-8"))
        cases += [Case(lang, "heldout_oos", i["text"], (), {}) for i in near["unanswerable"]]
        for version in BLIND_SETS:
            blind = yaml.safe_load((BLIND / version / f"{lang}.yml").read_text("utf-8"))
            kind = f"blind{version}_"
            cases += [Case(lang, kind + "unanswerable", i["text"], (), {})
                      for i in blind["unanswerable"]]
            cases += [Case(lang, kind + "answerable", i["text"], tuple(i["facts"]), {})
                      for i in blind["answerable"]]
    return cases


async def _parse_all(model: Path, cases: list[Case]) -> list[Case]:
    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse at debug level through structlog; keep the report readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(model))
    for case in cases:
        case.parse = await agent.parse_message(case.text)
    return cases


def _unknown_answers(cases: list[Case], store: FactsStore) -> list[str]:
    """Expected ids that name no fact or group: a stale label can never be met, so it would
    count a right reply as wrong without anyone noticing."""
    known = {fact.id for fact in store.all()} | {group.id for group in store.groups()}
    return sorted({answer for case in cases if case.kind not in ("names",)
                   for answer in case.expected if answer not in known})


def _outcome(case: Case, decision: Decision, store: FactsStore) -> bool:
    """True when the reply is right for this case."""
    stated = {f.id for f in decision.facts}
    if case.kind in ("unanswerable", "heldout_oos") or case.kind.endswith("_unanswerable"):
        return decision.kind not in ("answer", "cards", "briefing")
    if case.kind == "names":
        covered = {e for f in decision.facts for e in f.entities}
        return decision.kind == "cards" and set(case.expected) <= covered
    expected = set(case.expected)
    for answer_id in case.expected:
        group = store.group(answer_id)
        if group:
            expected |= set(group.facts)
    return decision.kind in ("answer", "cards", "briefing") and bool(stated & expected)


def _rates(cases: list[Case], store: FactsStore, threshold: float,
           decide_with: Callable[..., Decision] | None = None) -> dict[tuple[str, str], float]:
    results: dict[tuple[str, str], list[bool]] = {}
    for case in cases:
        decision = _decide(case, store, threshold, decide_with)
        results.setdefault((case.lang, case.kind), []).append(_outcome(case, decision, store))
    return {key: sum(values) / len(values) for key, values in results.items()}


def _decide(case: Case, store: FactsStore, threshold: float,
            decide_with: Callable[..., Decision] | None = None) -> Decision:
    """The decision as the action makes it, in the case's language (the conversation's language
    in a chat), with the search's second opinion from BOT_ANSWER_MIN_SEARCH_CONFIDENCE up to
    ``threshold``."""
    search_floor = min(settings().bot_answer_min_search_confidence, threshold)
    return (decide_with or decide)(case.parse, store, min_confidence=threshold, lang=case.lang,
                                   min_search_confidence=search_floor)


def _reply_language(cases: list[Case]) -> dict[str, float]:
    """The language a first message with no channel hint is answered in: the channels' hint
    (``with_language_hint``, which falls back to the text), then ``resolve_language``."""
    right: dict[str, list[bool]] = {}
    for case in cases:
        if case.kind.startswith("heldout"):
            continue
        hint = language_hint(with_language_hint({}, case.text))
        language = resolve_language(case.text, hint=hint).language
        right.setdefault(case.lang, []).append(language == case.lang)
    return {lang: sum(v) / len(v) for lang, v in right.items()}


def _report(cases: list[Case], store: FactsStore, threshold: float,
            rates: dict[tuple[str, str], float], languages: dict[str, float]) -> list[str]:
    """The summary; ``rates`` and ``languages`` are those at ``threshold`` (``_rates``,
    ``_reply_language``)."""
    counts: dict[tuple[str, str], int] = {}
    for case in cases:
        counts[(case.lang, case.kind)] = counts.get((case.lang, case.kind), 0) + 1
    lines = [
        "# Answer precision on held-out questions", "",
        "Written by `scripts/evaluate_answers.py` (tests/adversarial/*.yml, never trained on; "
        f"tests/nlu/*.yml fact questions). Confidence threshold {threshold:.2f}.", "",
        "| language | unanswerable | misleading (≤ 2 %) | answerable | recall (≥ 97 %) | names | "
        "names right | held-out NLU fact questions | right fact | reply language (100 %) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lang in LANGUAGES:
        lines.append(
            f"| {lang} | {counts.get((lang, 'unanswerable'), 0)} | "
            f"{1 - rates.get((lang, 'unanswerable'), 1):.1%} | "
            f"{counts.get((lang, 'answerable'), 0)} | {rates.get((lang, 'answerable'), 0):.1%} | "
            f"{counts.get((lang, 'names'), 0)} | {rates.get((lang, 'names'), 0):.1%} | "
            f"{counts.get((lang, 'heldout'), 0)} | {rates.get((lang, 'heldout'), 0):.1%} | "
            f"{languages.get(lang, 0):.1%} |")
    lines += ["", "## Blind sets (tests/adversarial/blind)", "",
              "Written from the article and the list of facts only, without seeing the training "
              "data, the question types or the sets above, each after the decision code was last "
              "tuned. A set marked *read* had its wrong replies read on that day to find signals "
              "and cues: it has been tuned on since and is blind no longer.", "",
              "| set | language | unanswerable | misleading (≤ 2 %) | answerable | recall (≥ 97 %) |",
              "|---|---|---|---|---|---|"]
    for version in BLIND_SETS:
        kind = f"blind{version}_"
        for lang in LANGUAGES:
            lines.append(
                f"| {_set_name(version)} | {lang} | "
                f"{counts.get((lang, kind + 'unanswerable'), 0)} | "
                f"{1 - rates.get((lang, kind + 'unanswerable'), 1):.1%} | "
                f"{counts.get((lang, kind + 'answerable'), 0)} | "
                f"{rates.get((lang, kind + 'answerable'), 0):.1%} |")
    blind_heads = "".join(f" {v} misleading | {v} recall |" for v in BLIND_SETS)
    blind_rule = "---|---|" * len(BLIND_SETS)
    lines += ["", "## Confidence threshold (all languages)", "",
              "| threshold | misleading | answerable recall | held-out right fact |" + blind_heads,
              "|---|---|---|---|" + blind_rule]
    for value in THRESHOLDS:
        swept = _rates(cases, store, value)
        lines.append(f"| {value:.1f} | {_mean(swept, 'unanswerable', invert=True):.1%} | "
                     f"{_mean(swept, 'answerable'):.1%} | {_mean(swept, 'heldout'):.1%} |"
                     + _blind_cells(swept))
    lines += ["", "## What each signal contributes (all languages, same threshold)", "",
              "| variant | misleading | answerable recall |" + blind_heads, "|---|---|---|" + blind_rule]
    for name, variant in _variants():
        swept = _rates(cases, store, threshold, variant)
        lines.append(f"| {name} | {_mean(swept, 'unanswerable', invert=True):.1%} | "
                     f"{_mean(swept, 'answerable'):.1%} |" + _blind_cells(swept))
    lines += ["", "## Wrong replies", "",
              "The blind sets' wrong replies are left out on purpose: reading them would make them "
              "more sets to tune on.", ""]
    for case in cases:
        decision = _decide(case, store, threshold)
        if not case.kind.startswith("blind") and not _outcome(case, decision, store):
            intent = (case.parse.get("intent") or {}).get("name")
            lines.append(f"- [{case.lang}/{case.kind}] “{case.text}” → {decision.kind} "
                         f"{[f.id for f in decision.facts]} (intent {intent}, label "
                         f"{decision.label}, {decision.confidence:.2f}); expected "
                         f"{list(case.expected) or 'no fact'}")
    return lines


def _variants() -> list[tuple[str, Callable[..., Decision]]]:
    def without_question_types(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, question_types=[], **kwargs)

    def ignoring_out_of_scope(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        ranking = parse.get("intent_ranking") or []
        names = [r.get("name") for r in ranking if r.get("name") not in ("out_of_scope",)]
        if (parse.get("intent") or {}).get("name") == "out_of_scope" and names:
            parse = {**parse, "intent": {"name": names[0], "confidence": 1.0}}
        return decide(parse, store, **kwargs)

    def without_mentions(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, check_mentions=False, **kwargs)

    def without_numbers(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, check_numbers=False, **kwargs)

    def without_listed(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, check_listed=False, **kwargs)

    def without_offices(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, check_offices=False, **kwargs)

    def without_search(parse: dict, store: FactsStore, **kwargs: Any) -> Decision:
        return decide(parse, store, **{**kwargs, "min_search_confidence": None})

    return [("all signals", decide), ("without question types", without_question_types),
            ("without the out-of-scope class", ignoring_out_of_scope),
            ("without the named-entity check", without_mentions),
            ("without the number check", without_numbers),
            ("without the inclusion check", without_listed),
            ("without the office check", without_offices),
            ("without the search's second opinion", without_search)]


def _blind_cells(rates: dict[tuple[str, str], float]) -> str:
    return "".join(f" {_mean(rates, f'blind{v}_unanswerable', invert=True):.1%} | "
                   f"{_mean(rates, f'blind{v}_answerable'):.1%} |" for v in BLIND_SETS)


def _set_name(version: str) -> str:
    return f"{version} (*read* {READ_SINCE[version]})" if version in READ_SINCE else version


def _mean(rates: dict[tuple[str, str], float], kind: str, invert: bool = False) -> float:
    values = [v for (_, k), v in rates.items() if k == kind]
    mean = sum(values) / len(values) if values else 0.0
    return 1 - mean if invert else mean


def _own_floors() -> str:
    recall = "".join(f"; {v}: ≥ {f:.0%}" for v, f in RECALL_FLOORS.items() if v in BLIND_SETS)
    return recall + "".join(f"; {v} misleading: ≤ {f:.0%}" for v, f in MISLEADING_CEILINGS.items()
                            if v in BLIND_SETS)


def _within(rates: dict[tuple[str, str], float], languages: dict[str, float],
            max_misleading: float, min_recall: float, min_language: float,
            recall_floors: dict[str, float] | None = None,
            misleading_ceilings: dict[str, float] | None = None) -> bool:
    """Whether every language of every set is within the limits; ``recall_floors`` lowers the
    recall limit and ``misleading_ceilings`` raises the misleading limit for the blind sets they
    name (the regression floors, never the targets)."""
    ok = True
    for lang in LANGUAGES:
        # the tuned-on set and each blind set, each language
        for version in ("", *BLIND_SETS):
            kind = f"blind{version}_" if version else ""
            recall_floor = min(min_recall, (recall_floors or {}).get(version, min_recall))
            ceiling = max(max_misleading, (misleading_ceilings or {}).get(version, max_misleading))
            ok &= 1 - rates.get((lang, f"{kind}unanswerable"), 0) <= ceiling + 1e-9
            ok &= rates.get((lang, f"{kind}answerable"), 0) >= recall_floor - 1e-9
        ok &= languages.get(lang, 0) >= min_language - 1e-9
    return ok


if __name__ == "__main__":
    sys.exit(main())
