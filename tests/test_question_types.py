"""Reading what a question asks for (bot.answering.question_types) and the validate report of
example questions that ask for something their own fact does not give."""

from __future__ import annotations

import pytest

from bot.answering.question_types import asked_types
from bot.facts.schema import QuestionType
from bot.facts.type_mismatches import find_type_mismatches


def _type(*cues: str) -> list[QuestionType]:
    texts = {"id": [], "ja": [], "en": []}
    for cue in cues:
        texts["ja" if any(ord(c) > 0x3000 for c in cue) else "en"].append(cue)
    return [QuestionType(id="organisation", cues=texts,
                         missing={"id": "organisasi", "ja": "組織", "en": "which organisation"})]


@pytest.mark.parametrize("text, asked", [
    ("which companies?", True),
    ("Which Japanese companies will join?", True),           # one word in the gap
    ("which big Japanese companies", True),                  # two words
    ("which of the three big Japanese companies", False),    # more than two: not this cue
    ("companies which", False),                              # order matters
    ("whichever companies", False),                          # whole words only
    ("どの日本企業が参加しますか", True),                      # Japanese gap
    ("どの企業ですか", True),
    ("どの会議でしたか。企業は", False),                        # no gap across a sentence break
])
def test_a_star_in_a_cue_stands_for_a_few_words_or_characters(text, asked):
    found = asked_types(text, _type("which * companies", "どの*企業"))
    assert bool(found) is asked


def test_the_shipped_cues_read_organisation_questions_with_words_between(catalogue):
    types = list(catalogue.question_types)
    for text in ("Industri Jepang mana saja yang terlibat?", "which Japanese banks are involved",
                 "どの日本企業と提携するの？"):
        assert "organisation" in [q.id for q in asked_types(text, types)], text
    # A definition question is not asking which organisation.
    assert "organisation" not in [q.id for q in asked_types("smesco itu lembaga apa", types)]


@pytest.mark.parametrize(("text", "asked"), [
    ("Which survey puts Indonesia sixth for startups?", "source"),
    ("peringkat 6 itu menurut data siapa", "source"),
    ("世界6位の出典は？", "source"),
    ("Was the ambassador also present?", "companions"),
    ("会談に同席したのは誰？", "companions"),
    ("東京SMEセンターの所長は？", "person"),
])
def test_the_shipped_cues_read_sources_companions_and_offices(catalogue, text, asked):
    assert asked in [q.id for q in asked_types(text, list(catalogue.question_types))]


@pytest.mark.parametrize(("text", "scheduled"), [
    ("Is a follow-up meeting planned for next year?", True),
    ("次回の会合はいつ？", True),
    ("kapan pertemuan berikutnya", True),
    ("What is the next step?", False),          # the follow-up plan answers this
    ("apa langkah selanjutnya", False),
    ("今後の協力はどうなる？", False),
])
def test_a_date_still_to_come_is_asked_apart_from_plans(catalogue, text, scheduled):
    asked = [q.id for q in asked_types(text, list(catalogue.question_types))]
    assert ("schedule" in asked) is scheduled, asked


def test_validate_names_examples_that_ask_for_what_their_fact_does_not_give(catalogue):
    facts = list(catalogue.facts)
    credit = next(f for f in facts if f.id == "credit_ratio_30")
    assert "contact" not in credit.answers
    planted = "nomor telepon bank penyalur kredit UMKM"
    examples = credit.examples.copy(update={"id": [*credit.examples["id"], planted]})
    facts[facts.index(credit)] = credit.copy(update={"examples": examples})
    before = {(m.fact, m.asked) for m in find_type_mismatches(catalogue)}
    after = find_type_mismatches(catalogue.copy(update={"facts": tuple(facts)}))
    assert ("credit_ratio_30", "contact") not in before
    [mismatch] = [m for m in after if (m.fact, m.asked) == ("credit_ratio_30", "contact")]
    assert planted in mismatch.samples and "contact" in str(mismatch)


@pytest.mark.parametrize("text, asked", [
    ("Where does Indonesia rank for startups?", []),             # a rank, not a place
    ("where does the cooperation go from here", []),
    ("関係機関はどこですか？", []),                                # which organisations
    ("how old is this partnership", []),                        # not a person's age
    ("Where was the meeting held?", ["place"]),
    ("会談はどこで行われましたか", ["place"]),
    ("How old is Teten?", ["biography"]),
])
def test_an_exception_phrase_keeps_a_cue_from_asking_its_type(catalogue, text, asked):
    found = [q.id for q in asked_types(text, list(catalogue.question_types))
             if q.id in ("place", "biography")]
    assert found == asked
