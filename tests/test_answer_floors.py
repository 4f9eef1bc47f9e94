"""The regression floors of ``scripts/evaluate_answers.py``: a blind set's own recall floor lowers
the floor for that set only, and never the issue's targets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("evaluate_answers", ROOT / "scripts" / "evaluate_answers.py")
evaluate_answers = importlib.util.module_from_spec(_spec)
sys.modules["evaluate_answers"] = evaluate_answers  # its dataclasses look their module up
_spec.loader.exec_module(evaluate_answers)


#: Every set at 10 % misleading and 90 % recall, except v3's answerable questions at 70 %.
RATES = {(lang, f"{kind}{what}"): 0.7 if (kind, what) == ("blindv3_", "answerable") else 0.9
         for lang in evaluate_answers.LANGUAGES for kind in ("", "blindv1_", "blindv3_")
         for what in ("unanswerable", "answerable")}
LANGUAGES = {lang: 1.0 for lang in evaluate_answers.LANGUAGES}


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate_answers, "BLIND_SETS", ("v1", "v3"))


def _within(min_recall: float, floors: dict[str, float] | None) -> bool:
    return evaluate_answers._within(RATES, LANGUAGES, 0.25, min_recall, 0.9, floors)


def test_a_sets_own_floor_applies_to_that_set_only(measured: None) -> None:
    assert not _within(0.80, None)             # v3 at 70 % is under the common floor
    assert _within(0.80, {"v3": 0.65})         # its own floor holds it
    assert not _within(0.80, {"v3": 0.75})     # ... only where it is under that floor
    assert not _within(0.95, {"v3": 0.65})     # v1 at 90 % still meets the common floor only


def test_own_floors_name_shipped_blind_sets() -> None:
    assert set(evaluate_answers.RECALL_FLOORS) <= set(evaluate_answers.BLIND_SETS)
    assert all(0 < floor < evaluate_answers.TARGET_RECALL
               for floor in evaluate_answers.RECALL_FLOORS.values())


def test_a_sets_own_misleading_ceiling_applies_to_that_set_only(measured: None) -> None:
    rates = {**RATES, **{(lang, "blindv3_unanswerable"): 0.7 for lang in LANGUAGES}}  # 30 % misleading
    floors = {"v3": 0.65}
    assert not evaluate_answers._within(rates, LANGUAGES, 0.25, 0.80, 0.9, floors)
    assert evaluate_answers._within(rates, LANGUAGES, 0.25, 0.80, 0.9, floors, {"v3": 0.34})
    assert not evaluate_answers._within(rates, LANGUAGES, 0.25, 0.80, 0.9, floors, {"v3": 0.28})
    # The other sets (10 %) are held to the common ceiling, not v3's.
    assert not evaluate_answers._within(rates, LANGUAGES, 0.08, 0.80, 0.9, floors, {"v3": 0.34})


def test_own_ceilings_name_shipped_blind_sets() -> None:
    assert set(evaluate_answers.MISLEADING_CEILINGS) <= set(evaluate_answers.BLIND_SETS)
    assert all(evaluate_answers.TARGET_MISLEADING < ceiling < 1
               for ceiling in evaluate_answers.MISLEADING_CEILINGS.values())
