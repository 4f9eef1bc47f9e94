"""Signal 7 of the decision: items an inclusion question names that the chosen facts never mention."""

from __future__ import annotations

import pytest

from bot.answering.unlisted import unlisted_items


@pytest.mark.parametrize(("text", "lang", "expected"), [
    # Not on the list: the sources do not settle it.
    ("Is tuna included in the downstreaming?", "en", ["tuna"]),
    ("Apakah kopi termasuk komoditas unggulan?", "id", ["kopi"]),
    ("コーヒーも対象に含まれますか", "ja", ["コーヒー"]),
    # On the list, in any language, form or alias of an entity the fact mentions.
    ("Are shrimp and crabs included?", "en", []),
    ("Apakah udang termasuk komoditas yang dihilirisasi?", "id", []),
    ("ウナギも対象に含まれますか", "ja", []),
    ("does it include biopharma", "en", []),
    # Not an inclusion question: the check does not apply.
    ("What about tuna?", "en", []),
    ("Gimana caranya UMKM masuk rantai pasok global?", "id", []),
])
def test_items_of_an_inclusion_question_against_the_list(store, text, lang, expected):
    downstreaming = store.get("commodity_downstreaming")
    assert unlisted_items(text, lang, [downstreaming], store) == expected
