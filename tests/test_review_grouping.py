"""Grouping recorded questions by similar wording (bot/review/grouping.py), in id, ja and en: the
rewordings an operator should read as one topic end up together, questions that only share a
frame ("What is the ...") do not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.review.grouping import SIMILARITY, features, group_questions
from bot.review.store import Question

T0 = datetime(2025, 1, 8, 9, 0, tzinfo=timezone.utc)

#: (text, language, nearest fact, score); questions people ask this bot that it cannot answer.
ASKED = [
    ("How much money does SMRJ give to Indonesian SMEs?", "en", "org_smrj", 0.41),
    ("how much money does SMRJ give", "en", "org_smrj", 0.38),
    ("How much funding does SMRJ provide?", "en", "org_smrj", 0.52),
    ("Berapa dana yang diberikan SMRJ?", "id", "org_smrj", 0.33),
    ("berapa dana dari SMRJ", "id", "org_smrj", 0.29),
    ("SMRJはいくら資金を出しますか？", "ja", "org_smrj", 0.47),
    ("SMRJの資金はいくらですか", "ja", "org_smrj", 0.44),
    ("次の会談はいつですか？", "ja", "meeting_day", 0.61),
    ("次の会合はいつ？", "ja", "meeting_day", 0.58),
    ("When is the next meeting?", "en", "meeting_day", 0.62),
    ("when's the next meeting", "en", "meeting_day", 0.49),
    ("Kapan pertemuan berikutnya?", "id", "meeting_day", 0.57),
    ("kapan pertemuan selanjutnya", "id", "meeting_day", 0.55),
    ("What's the phone number of Smesco?", "en", "org_smesco", 0.7),
    ("phone number of smesco", "en", "org_smesco", 0.66),
    ("Berapa nomor telepon Smesco?", "id", "org_smesco", 0.71),
    ("nomor telepon smesco berapa", "id", "org_smesco", 0.69),
    ("スメスコの電話番号は？", "ja", "org_smesco", 0.68),
    ("スメスコの電話番号を教えて", "ja", None, None),
    ("What is the budget of SMRJ?", "en", "org_smrj", 0.35),
    ("What is the weather in Tokyo?", "en", None, None),
    ("Who won the football match?", "en", None, None),
]


def _questions() -> list[Question]:
    return [Question(text, lang, "rest", "sources_dont_say", fact, score,
                     asked_at=T0 + timedelta(minutes=i), id=i + 1)
            for i, (text, lang, fact, score) in enumerate(ASKED)]


def _texts(groups) -> list[set[str]]:
    return [{q.text for q in group.questions} for group in groups]


def test_rewordings_are_grouped_in_each_language_and_unrelated_questions_are_not():
    groups = _texts(group_questions(_questions()))
    for together in [
        {"How much money does SMRJ give to Indonesian SMEs?", "how much money does SMRJ give"},
        {"Berapa dana yang diberikan SMRJ?", "berapa dana dari SMRJ"},
        {"SMRJはいくら資金を出しますか？", "SMRJの資金はいくらですか"},
        {"次の会談はいつですか？", "次の会合はいつ？"},
        {"When is the next meeting?", "when's the next meeting"},
        {"Kapan pertemuan berikutnya?", "kapan pertemuan selanjutnya"},
        {"What's the phone number of Smesco?", "phone number of smesco"},
        {"Berapa nomor telepon Smesco?", "nomor telepon smesco berapa"},
        {"スメスコの電話番号は？", "スメスコの電話番号を教えて"},
    ]:
        assert any(together <= group for group in groups), together
    # Questions that only share a frame or nothing at all stay on their own.
    for alone in ["What is the budget of SMRJ?", "What is the weather in Tokyo?",
                  "Who won the football match?"]:
        assert {alone} in groups, alone
    assert sum(len(group) for group in groups) == len(ASKED)


def test_the_similarity_threshold_sets_how_alike_a_group_is():
    loose, default, strict = (group_questions(_questions(), similarity) for similarity in (0.3, SIMILARITY, 0.9))
    assert len(loose) < len(default) < len(strict)
    # At 0.3 a shared frame is enough: "What is the budget of SMRJ?" joins other "What is ..." questions.
    assert {"What is the budget of SMRJ?"} not in _texts(loose)


def test_groups_count_languages_and_name_the_nearest_fact():
    questions = _questions()
    mixed = [q for q in questions if "SMRJ" in q.text and "budget" not in q.text]
    # Written alike in two languages: one group, counted per language.
    same = [Question("SMRJ", "en", "rest", "fallback", "org_smrj", 0.3, T0, 101),
            Question("smrj?", "id", "rest", "fallback", "org_smrj", 0.6, T0, 102),
            Question("ＳＭＲＪ", "ja", "rest", "fallback", "org_kemenkopukm", 0.2, T0, 103)]
    (group,) = group_questions(same)
    assert group.by_language == {"id": 1, "ja": 1, "en": 1}
    assert group.nearest_fact == ("org_smrj", 0.6)
    largest = group_questions(mixed)[0]
    assert largest.nearest_fact[0] == "org_smrj"
    assert sum(largest.by_language.values()) == len(largest.questions)


def test_groups_are_ordered_by_size_and_keep_asking_order():
    groups = group_questions(_questions())
    sizes = [len(g.questions) for g in groups]
    assert sizes == sorted(sizes, reverse=True)
    for group in groups:
        assert [q.id for q in group.questions] == sorted(q.id for q in group.questions)


def test_edge_cases_one_question_none_and_no_letters():
    assert group_questions([]) == []
    (only,) = group_questions(_questions()[:1])
    assert len(only.questions) == 1
    emoji = [Question("🙂", "en", "rest", "fallback", asked_at=T0, id=1),
             Question("？？", "ja", "rest", "fallback", asked_at=T0, id=2)]
    assert len(group_questions(emoji)) == 2


def test_features_work_without_spaces_and_ignore_case_and_width():
    assert features("SMRJ") == features("smrj?") == features("ＳＭＲＪ")
    japanese = features("次の会談はいつ")
    assert "会談" in japanese and "会" in japanese and "の" not in japanese  # particles alone: no
