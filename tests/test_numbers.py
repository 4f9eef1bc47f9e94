"""Signal 6 of the decision: numbers a question names that the chosen facts do not state."""

from __future__ import annotations

import pytest

from bot.answering.numbers import numbers_in, unstated_numbers


@pytest.mark.parametrize(("text", "expected"), [
    ("what was the ratio in 2019", {"2019"}),
    ("target 30 persen di 2024?", {"30", "2024"}),
    ("融資比率は３０％？", {"30"}),  # full-width digits
    ("調達の4割は中小企業向け？", {"40"}),  # Japanese tenths
    ("rasio 2,5 persen", {"2.5"}),
    ("who is Teten", set()),
    ("lembaga2nya apa aja", set()),  # Indonesian plural, not a number
])
def test_numbers_are_read_as_plain_digits(text, expected):
    assert numbers_in(text) == expected


def test_a_number_the_fact_states_in_any_language_is_given(store):
    credit = store.get("credit_ratio_30")
    assert unstated_numbers("Is the SME credit target 30% by 2024?", [credit]) == frozenset()
    assert unstated_numbers("中小企業向け融資の比率の目標は3割？", [credit]) == frozenset()


def test_a_year_or_figure_the_fact_never_states_is_unstated(store):
    credit = store.get("credit_ratio_30")
    assert unstated_numbers("what was the bank credit ratio for umkm in 2019", [credit]) == {"2019"}
    assert unstated_numbers("Kapan target afirmasi 40 persen itu harus tercapai?",
                            [credit]) == {"40"}


def test_a_number_in_one_of_the_facts_example_questions_is_given(store):
    """"Before 2000?" is answered by the fact that gives 1978: its examples say so."""
    since = store.get("cooperation_since_1978")
    assert any("2000" in q for q in since.examples.texts())
    assert unstated_numbers("was the cooperation already running before 2000?", [since]) == frozenset()
