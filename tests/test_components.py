"""Our Rasa NLU components on real sentences: tokenizer, lookup extractor, guard, language."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message

from bot.components.language_resolver import LanguageResolver
from bot.components.lookup_entity_extractor import LookupEntityExtractor
from bot.components.multilingual_tokenizer import MultilingualTokenizer
from bot.components.name_only_message import NameOnlyMessage, only_names
from bot.components.wordless_message_guard import WordlessMessageGuard
from bot.facts import load_catalogue
from bot.facts.training_data import write_training_data
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def tokenizer() -> MultilingualTokenizer:
    return MultilingualTokenizer.create(MultilingualTokenizer.get_default_config(), None, None, None)


def _tokens(tokenizer: MultilingualTokenizer, text: str) -> list[str]:
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    tokens = message.get(TEXT_TOKENS)
    for token in tokens:  # offsets point at the token's text in the message
        assert text[token.start:token.end] == token.text
    return [t.text for t in tokens]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中小機構とは何ですか？", ["中", "小", "機構", "と", "は", "何", "です", "か"]),
        ("蒲郡市との協力について教えてください", ["蒲郡", "市", "と", "の", "協力", "に", "つい", "て",
                                                 "教え", "て", "ください"]),
        ("インドネシアは原材料を輸出しない", ["インドネシア", "は", "原", "材料", "を", "輸出", "し", "ない"]),
    ],
)
def test_japanese_is_segmented_into_morphemes(tokenizer, text, expected):
    assert _tokens(tokenizer, text) == expected


def test_japanese_with_latin_acronyms(tokenizer):
    tokens = _tokens(tokenizer, "METIとSMRJの役割は？")
    assert "METI" in tokens and "SMRJ" in tokens and "役割" in tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Berapa rasio kredit UMKM pada 2024?", ["Berapa", "rasio", "kredit", "UMKM", "pada", "2024"]),
        ("gimana kerja sama-nya, min?", ["gimana", "kerja", "sama-nya", "min"]),
        # Rasa's own whitespace rules split at the apostrophe; we keep them unchanged.
        ("What's the credit ratio target?", ["What", "s", "the", "credit", "ratio", "target"]),
    ],
)
def test_indonesian_and_english_follow_whitespace_rules(tokenizer, text, expected):
    assert _tokens(tokenizer, text) == expected


@pytest.mark.parametrize("text", ["", "   ", "👍", "🙂🙂", "あ" * 5000])
def test_tokenizer_never_fails(tokenizer, text):
    assert _tokens(tokenizer, text)


@pytest.fixture(scope="module")
def extractor(tmp_path_factory) -> LookupEntityExtractor:
    """Trained on the lookup tables generated from data/facts/entities.yml, as `rasa train` is."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    component = LookupEntityExtractor.create({}, storage, Resource("lookups"), None)
    generated = tmp_path_factory.mktemp("generated")
    write_training_data(load_catalogue(ROOT / "data" / "facts"), generated)
    importer = TrainingDataImporter.load_from_dict(training_data_paths=[str(generated)])
    component.train(importer.get_nlu_data())
    return LookupEntityExtractor.load({}, storage, Resource("lookups"), None)


def _entities(extractor: LookupEntityExtractor, text: str) -> list[tuple[str, str]]:
    return [(e["entity"], e["value"]) for e in extractor.extract(text)]


def test_lookup_matches_japanese_inside_words_and_latin_only_as_words(extractor):
    assert ("organisation", "中小機構") in _entities(extractor, "中小機構とは何ですか")
    assert ("organisation", "蒲郡市") in _entities(extractor, "蒲郡市との協力は")
    assert ("organisation", "SMRJ") in _entities(extractor, "apa itu SMRJ?")
    assert _entities(extractor, "SMRJとは？") == [("organisation", "SMRJ")]
    assert ("organisation", "METI") in _entities(extractor, "経済産業省（METI）の役割")
    assert _entities(extractor, "sometimes a smrjx is metis or émeti") == []


