"""Evaluate intent classification on the held-out test files, one language at a time.

Runs ``rasa test nlu`` on ``tests/nlu/<lang>.yml`` (examples never seen in training), reads each
report, writes ``reports/nlu/summary.md`` and exits 1 if any language's intent macro-F1 is below
the bar (0.95 unless ``--min-f1`` says otherwise).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id", "ja", "en")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "briefing-bot.tar.gz"))
    parser.add_argument("--out", default=str(ROOT / "reports" / "nlu"))
    parser.add_argument("--min-f1", type=float, default=0.95)
    args = parser.parse_args()
    rasa = str(Path(sys.executable).with_name("rasa"))
    out = Path(args.out)
    rows = []
    for lang in LANGUAGES:
        target = out / lang
        subprocess.run(
            [rasa, "test", "nlu", "--model", args.model, "--nlu", str(ROOT / "tests" / "nlu" /
             f"{lang}.yml"), "--out", str(target), "--no-plot", "--quiet"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )
        report = json.loads((target / "intent_report.json").read_text(encoding="utf-8"))
        errors = json.loads((target / "intent_errors.json").read_text(encoding="utf-8")) \
            if (target / "intent_errors.json").exists() else []
        rows.append((lang, report["macro avg"]["f1-score"], report["accuracy"],
                     int(report["macro avg"]["support"]), errors))
    summary = _summary(rows, args.min_f1)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    return 0 if all(f1 >= args.min_f1 for _, f1, *_ in rows) else 1


def _summary(rows: list, min_f1: float) -> str:
    lines = ["# NLU evaluation on held-out examples", "",
             f"Intent macro-F1 per language (bar: {min_f1:.2f}). Written by scripts/evaluate_nlu.py.",
             "", "| language | examples | accuracy | macro-F1 | meets bar |", "|---|---|---|---|---|"]
    for lang, f1, accuracy, support, _ in rows:
        lines.append(f"| {lang} | {support} | {accuracy:.3f} | {f1:.3f} | "
                     f"{'yes' if f1 >= min_f1 else 'NO'} |")
    lines += ["", "## Misclassified examples", ""]
    for lang, _, _, _, errors in rows:
        for error in errors:
            predicted = error["intent_prediction"]
            lines.append(f"- [{lang}] “{error['text']}”: expected `{error['intent']}`, got "
                         f"`{predicted['name']}` ({predicted['confidence']:.2f})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
