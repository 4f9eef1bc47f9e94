"""Property-based tests (hypothesis): language resolution, tokenisation and facts search on
arbitrary Unicode, including control characters, lone surrogates, emoji, FTS5 syntax and SQL.

Every property is "no exception, sane result, bounded time": each example must finish within
``DEADLINE_MS``, and the whole file runs in well under 30 s (``MAX_EXAMPLES`` per test, no example
database kept between runs, derandomised so CI sees the same examples every time).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.constants import TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message

from bot.components.multilingual_tokenizer import MultilingualTokenizer
from bot.facts import FactsStore, load_catalogue
from bot.facts.store import search_terms
from bot.language import detect_language, language_from_hint, requested_language, resolve_language
from bot.language.detection import guess_language, most_likely_language
from bot.language.segmentation import content_words, has_japanese, morphemes
from bot.settings import LANGUAGES
from tests.conftest import FACTS_DIR

LANGUAGES = set(LANGUAGES)
REASONS = {"requested", "detected", "conversation", "hint", "guessed", "default"}
DEADLINE_MS = 500
#: ``PROPERTY_EXAMPLES=5000 pytest tests/test_properties.py`` explores further, with fresh random
#: examples each run; by default the run is short and the same every time.
MAX_EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "200"))

settings.register_profile(
    "properties",
    max_examples=MAX_EXAMPLES,
    deadline=timedelta(milliseconds=DEADLINE_MS),
    derandomize="PROPERTY_EXAMPLES" not in os.environ,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROPERTIES = settings.get_profile("properties")

# --- strategies ---------------------------------------------------------------------------------

#: Every general category, surrogates (Cs), controls (Cc), format (Cf), private use (Co) and
#: unassigned (Cn) included: text from a channel is whatever the JSON decoder produced.
ANY_CHAR = st.characters(codec=None, categories=None)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
CONTROL = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])
EMOJI = st.sampled_from(["👍", "🙂", "🇮🇩", "👨‍👩‍👧", "❤️", "🏳️‍🌈", "\u20e3", "🔟", "㊙", "🈯"])
JAPANESE = st.characters(min_codepoint=0x3040, max_codepoint=0x30FF) | st.characters(
    min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.characters(min_codepoint=0xFF66, max_codepoint=0xFF9F)
WORDS = st.sampled_from([
    # FTS5 query syntax and operators
    "AND", "OR", "NOT", "NEAR(", "NEAR(a b, 3)", ")", "(", '"', '""', "'", "*", "-", ":", "^", "+",
    "{", "}", "body:", "lang:id", "fact_id:*", "a*", "-x", "^start", "NEAR/2",
    # SQL fragments
    "'; DROP TABLE facts; --", "\" OR 1=1 --", "%", "_", "\\", "%_%", "/*", "*/", "UNION SELECT",
    "1; SELECT * FROM sqlite_master", "\x00", "\\x00", "\\\\",
    # words the bot knows, in each language
    "ekspor", "UMKM", "kredit", "rumput laut", "export", "credit", "target", "hello", "hai", "halo",
    "English please", "bahasa Indonesia", "日本語でお願いします", "輸出", "中小企業", "の", "です",
    "Smesco", "IFC", "ok", "2024", "<b>", "</b>", "https://example.com/x", "www.", "<img src=x>",
])
TEXT_PART = st.one_of(
    st.text(ANY_CHAR, max_size=20),
    st.text(SURROGATE, min_size=1, max_size=3),
    st.text(CONTROL, min_size=1, max_size=3),
    EMOJI,
    st.text(JAPANESE, min_size=1, max_size=8),
    WORDS,
)
#: Messages made of the parts above, joined by nothing or by space-like separators.
MESSAGES = st.lists(TEXT_PART, max_size=12).flatmap(
    lambda parts: st.sampled_from(["", " ", "\u3000", "\n", "\t"]).map(lambda sep: sep.join(parts)))
LONG_MESSAGES = st.builds(lambda part, n: part * n, TEXT_PART, st.integers(50, 400))
HINTS = st.one_of(st.none(), st.text(ANY_CHAR, max_size=8),
                  st.sampled_from(["ja-JP", "id", "in", "en_US", "EN", " ", "", "zh-Hans", "ja\x00"]))
LANGS_OR_JUNK = st.one_of(st.none(), st.sampled_from(sorted(LANGUAGES)),
                          st.text(ANY_CHAR, max_size=4), st.integers(), st.booleans())


# --- (a) language detection and resolution ------------------------------------------------------

@PROPERTIES
@given(text=MESSAGES | LONG_MESSAGES)
def test_detection_returns_one_of_the_three_languages_or_none(text):
    for detection in (detect_language(text), most_likely_language(text), guess_language(text)):
        assert detection.language is None or detection.language in LANGUAGES
        assert detection.evidence in {"script", "markers", "langdetect", "lingua", "none"}
        assert (detection.language is None) == (detection.evidence == "none")
    clear = detect_language(text)
    if clear.language:  # a clear signal is also the most likely language
        assert most_likely_language(text) == clear


@PROPERTIES
@given(text=MESSAGES, intent=st.one_of(st.none(), st.sampled_from(["switch_language", "greet", ""])),
       current=LANGS_OR_JUNK, hint=HINTS, guess=st.booleans())
def test_resolution_always_answers_in_one_of_the_three_languages(text, intent, current, hint, guess):
    resolution = resolve_language(text, intent=intent, current=current, hint=hint, guess=guess)
    assert resolution.language in LANGUAGES
    assert resolution.reason in REASONS
    if resolution.reason == "conversation":
        assert resolution.language == current
    if not guess:
        assert resolution.reason != "guessed"
    if current in LANGUAGES:  # with a conversation language only the message itself can change it
        assert resolution.reason in {"requested", "detected", "conversation"}


@PROPERTIES
@given(text=MESSAGES, hint=HINTS)
def test_requested_language_and_hints_are_one_of_the_three_or_none(text, hint):
    assert requested_language(text) in LANGUAGES | {None}
    assert language_from_hint(hint) in LANGUAGES | {None}


# --- (b) tokenisation ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer() -> MultilingualTokenizer:
    return MultilingualTokenizer.create(MultilingualTokenizer.get_default_config(), None, None, None)


@PROPERTIES
@given(text=MESSAGES | LONG_MESSAGES)
def test_tokens_point_at_their_text_in_order(tokenizer, text):
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    tokens = message.get(TEXT_TOKENS)
    assert tokens, "Rasa needs at least one token per message"
    previous_end = 0
    for token in tokens:
        assert isinstance(token.text, str)
        assert 0 <= token.start <= token.end <= len(text)
        if token.end > token.start:  # Rasa's whitespace rules may rewrite a wordless message
            assert text[token.start:token.end] == token.text
            assert token.start >= previous_end
            previous_end = token.end


@PROPERTIES
@given(text=MESSAGES | LONG_MESSAGES, lang=st.sampled_from(sorted(LANGUAGES)))
def test_segmentation_offsets_and_content_words(text, lang):
    for morpheme in morphemes(text) if has_japanese(text) else []:
        assert text[morpheme.start:morpheme.end] == morpheme.surface
        assert isinstance(morpheme.lemma, str) and isinstance(morpheme.pos, str)
    words = content_words(text, lang)
    assert all(isinstance(w, str) and w.strip() for w in words)


# --- (c) facts search ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def facts(tmp_path_factory) -> tuple[FactsStore, set[str]]:
    """A store built from the real facts files in a temporary folder, shared by the examples."""
    catalogue = load_catalogue(FACTS_DIR)
    store = FactsStore(f"sqlite:///{tmp_path_factory.mktemp('facts') / 'facts.db'}")
    store.build(catalogue)
    return store, {fact.id for fact in catalogue.facts}


@PROPERTIES
@given(query=MESSAGES | LONG_MESSAGES, lang=st.sampled_from(sorted(LANGUAGES)),
       limit=st.integers(0, 10))
def test_search_returns_known_facts_for_any_query(facts, query, lang, limit):
    store, known = facts
    hits = store.search(query, lang, limit=limit)
    assert isinstance(hits, list) and len(hits) <= limit
    assert all(hit.fact.id in known for hit in hits)
    assert len({hit.fact.id for hit in hits}) == len(hits)
    assert all(0 < hit.score <= 1 for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    terms = search_terms(query, lang)
    assert len(terms) <= 32 and len(set(terms)) == len(terms)


@PROPERTIES
@given(term=WORDS, lang=st.sampled_from(sorted(LANGUAGES)))
def test_search_of_a_known_fact_statement_with_syntax_around_it_still_finds_it(facts, term, lang):
    """FTS5 operators and SQL around a real question never break the search or lose the fact."""
    store, _ = facts
    fact = store.all()[0]
    question = fact.question[lang]
    if not store.search(question, lang, limit=50):
        pytest.skip("the plain question finds nothing to compare with")
    hits = store.search(f"{term} {question} {term}", lang, limit=50)
    assert fact.id in {hit.fact.id for hit in hits}


def test_search_rejects_an_unknown_language(facts):
    store, _ = facts
    with pytest.raises(ValueError):
        store.search("ekspor", "fr")
