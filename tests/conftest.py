"""Shared fixtures: a facts store built from the real facts files, trackers, a dispatcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.facts import FactsStore, load_catalogue

# The fake Bot API and the servers that the REST, hostile-input and Telegram test modules share
# (one start instead of three; tests/shared_bot.py says why that is safe).
from tests.shared_bot import fake_api, shared_bot  # noqa: F401 - fixtures, found by name

ROOT = Path(__file__).resolve().parent.parent
FACTS_DIR = ROOT / "data" / "facts"
TRACKER_TEMPLATE = Path(__file__).parent / "data" / "tracker.json"


def domain_response(name: str, lang: str) -> str:
    """The domain's text of response ``name`` for the ``language`` slot value ``lang``."""
    import yaml

    variants = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][name]
    for variant in variants:
        if any(c.get("value") == lang for c in variant.get("condition", [])):
            return variant["text"]
    if lang == "en":
        return next(v["text"] for v in variants if not v.get("condition"))
    raise KeyError(f"{name} has no {lang} variant")


@pytest.fixture(scope="session", autouse=True)
def _review_store_of_the_test_session(tmp_path_factory):
    """Unanswered questions that tests ask (actions run here, servers started by tests) go to a
    store of this session, never into the project's var/review.db that operators review."""
    from bot.review import recorder

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVIEW_DB_URL", f"sqlite:///{tmp_path_factory.mktemp('review') / 'review.db'}")
        yield
        recorder.flush(10)  # the background writer is done before the variable goes


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(FACTS_DIR)


@pytest.fixture()
def store(tmp_path, catalogue, monkeypatch) -> FactsStore:
    """A freshly built SQLite store in a temporary folder, also used by the actions."""
    url = f"sqlite:///{tmp_path / 'facts.db'}"
    monkeypatch.setenv("FACTS_DB_URL", url)
    built = FactsStore(url)
    built.build(catalogue)
    from actions import conversation

    conversation.store.cache_clear()
    yield built
    conversation.store.cache_clear()


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture()
def domain() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def make_tracker(text: str = "", intent: str | None = None, language: str | None = None,
                 entities: list[dict[str, Any]] | None = None,
                 session_metadata: dict[str, Any] | None = None,
                 message_metadata: dict[str, Any] | None = None,
                 facts: list[tuple[str, float]] | None = None,
                 slots: dict[str, Any] | None = None) -> Tracker:
    """A real rasa-sdk Tracker built from tests/data/tracker.json with the given latest message.

    ``facts`` is the ResponseSelector's ranking for ``ask_fact`` as (fact or group id, confidence),
    in the shape Rasa puts into ``latest_message``.
    """
    state = json.loads(TRACKER_TEMPLATE.read_text(encoding="utf-8"))
    state["slots"]["language"] = language
    state["slots"]["session_started_metadata"] = session_metadata
    state["slots"].update(slots or {})
    state["latest_message"] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "intent_ranking": [{"name": intent, "confidence": 1.0}] if intent else [],
        "entities": entities or [],
        "metadata": message_metadata or {},
        "response_selector": selector_output(facts or []),
    }
    return Tracker.from_dict(state)


def selector_output(ranking: list[tuple[str, float]]) -> dict[str, Any]:
    """Rasa's ``response_selector`` parse output for the ``ask_fact`` retrieval intent."""
    entries = [{"id": i, "confidence": confidence, "intent_response_key": f"ask_fact/{answer}"}
               for i, (answer, confidence) in enumerate(ranking)]
    top = entries[0] if entries else {"confidence": 0.0, "intent_response_key": None}
    return {"all_retrieval_intents": ["ask_fact"], "ask_fact": {
        "response": {"responses": [], "confidence": top["confidence"],
                     "intent_response_key": top["intent_response_key"], "utter_action": ""},
        "ranking": entries}}


@pytest.fixture()
def tracker_for():
    return make_tracker
