"""Signal 8 of the decision: questions that ask who holds an office no fact gives anyone."""

from __future__ import annotations

import pytest

from bot.answering.offices import unheld_office


@pytest.mark.parametrize(("text", "lang", "fact", "expected"), [
    # An office whose holder the sources do not name: a card of someone else is no answer.
    ("Who is the METI minister?", "en", "person_teten", True),
    ("Siapa menteri METI?", "id", "meeting_participants", True),
    ("経済産業大臣は誰ですか", "ja", "person_nagamine", True),
    ("Who is the Japanese prime minister?", "en", "person_teten", True),
    ("siapa perdana menteri jepang", "id", "person_teten", True),
    ("Who is the trade minister of Japan?", "en", "person_teten", True),
    ("siapa menteri perdagangan indonesia", "id", "person_teten", True),
    ("who is indonesia finance minister", "en", "cooperation_since_1978", True),
    ("Who is the Indonesian ambassador to Japan?", "en", "person_teten", True),
    ("who is the president of japan", "en", "person_jokowi", True),
    # The office the fact's person holds, in any of its words or its organisation's aliases.
    ("Who is the minister of cooperatives and SMEs?", "en", "person_teten", False),
    ("menteri koperasi dan ukm siapa namanya", "id", "person_teten", False),
    ("KemenKopUKM dipimpin siapa?", "id", "org_kemenkopukm", False),
    ("who heads the cooperatives ministry", "en", "org_kemenkopukm", False),
    ("インドネシアの協同組合・中小企業省のトップは誰？", "ja", "org_kemenkopukm", False),
    ("Who is the vice minister of METI?", "en", "person_nagamine", False),
    ("経済産業大臣政務官は誰？", "ja", "person_nagamine", False),
    ("siapa presiden indonesia", "id", "person_jokowi", False),
    # Not an office question: a verb or detail beside the title, or no who-word.
    ("which minister met the METI delegation", "en", "meeting_participants", False),
    ("What did the minister say about startups?", "en", "startup_ranking_sixth", False),
])
def test_office_questions_against_the_offices_the_facts_give(store, text, lang, fact, expected):
    assert unheld_office(text, lang, [store.get(fact)], store, []) is expected


def test_a_question_naming_a_person_is_left_to_the_other_signals(store):
    # "Which minister did Teten meet?" asks about Teten's meeting, not who holds an office.
    assert unheld_office("which minister did Teten meet", "en", [store.get("person_teten")],
                         store, ["Teten"]) is False


def test_an_office_named_by_its_words_is_not_a_name(store):
    # The NLU takes "Menteri Koperasi dan UKM" for Teten, but the question asks for his deputy.
    assert unheld_office("Siapa Wakil Menteri Koperasi dan UKM?", "id", [store.get("person_teten")],
                         store, ["Menteri Koperasi dan UKM"]) is True
    assert unheld_office("Who is Indonesia's vice president?", "en", [store.get("person_jokowi")],
                         store, []) is True
