"""Evaluate intent classification on the held-out test files, one language at a time.

Runs ``rasa test nlu`` on ``tests/nlu/<lang>.yml`` (examples never seen in training), reads each
report, writes ``reports/nlu/summary.md`` and exits 1 if any language's intent macro-F1 is below
the bar (0.95 unless ``--min-f1`` says otherwise). It also shows how the FallbackClassifier
threshold trades answers for mistakes: a message whose top intent scores below the threshold gets
the honest "I don't know" instead of a possibly wrong answer.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

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
    rows = []
    # The three `rasa test nlu` runs at once: each spends most of its time loading the model on one
    # core, so on two cores this takes ~half the time of running them one after the other.
    runs = {lang: subprocess.Popen(
        [rasa, "test", "nlu", "--model", args.model, "--nlu", str(ROOT / "tests" / "nlu" /
         f"{lang}.yml"), "--out", str(out / lang), "--no-plot", "--quiet", "--successes"],
        cwd=ROOT, stdout=subprocess.DEVNULL) for lang in LANGUAGES}
    for run in runs.values():
        if run.wait(timeout=900) != 0:
            raise subprocess.CalledProcessError(run.returncode, run.args)
    for lang in LANGUAGES:
        target = out / lang
        report = json.loads((target / "intent_report.json").read_text(encoding="utf-8"))
        errors = json.loads((target / "intent_errors.json").read_text(encoding="utf-8")) \
            if (target / "intent_errors.json").exists() else []
        successes = json.loads((target / "intent_successes.json").read_text(encoding="utf-8")) \
            if (target / "intent_successes.json").exists() else []
        selection_path = target / "response_selection_report.json"
        selection = json.loads(selection_path.read_text(encoding="utf-8")) \
            if selection_path.exists() else {}
        rows.append((lang, report["macro avg"]["f1-score"], report["accuracy"],
                     int(report["macro avg"]["support"]), errors, successes,
                     selection.get("accuracy", 0.0),
                     selection.get("macro avg", {}).get("f1-score", 0.0),
                     int(selection.get("macro avg", {}).get("support", 0))))
    summary = _summary(rows, args.min_f1)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    return 0 if all(f1 >= args.min_f1 for _, f1, *_ in rows) else 1


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
