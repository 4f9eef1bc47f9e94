"""The tuned SQL tracker store: Rasa's SQL store, with WAL and a pool on SQLite."""

from __future__ import annotations

import asyncio
import sqlite3

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import TunedSQLTrackerStore
from tests.conftest import ROOT


def _store(path) -> TunedSQLTrackerStore:
    # As Rasa builds it from endpoints.yml (``url: ${TRACKER_STORE_URL}`` arrives as ``host``).
    return TunedSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=f"sqlite:///{path}")


def test_is_rasas_sql_store_and_uses_wal_on_sqlite(tmp_path):
    store = _store(tmp_path / "tracker.db")
    assert isinstance(store, SQLTrackerStore)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_saved_conversation_is_read_back_by_a_new_process_store(tmp_path):
    path = tmp_path / "tracker.db"
    tracker = DialogueStateTracker.from_events("delegate-1", [
        ActionExecuted("action_listen"), UserUttered("SMRJとは？", {"name": "ask_organisation"}),
        SlotSet("language", "ja"), BotUttered("中小機構…"), ActionExecuted("action_listen")])
    asyncio.run(_store(path).save(tracker))
    # Another connection (as after a restart) sees every committed event.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE sender_id='delegate-1'").fetchone()[0] == 5
    restored = asyncio.run(_store(path).retrieve("delegate-1"))
    assert restored.get_slot("language") == "ja"
    assert restored.latest_message.text == "SMRJとは？"


def test_endpoints_yml_builds_the_stores_the_environment_names(tmp_path, monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore, LockStore
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    monkeypatch.setenv("LOCK_STORE_URL", "")
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    store = TrackerStore.create(endpoints.tracker_store, domain=Domain.load(str(ROOT / "domain.yml")))
    assert isinstance(store, TunedSQLTrackerStore)
    assert store.engine.url.database == str(tmp_path / "conversations.db")
    assert isinstance(LockStore.create(endpoints.lock_store), InMemoryLockStore)


def _events(path, sender):
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute(
            "SELECT type_name FROM events WHERE sender_id=? ORDER BY id", (sender,))]


def test_each_event_is_stored_once_without_counting_on_save(tmp_path):
    """The store remembers how many events a tracker it returned holds, instead of Rasa's count
    query on every save: turns, repeated saves and a new session store each event exactly once,
    as Rasa's own SQL store does for the same calls."""
    from rasa.shared.core.events import SessionStarted

    domain = Domain.load(str(ROOT / "domain.yml"))

    def conversation(store, path):
        tracker = DialogueStateTracker.from_events("d-2", [ActionExecuted("action_listen")])
        asyncio.run(store.save(tracker))  # a new conversation: counted as Rasa does
        for turn in range(3):
            tracker = asyncio.run(store.retrieve("d-2"))
            tracker.update(UserUttered(f"q{turn}", {"name": "ask_fact"}))
            asyncio.run(store.save(tracker))
            tracker.update(BotUttered(f"a{turn}"))
            tracker.update(ActionExecuted("action_listen"))
            asyncio.run(store.save(tracker))  # a second save of the same turn adds only what is new
        tracker = asyncio.run(store.retrieve("d-2"))
        for event in (ActionExecuted("action_session_start"), SessionStarted(),
                      ActionExecuted("action_listen"), UserUttered("q", {"name": "greet"})):
            tracker.update(event)
        asyncio.run(store.save(tracker))
        return _events(path, "d-2")

    ours = conversation(_store(tmp_path / "ours.db"), tmp_path / "ours.db")
    rasas = conversation(SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'rasa.db'}"),
                         tmp_path / "rasa.db")
    assert ours == rasas
    assert len(ours) == 1 + 3 * 3 + 4
    assert asyncio.run(_store(tmp_path / "ours.db").retrieve("d-2")).latest_message.text == "q"
