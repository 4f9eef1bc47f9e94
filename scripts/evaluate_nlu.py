"""Evaluate intent classification on the held-out test files, one language at a time.

Runs ``rasa test nlu`` once on ``tests/nlu/<lang>.yml`` (examples never seen in training; one run
loads the model once), splits its per-example predictions by the file each example came from,
scores each language as Rasa's report does (accuracy, macro-F1 over the expected labels), writes
``reports/nlu/summary.md`` and exits 1 if any language's intent macro-F1 is below
the bar (0.95 unless ``--min-f1`` says otherwise). It also shows how the FallbackClassifier
threshold trades answers for mistakes: a message whose top intent scores below the threshold gets
the honest "I don't know" instead of a possibly wrong answer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id", "ja", "en")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "briefing-bot.tar.gz"))
    parser.add_argument("--out", default=str(ROOT / "reports" / "nlu"))
    parser.add_argument("--min-f1", type=float, default=0.95)
    args = parser.parse_args()
    rasa = str(Path(sys.executable).with_name("rasa"))
    out = Path(args.out)
    # One `rasa test nlu` over the three files (a folder holding copies of just them): loading the
    # model is most of its cost, so three runs cost three loads.
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as folder:
        for lang in LANGUAGES:
            shutil.copy(ROOT / "tests" / "nlu" / f"{lang}.yml", Path(folder) / f"{lang}.yml")
        subprocess.run([rasa, "test", "nlu", "--model", args.model, "--nlu", folder, "--out",
                        str(out), "--no-plot", "--quiet", "--successes"],
                       cwd=ROOT, stdout=subprocess.DEVNULL, check=True, timeout=900)
    origin = _languages_of_examples()
    intents = _by_language(_read(out, "intent_errors.json"), _read(out, "intent_successes.json"),
                           origin)
    facts = _by_language(_read(out, "response_selection_errors.json"),
                         _read(out, "response_selection_successes.json"), origin)
    rows = []
    for lang in LANGUAGES:
        errors = [e for e, wrong in intents[lang] if wrong]
        successes = [e for e, wrong in intents[lang] if not wrong]
        accuracy, f1 = _scores([(e["intent"], e["intent_prediction"]["name"]) for e, _ in intents[lang]])
        fact_pairs = [(e["intent_response_key_target"], e["intent_response_key_prediction"]["name"])
                      for e, _ in facts[lang]]
        fact_accuracy, fact_f1 = _scores(fact_pairs)
        rows.append((lang, f1, accuracy, len(intents[lang]), errors, successes, fact_accuracy,
                     fact_f1, len(fact_pairs)))
    summary = _summary(rows, args.min_f1)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    return 0 if all(f1 >= args.min_f1 for _, f1, *_ in rows) else 1


def _read(folder: Path, name: str) -> list[dict]:
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _languages_of_examples() -> dict[str, list[str]]:
    """Each held-out text -> the languages whose file has it (once per occurrence)."""
    origin: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        for example in load_data(str(ROOT / "tests" / "nlu" / f"{lang}.yml")).nlu_examples:
            origin.setdefault(example.get(TEXT), []).append(lang)
    return origin


def _by_language(errors: list[dict], successes: list[dict],
                 origin: dict[str, list[str]]) -> dict[str, list[tuple[dict, bool]]]:
    """Predictions grouped by the language file their text came from; (prediction, is_error).
    A text in two files is counted once for each, in file order."""
    remaining = {text: list(langs) for text, langs in origin.items()}
    grouped: dict[str, list[tuple[dict, bool]]] = {lang: [] for lang in LANGUAGES}
    for entry, wrong in [*((e, True) for e in errors), *((e, False) for e in successes)]:
        langs = remaining.get(entry["text"])
        if not langs:
            raise SystemExit(f"rasa test nlu reported a text no held-out file has: {entry['text']!r}")
        grouped[langs.pop(0)].append((entry, wrong))
    return grouped


def _scores(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """Accuracy, and macro-F1 over the expected labels, as Rasa's reports compute them
    (``rasa.model_testing.get_evaluation_metrics``: sklearn's report over the target labels)."""
    if not pairs:
        return 0.0, 0.0
    expected, predicted = zip(*pairs, strict=True)
    _, _, f1, _ = precision_recall_fscore_support(expected, predicted, labels=sorted(set(expected)),
                                                  average="macro", zero_division=0)
    return accuracy_score(expected, predicted), float(f1)


def _summary(rows: list, min_f1: float) -> str:
    lines = ["# NLU evaluation on held-out examples", "",
             f"Intent macro-F1 per language (bar: {min_f1:.2f}). Written by scripts/evaluate_nlu.py.",
             "Fact level: which fact or group Rasa's ResponseSelector picks for the `ask_fact` "
             "questions (labels `ask_fact/<id>`).", "",
             "| language | examples | accuracy | macro-F1 | meets bar | fact questions | "
             "fact accuracy | fact macro-F1 |", "|---|---|---|---|---|---|---|---|"]
    for lang, f1, accuracy, support, _, _, fact_accuracy, fact_f1, fact_support in rows:
        lines.append(f"| {lang} | {support} | {accuracy:.3f} | {f1:.3f} | "
                     f"{'yes' if f1 >= min_f1 else 'NO'} | {fact_support} | {fact_accuracy:.3f} | "
                     f"{fact_f1:.3f} |")
    lines += _threshold_table(rows)
    lines += ["", "## Misclassified examples", ""]
    for lang, _, _, _, errors, *_ in rows:
        for error in errors:
            predicted = error["intent_prediction"]
            lines.append(f"- [{lang}] “{error['text']}”: expected `{error['intent']}`, got "
                         f"`{predicted['name']}` ({predicted['confidence']:.2f})")
    return "\n".join(lines) + "\n"


def _threshold_table(rows: list) -> list[str]:
    """Per FallbackClassifier threshold: messages answered, and answered with the wrong intent."""
    predictions = [(e["intent"], e["intent_prediction"]["name"], e["intent_prediction"]["confidence"])
                   for _, _, _, _, errors, successes, *_ in rows for e in errors + successes]
    lines = ["", "## FallbackClassifier threshold (all languages)", "",
             f"{len(predictions)} held-out messages. Below the threshold the bot says it does not "
             "know; above it, a wrong intent means a wrong answer.", "",
             "| threshold | answered | wrong intent among answered |", "|---|---|---|"]
    for threshold in THRESHOLDS:
        answered = [(expected, got) for expected, got, confidence in predictions
                    if confidence >= threshold]
        wrong = sum(expected != got for expected, got in answered)
        lines.append(f"| {threshold:.1f} | {len(answered)} | {wrong} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
