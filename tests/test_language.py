"""Language detection and resolution on labelled messages, short and long, clear and ambiguous."""

from __future__ import annotations

import pytest

from bot.language import (
    detect_language,
    language_from_hint,
    requested_language,
    resolve_language,
)

# (message, language the message itself clearly signals, or None when it must not guess)
LABELLED = [
    # Markup and links carry no language: their words (img, src, https) are not evidence
    ("<b>halo</b><img src=x onerror=alert(1)>", None),
    ("<script>alert(1)</script>", None),
    # Indonesian, long and short, formal and informal
    ("Apa itu SMRJ?", "id"),
    ("Siapa yang ditemui Menteri Teten di Jepang?", "id"),
    ("Berapa target rasio kredit perbankan untuk UMKM pada 2024?", "id"),
    ("gimana kerja sama koperasi indonesia jepang", "id"),
    ("brp persen belanja pemerintah buat produk umkm", "id"),
    ("nggak ngerti, jelasin lagi dong", "id"),
    ("Kapan pertemuannya?", "id"),
    ("Siapa Nagamine?", "id"),
    ("Sejak kapan kerja sama ini berjalan?", "id"),
    ("komoditas apa saja yang dihilirisasi oleh UMKM", "id"),
    ("terima kasih", "id"),
    ("selamat pagi", "id"),
    ("tolong jelaskan tentang Smesco", "id"),
    ("Indonesia tidak lagi akan mengirim bahan baku tambang ke luar negeri?", "id"),
    ("min, ada beasiswa magang di jepang gak?", "id"),
    ("Saya ingin tahu tentang kerja sama Tokyo SME Center dengan Smesco", "id"),
    ("apa?", "id"),
    ("rasio kredit perbankan", "id"),
    ("Kementerian Koperasi dan UKM mengajak SME Jepang membentuk joint venture dengan UKM Indonesia", "id"),
    ("udang kepiting sidat termasuk komoditas unggulan ya", "id"),
    # Japanese: kana, kanji only, mixed with Latin names
    ("SMRJとは何ですか？", "ja"),
    ("中小機構について教えて", "ja"),
    ("蒲郡", "ja"),
    ("蒲郡市", "ja"),
    ("融資比率の目標は？", "ja"),
    ("テテン大臣は誰と会ったの", "ja"),
    ("ありがとう", "ja"),
    ("こんにちは", "ja"),
    ("日本語でお願いします", "ja"),
    ("インドネシアと日本の協同組合協力はいつから続いていますか", "ja"),
    ("METIの役割は？", "ja"),
    ("Smescoって何", "ja"),
    ("胡椒45トン", "ja"),
    ("経済産業省", "ja"),
    ("はい", "ja"),
    ("スタートアップで世界何位？", "ja"),
    # English
    ("What is SMRJ?", "en"),
    ("Who did Minister Teten meet in Japan?", "en"),
    ("How much of the state budget goes to local products?", "en"),
    ("what's the credit ratio target for 2024", "en"),
    ("When was the meeting?", "en"),
    ("who is nagamine", "en"),
    ("thank you", "en"),
    ("good morning", "en"),
    ("tell me about the joint venture invitation", "en"),
    ("Is shrimp one of the downstreamed commodities?", "en"),
    ("which organisations are involved", "en"),
    ("credit ratio target", "en"),
    ("Since when have Indonesia and Japan cooperated on SMEs?", "en"),
    ("can you explain the import substitution policy please", "en"),
    ("what about IFC", "en"),
    # No clear signal: names, acknowledgements, emoji, punctuation, empty
    ("ok", None),
    ("OK", None),
    ("oke", None),
    ("IFC?", None),
    ("Smesco", None),
    ("SMRJ", None),
    ("METI?", None),
    ("Teten Masduki", None),
    ("UMKM", None),
    ("👍", None),
    ("🙂🙂🙂", None),
    ("???", None),
    ("", None),
    ("   ", None),
    ("thanks", None),
    ("hello", None),
    ("startup", None),
    ("2024", None),
    ("40%", None),
]


def test_there_are_at_least_sixty_labelled_messages():
    assert len(LABELLED) >= 60


@pytest.mark.parametrize(("text", "expected"), LABELLED)
def test_detects_only_clear_signals(text, expected):
    assert detect_language(text).language == expected


@pytest.mark.parametrize(("text", "expected"), [(t, e) for t, e in LABELLED if e is None])
@pytest.mark.parametrize("current", ["id", "ja", "en"])
def test_ambiguous_messages_keep_the_conversation_language(text, expected, current):
    resolution = resolve_language(text, current=current, hint="ja-JP")
    assert (resolution.language, resolution.reason) == (current, "conversation")


@pytest.mark.parametrize(("text", "expected"), [(t, e) for t, e in LABELLED if e])
def test_clear_messages_override_the_conversation_language(text, expected):
    for current in ("id", "ja", "en"):
        assert resolve_language(text, current=current).language == expected


@pytest.mark.parametrize(
    ("hint", "expected"),
    [("ja-JP", "ja"), ("ja", "ja"), ("id", "id"), ("in", "id"), ("id_ID", "id"), ("en-US", "en"),
     ("EN", "en"), ("fr-FR", None), ("", None), (None, None), (42, None)],
)
def test_channel_hints(hint, expected):
    assert language_from_hint(hint) == expected


def test_first_ambiguous_message_uses_hint_then_default():
    assert resolve_language("ok", hint="ja-JP") == resolve_language("", hint="ja")
    assert resolve_language("ok", hint="ja-JP").reason == "hint"
    assert resolve_language("ok", hint="fr").language == "en"
    assert resolve_language("ok").reason == "default"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("English please", "en"), ("pakai bahasa Indonesia", "id"), ("日本語でお願いします", "ja"),
     ("bisa pakai bahasa Inggris?", "en"), ("英語で話して", "en"), ("インドネシア語で答えて", "id"),
     ("can you answer in Japanese instead of English?", "ja"), ("nihongo de onegai", "ja"),
     ("bahasa jepang aja", "ja"), ("in english pls", "en")],
)
def test_explicit_requests_switch(text, expected):
    assert requested_language(text) == expected
    for current in ("id", "ja", "en"):
        resolution = resolve_language(text, intent="switch_language", current=current)
        assert (resolution.language, resolution.reason) == (expected, "requested")


def test_language_names_outside_a_switch_request_do_not_switch():
    # "Jepang" in an Indonesian question is the country, not a request for Japanese.
    assert resolve_language("kerja sama dengan Jepang sejak kapan?", intent="ask_cooperation_history",
                            current="id").language == "id"


def test_long_and_mixed_input_is_handled():
    assert detect_language("Apa itu SMRJ? " * 2000).language == "id"
    assert detect_language("SMRJ " + "あ" + "x" * 20000).language == "ja"
    assert detect_language("Apa itu 中小機構?").language == "id"
