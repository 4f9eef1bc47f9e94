"""The domain keeps every reply in three languages, and actions only use responses it has."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def _responses() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def test_every_response_has_indonesian_japanese_and_default_english():
    for name, variations in _responses().items():
        languages = []
        for variation in variations:
            conditions = variation.get("condition") or []
            assert variation.get("text", "").strip(), name
            languages += [c["value"] for c in conditions if c["name"] == "language"] or ["en"]
        assert sorted(languages) == ["en", "id", "ja"], name


def test_variations_use_the_same_template_variables():
    for name, variations in _responses().items():
        placeholders = {frozenset(re.findall(r"{(\w+)}", v["text"])) for v in variations}
        assert len(placeholders) == 1, name


def test_japanese_variations_are_japanese_and_others_are_not():
    kana = re.compile(r"[\u3040-\u30ff]")
    for name, variations in _responses().items():
        for variation in variations:
            language = next((c["value"] for c in variation.get("condition") or []), "en")
            text = re.sub(r"{\w+}", "", variation["text"])
            assert bool(kana.search(text)) == (language == "ja"), (name, language)


def test_actions_utter_only_responses_the_domain_defines():
    used = set()
    for path in (ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'response="(\w+)"', path.read_text(encoding="utf-8")))
    assert used, "no response names found in actions/"
    assert used <= set(_responses()), used - set(_responses())


def test_the_telegram_channel_knows_how_every_source_line_starts():
    """Telegram sets source lines in italics by how they start (bot.channels.telegram
    SOURCE_LABELS): a source line reworded in the domain must not lose its italics unnoticed."""
    from bot.channels.telegram import SOURCE_LABELS

    for name, variations in _responses().items():
        for variation in variations:
            for paragraph in variation["text"].split("\n\n"):
                if re.search(r"{sources?}", paragraph):
                    assert paragraph.startswith(SOURCE_LABELS), (name, paragraph)
