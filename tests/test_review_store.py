"""The unanswered-questions store (bot/review/): what the answering actions record, in id, ja and en;
that nothing identifies who asked; retention; recording that never breaks a reply; and the same
store's SQL, which tests/test_scale_out.py also runs on the cluster's PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from actions.answer_fact import ActionAnswerFact
from actions.dont_know import ActionDontKnow
from bot.review import ReviewStore, recorder
from bot.review.store import ATTACHED, DISMISSED, OPEN, Question, questions_table
from tests.conftest import make_tracker

SENDER = "delegate-7731-secret"

#: One question per language and reason: (action, text, intent, language, ResponseSelector ranking,
#: channel, expected reason, nearest fact, score).
UNANSWERED = [
    (ActionAnswerFact, "How much funding did SMRJ commit to Indonesian SMEs?", "ask_fact", "en",
     [("org_smrj", 0.9)], "telegram", "sources_dont_say", "org_smrj", 0.9),
    (ActionDontKnow, "東京の天気は？", "nlu_fallback", "ja", [("meeting_day", 0.12)], "socketio",
     "fallback", "meeting_day", 0.12),
    (ActionAnswerFact, "Apa target rasio kredit UMKM?", "ask_fact", "id", [("credit_ratio_30", 0.42)],
     "rest", "low_confidence", "credit_ratio_30", 0.42),
    (ActionDontKnow, "Siapa presiden Indonesia sekarang?", "out_of_scope", "id", [], "rest",
     "fallback", None, None),
]


def _tracker(text: str, intent: str, language: str, ranking, channel: str):
    tracker = make_tracker(text, intent=intent, language=language, facts=ranking,
                           message_metadata={"language": language, "chat_id": 991234})
    tracker.sender_id = SENDER
    tracker.events.append({"event": "user", "text": text, "input_channel": channel,
                           "parse_data": tracker.latest_message, "metadata": {"chat_id": 991234}})
    return tracker


@pytest.fixture()
def review_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "review.db"
    monkeypatch.setenv("REVIEW_DB_URL", f"sqlite:///{path}")
    return path


async def test_unanswered_turns_are_recorded_in_every_language_and_answers_are_not(
        store, dispatcher, domain, review_db):
    for action, text, intent, lang, ranking, channel, *_ in UNANSWERED:
        await action().run(dispatcher, _tracker(text, intent, lang, ranking, channel), domain)
    # A confident answer and a message with no question in it are not for review.
    await ActionAnswerFact().run(dispatcher, _tracker("credit ratio?", "ask_fact", "en",
                                                      [("credit_ratio_30", 0.93)], "rest"), domain)
    await ActionDontKnow().run(dispatcher, _tracker("🙂🙂", "nlu_fallback", "ja", [], "rest"), domain)
    assert recorder.flush(10)
    recorded = ReviewStore().questions()
    assert [(q.text, q.language, q.channel, q.reason, q.fact_id, q.score) for q in recorded] == [
        (text, lang, channel, reason, fact, score)
        for _, text, _, lang, _, channel, reason, fact, score in UNANSWERED]
    now = datetime.now(timezone.utc)
    assert all(q.status == OPEN and now - timedelta(minutes=1) < q.asked_at <= now for q in recorded)


async def test_nothing_that_identifies_the_person_is_stored(store, dispatcher, domain, review_db):
    for action, text, intent, lang, ranking, channel, *_ in UNANSWERED:
        await action().run(dispatcher, _tracker(text, intent, lang, ranking, channel), domain)
    assert recorder.flush(10)
    columns = {column["name"] for column in inspect(ReviewStore().engine).get_columns(questions_table.name)}
    assert columns == {"id", "asked_at", "text", "language", "channel", "reason", "fact_id", "score",
                       "status", "resolved_fact", "resolved_at"}
    with sqlite3.connect(review_db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "東京の天気は？" in dump  # the dump holds the data ...
    assert SENDER not in dump and "991234" not in dump  # ... but not the sender or the chat


def test_retention_purges_old_questions_on_write_at_most_once_an_hour(review_db, monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "30")
    store = ReviewStore()
    now = datetime.now(timezone.utc)
    old = store.record(Question("Kapan pertemuan berikutnya?", "id", "rest", "fallback",
                                asked_at=now - timedelta(days=31)))
    kept = store.record(Question("次の会談はいつですか？", "ja", "rest", "fallback",
                                 asked_at=now - timedelta(days=29)))
    recorder.submit(Question("When is the next meeting?", "en", "rest", "fallback"))
    assert recorder.flush(10)
    assert [q.id for q in store.questions()][:1] == [kept] and store.get(old) is None
    # Within the hour another write does not purge again (a DELETE per message is not needed).
    again = store.record(Question("Kapan rapat lagi?", "id", "rest", "fallback",
                                  asked_at=now - timedelta(days=40)))
    recorder.submit(Question("And the next one?", "en", "rest", "fallback"))
    assert recorder.flush(10)
    assert store.get(again) is not None
    # `make review` purges on every run (bot.review.store.open_for_review).
    assert store.purge() == 1 and store.get(again) is None


def test_retention_zero_records_nothing(review_db, monkeypatch):
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "0")
    recorder.submit(Question("Berapa anggarannya?", "id", "rest", "sources_dont_say"))
    assert recorder.flush(10)
    assert not review_db.exists()


async def test_a_broken_review_store_is_logged_and_the_reply_is_sent(store, dispatcher, domain,
                                                                     tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("REVIEW_DB_URL", f"sqlite:///{blocker / 'review.db'}")
    failures = recorder.failures
    tracker = _tracker("SMRJはいくら出資しますか？", "ask_fact", "ja", [("org_smrj", 0.8)], "telegram")
    with caplog.at_level(logging.ERROR, logger="bot.review.recorder"):
        await ActionAnswerFact().run(dispatcher, tracker, domain)
        assert recorder.flush(10)
    assert [m["response"] for m in dispatcher.messages][0] == "utter_sources_dont_say"
    assert recorder.failures == failures + 1
    assert "could not record an unanswered question" in caplog.text


# --- the same SQL on SQLite and PostgreSQL (tests/test_scale_out.py runs this on the cluster's) ---

def check_round_trip(store: ReviewStore) -> None:
    """Record, list, resolve, count and purge on an empty store (retention 30 days)."""
    assert not store.exists()
    now = datetime.now(timezone.utc)
    ids = [store.record(Question(text, lang, "rest", "sources_dont_say", fact, score,
                                 asked_at=now - timedelta(days=age)))
           for text, lang, fact, score, age in [
               ("Berapa dana yang diberikan SMRJ?", "id", "org_smrj", 0.8, 1),
               ("SMRJはいくら出資しますか？", "ja", "org_smrj", 0.81234567, 2),
               ("How much funding does SMRJ give?", "en", None, None, 45)]]
    assert store.exists()
    assert [(q.text, q.language, q.fact_id, q.score) for q in store.questions()] == [
        ("How much funding does SMRJ give?", "en", None, None),
        ("SMRJはいくら出資しますか？", "ja", "org_smrj", 0.8123),
        ("Berapa dana yang diberikan SMRJ?", "id", "org_smrj", 0.8)]
    assert [q.asked_at.tzinfo for q in store.questions()] == [timezone.utc] * 3
    assert store.resolve(ids[0], ATTACHED, "org_smrj").resolved_fact == "org_smrj"
    store.resolve(ids[1], DISMISSED)
    assert [q.id for q in store.questions()] == [ids[2]]
    assert store.counts() == {OPEN: 1, ATTACHED: 1, DISMISSED: 1}
    assert store.purge() == 1 and store.get(ids[2]) is None
    assert [q.id for q in store.questions((ATTACHED, DISMISSED))] == [ids[1], ids[0]]


def test_record_list_resolve_and_purge(tmp_path):
    check_round_trip(ReviewStore(f"sqlite:///{tmp_path / 'review.db'}", retention_days=30))
