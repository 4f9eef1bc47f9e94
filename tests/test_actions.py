"""Every custom action, run with a real rasa-sdk Tracker and CollectingDispatcher."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SessionStarted, SlotSet

from actions.answer_fact import ActionAnswerFact
from actions.dont_know import ActionDontKnow
from actions.menu import ActionShowMenu
from actions.session_start import ActionSessionStart


def _entity(kind: str, value: str) -> dict:
    return {"entity": kind, "value": value, "start": 0, "end": len(value)}


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_answer_fact_in_the_conversation_language_with_source(store, dispatcher, domain,
                                                                    tracker_for, lang):
    tracker = tracker_for("credit ratio?", intent="ask_credit_ratio", language=lang)
    events = await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert events == []
    fact = store.get("credit_ratio_30")
    first = dispatcher.messages[0]
    assert first["response"] == "utter_fact_answer"
    assert first["statement"] == fact.statement[lang]
    assert first["publisher"] == "ANTARA" and first["quote"] == fact.source.quote
    follow_ups = dispatcher.messages[-1]
    assert follow_ups["response"] == "utter_follow_ups"
    assert 2 <= len(follow_ups["buttons"]) <= 3
    related = store.get_many(list(fact.related))
    assert [b["title"] for b in follow_ups["buttons"]] == [f.question[lang] for f in related][:3]
    for button in follow_ups["buttons"]:
        assert button["payload"].startswith("/ask_") and len(button["payload"].encode()) <= 64


async def test_follow_up_payload_answers_exactly_that_fact(store, dispatcher, domain, tracker_for):
    tracker = tracker_for('/ask_meeting{"fact":"meeting_day"}', intent="ask_meeting", language="ja",
                          entities=[_entity("fact", "meeting_day")])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    statements = [m["statement"] for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert statements == [store.get("meeting_day").statement["ja"]]
    assert "水曜日" in statements[0]


async def test_entity_narrows_the_answer(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("Apa itu SMRJ?", intent="ask_organisation", language="id",
                          entities=[_entity("organisation", "SMRJ")])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    answers = [m for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert [a["statement"] for a in answers] == [store.get("org_smrj").statement["id"]]


async def test_overview_is_capped_and_all_answers_are_sourced(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("what is this about", intent="ask_overview", language="en")
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    answers = [m for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert 1 <= len(answers) <= 3
    assert all(a["publisher"] and a["quote"] for a in answers)


async def test_contact_question_gives_website_only_where_known_and_no_invented_details(
        store, dispatcher, domain, tracker_for):
    tracker = tracker_for("SMRJの電話番号は？", intent="ask_contact", language="ja",
                          entities=[_entity("organisation", "SMRJ")])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert responses[:3] == ["utter_fact_answer", "utter_official_website", "utter_no_contact_details"]
    website = dispatcher.messages[1]
    assert website["website"] == "https://www.smrj.go.jp/" and "中小機構" in website["name"]

    dispatcher.messages.clear()
    tracker = tracker_for("nomor telepon Smesco?", intent="ask_contact", language="id",
                          entities=[_entity("organisation", "Smesco")])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert "utter_official_website" not in responses and "utter_no_contact_details" in responses


async def test_unbuilt_store_gets_a_polite_reply(tmp_path, monkeypatch, dispatcher, domain,
                                                 tracker_for):
    from actions import conversation

    monkeypatch.setenv("FACTS_DB_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    conversation.store.cache_clear()
    try:
        tracker = tracker_for("credit?", intent="ask_credit_ratio", language="id")
        await ActionAnswerFact().run(dispatcher, tracker, domain)
        assert [m["response"] for m in dispatcher.messages] == ["utter_facts_unavailable"]
    finally:
        conversation.store.cache_clear()


async def test_intent_without_facts_admits_not_knowing(store, dispatcher, domain, tracker_for):
    await ActionAnswerFact().run(dispatcher, tracker_for("x", intent="ask_unknown"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_dont_know"]


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_menu_lists_topics_in_the_language(store, dispatcher, domain, tracker_for, lang):
    await ActionShowMenu().run(dispatcher, tracker_for("help", intent="help", language=lang), domain)
    (message,) = dispatcher.messages
    assert message["response"] == "utter_topics_menu"
    assert [b["title"] for b in message["buttons"]] == [e.title[lang] for e in store.menu()]
    assert all(b["payload"].startswith("/") for b in message["buttons"])


async def test_search_fallback_is_off_by_default(store, dispatcher, domain, tracker_for,
                                                 monkeypatch):
    monkeypatch.delenv("BOT_SEARCH_MIN_SCORE", raising=False)
    tracker = tracker_for("胡椒の日本への輸出", intent="nlu_fallback", language="ja")
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_dont_know", "utter_topics_menu"]


async def test_dont_know_offers_topics_for_unrelated_text(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("Siapa juara Piala Dunia 2022?", intent="nlu_fallback", language="id")
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_dont_know", "utter_topics_menu"]


async def test_dont_know_answers_a_confident_search_match(store, dispatcher, domain, tracker_for,
                                                          monkeypatch):
    monkeypatch.setenv("BOT_SEARCH_MIN_SCORE", "0.8")
    tracker = tracker_for("胡椒の日本への輸出", intent="nlu_fallback", language="ja")
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_search_match", "utter_fact_answer"]
    assert dispatcher.messages[1]["statement"] == store.get("pepper_export_japan").statement["ja"]


@pytest.mark.parametrize("text", ["", "   ", "👍👍", "?!"])
async def test_dont_know_on_wordless_messages(store, dispatcher, domain, tracker_for, text):
    await ActionDontKnow().run(dispatcher, tracker_for(text, intent="nlu_fallback", language="ja"),
                               domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_question", "utter_topics_menu"]


@pytest.mark.parametrize(
    ("metadata", "slot", "expected"),
    [({"language": "ja-JP"}, None, "ja"), ({"language_code": "id"}, None, "id"), (None, None, "en"),
     ({"language": "fr"}, None, "en"), ({"language": "ja"}, "id", "id")],
)
async def test_session_start_sets_language_from_hint(dispatcher, domain, tracker_for, metadata, slot,
                                                     expected):
    tracker = tracker_for("ok", language=slot, session_metadata=metadata)
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert events[0] == SessionStarted()
    assert SlotSet("language", expected) in events
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    assert dispatcher.messages == []