def test_lookup_prefers_the_longest_match(extractor):
    assert _entities(extractor, "ekspor kelapa sawit") == [("commodity", "kelapa sawit")]
    assert ("commodity", "アブラヤシ") in _entities(extractor, "アブラヤシは対象ですか")
    assert ("commodity", "ヤシ") not in _entities(extractor, "アブラヤシは対象ですか")


def test_wordless_messages_become_nlu_fallback():
    guard = WordlessMessageGuard.create({}, None, None, None)
    messages = [Message(data={TEXT: t, INTENT: {"name": "greet", "confidence": 0.9}})
                for t in ["", "  ", "👍", "?!", "ok"]]
    guard.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["nlu_fallback"] * 4 + ["greet"]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [("Apa itu SMRJ?", "ask_organisation", "id"), ("SMRJとは？", "ask_organisation", "ja"),
     ("What is SMRJ?", "ask_organisation", "en"), ("pakai bahasa Inggris", "switch_language", "en"),
     ("英語でお願いします", "switch_language", "en"), ("ok", "affirm", None), ("IFC?", "ask_organisation", None),
     ("👍", "nlu_fallback", None)],
)
def test_language_entity_only_on_a_clear_signal(text, intent, expected):
    resolver = LanguageResolver.create({}, None, None, None)
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 1.0}, ENTITIES: []})
    resolver.process([message])
    languages = [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == "language"]
    assert languages == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Teten", True), ("SMRJ?", True), ("中小機構", True), ("中小機構とは？", True),
     ("rumput laut", True), ("tentang SMRJ dan IFC", True), ("METIとSMRJ", True),
     ("テテン大臣", True), ("about METI", True),
     # Asking who or what a person or organisation is: their card answers it.
     ("Apa itu SMRJ?", True), ("Siapa Teten?", True), ("Who is Nagamine?", True),
     ("ジョコウィとはどなたですか", True), ("SMRJはどんな機関ですか？", True),
     ("What are METI and SMRJ?", True), ("テテン大臣について教えてください", True),
     ("tell me about seaweed", True), ("海藻について教えてください", True), ("ceritakan tentang bambu", True),
     # ... but not what a commodity is (a definition the sources do not give), nor a detail.
     ("apa itu rumput laut?", False), ("What is seaweed?", False), ("SMRJの人は誰", False),
     ("Who is the head of SMRJ?", False), ("Siapa kepala SMRJ?", False), ("Who is at METI?", False),
     # A title names a person only beside a person's name.
     ("Siapa Menteri Teten?", True), ("Who is the METI minister?", False),
     ("経済産業省の大臣は誰", False), ("Siapa menteri METI?", False), ("METI minister", False),
     ("SMRJの電話番号は？", False), ("How much did SMRJ invest?", False),
     ("hello", False), ("", False)],
)
def test_only_names_recognises_messages_made_of_names(extractor, text, expected):
    assert only_names(text, extractor.extract(text)) is expected


def test_name_only_message_sets_ask_entity(extractor):
    component = NameOnlyMessage.create({}, None, None, None)
    message = Message(data={TEXT: "中小機構", INTENT: {"name": "nlu_fallback", "confidence": 1.0},
                            ENTITIES: extractor.extract("中小機構")})
    component.process([message])
    assert message.get(INTENT)["name"] == "ask_entity"
    other = Message(data={TEXT: "中小機構の予算は？", INTENT: {"name": "ask_fact", "confidence": 0.9},
                          ENTITIES: extractor.extract("中小機構の予算は？")})
    component.process([other])
    assert other.get(INTENT)["name"] == "ask_fact"


def test_name_only_message_corrects_ask_entity_when_more_than_names(extractor):
    component = NameOnlyMessage.create({}, None, None, None)
    ranking = [{"name": "ask_entity", "confidence": 0.6}, {"name": "ask_fact", "confidence": 0.3}]
    message = Message(data={TEXT: "Which fishery products are mentioned?", INTENT: ranking[0],
                            "intent_ranking": ranking,
                            ENTITIES: extractor.extract("Which fishery products are mentioned?")})
    component.process([message])
    assert message.get(INTENT)["name"] == "ask_fact"
