"""What the benchmark sends, and the in-process language-resolution timing.

Fact questions come from the held-out NLU test sets (tests/nlu/{id,ja,en}.yml) at run time, so the
benchmark asks what real users ask and never hard-codes answers; the stock bot gets the messages
its own training data is about (greetings and moods).
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from bot.facts.schema import NOT_ANSWERED_INTENT
from bot.runtime.processes import ROOT

LANGUAGES = ("id", "ja", "en")
NLU_TEST_DIR = ROOT / "tests" / "nlu"
#: Typical messages for the `rasa init` mood bot (greet, mood_unhappy, mood_great, goodbye, ...).
STOCK_MESSAGES = ("hi", "I am sad", "great", "hello there", "I am feeling very good", "yes",
                  "not really", "bye", "good morning", "very sad", "amazing", "are you a bot?")


ENTITY_MARKUP = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]+\}")


def _examples(path: Path) -> dict[str, list[str]]:
    """Intent -> examples of one Rasa NLU YAML file (markdown list items, entity markup removed)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        lines = [line.strip()[2:].strip() for line in str(block.get("examples", "")).splitlines()
                 if line.strip().startswith("- ")]
        out[block["intent"]] = [_strip_entities(line) for line in lines if line]
    return out


def _strip_entities(text: str) -> str:
    """``[SMRJ](org)`` -> ``SMRJ``: what a user would actually type."""
    return ENTITY_MARKUP.sub(lambda m: m.group(1) or m.group(2), text)


def fact_questions(per_language: int = 15, seed: int = 7) -> list[str]:
    """~``per_language`` questions per language from ``ask_*`` intents, interleaved id/ja/en.

    Round-robin over the intents so every topic is asked, shuffled with a fixed seed so each run
    sends the same messages in the same order.
    """
    rng = random.Random(seed)
    per_lang: list[list[str]] = []
    for lang in LANGUAGES:
        intents = {k: v for k, v in _examples(NLU_TEST_DIR / f"{lang}.yml").items()
                   if k.startswith("ask_") and k != NOT_ANSWERED_INTENT}
        for examples in intents.values():
            rng.shuffle(examples)
        picked: list[str] = []
        for depth in range(max((len(v) for v in intents.values()), default=0)):
            for examples in intents.values():
                if depth < len(examples) and len(picked) < per_language:
                    picked.append(examples[depth])
        rng.shuffle(picked)
        per_lang.append(picked)
    return [q for triple in zip(*per_lang, strict=False) for q in triple]


def varied_messages(limit: int) -> list[str]:
    """Up to ``limit`` messages of every intent in the three held-out sets (greetings, facts, chit-chat)."""
    pools = [[ex for exs in _examples(NLU_TEST_DIR / f"{lang}.yml").values() for ex in exs]
             for lang in LANGUAGES]
    mixed = [m for row in zip(*pools, strict=False) for m in row]
    return mixed[:limit]


def median_call_us(func: Callable[[str], object], messages: Sequence[str], passes: int = 3) -> float:
    """Median wall time of one call, in microseconds, after one untimed warm-up pass.

    The warm-up matters: langdetect loads its profiles and the lexicon is read on first use.
    """
    for message in messages:
        _safe(func, message)
    timings: list[float] = []
    for _ in range(passes):
        for message in messages:
            start = time.perf_counter_ns()
            _safe(func, message)
            timings.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(timings)


def _safe(func: Callable[[str], object], message: str) -> None:
    try:
        func(message)
    except Exception:  # langdetect raises on messages without letters (emoji, "?"); still timed
        pass


def language_timings(count: int) -> dict[str, float]:
    """Median µs per message of ``resolve_language`` and, for comparison, raw ``langdetect.detect``."""
    import langdetect

    from bot.language import resolve_language

    messages = varied_messages(count)
    return {
        "resolve_language": median_call_us(lambda t: resolve_language(t, current=None, hint=None), messages),
        "langdetect.detect": median_call_us(langdetect.detect, messages),
        "messages": float(len(messages)),
    }
