"""Every custom action, run with a real rasa-sdk Tracker and CollectingDispatcher.

The NLU output (intent, ResponseSelector ranking, entities) is given as Rasa puts it into the
tracker; tests/test_conversations.py covers the same behaviour with the trained model.
"""

from __future__ import annotations

import pytest
from rasa_sdk.events import SessionStarted, SlotSet

from actions.answer_fact import ActionAnswerFact
from actions.dont_know import ActionDontKnow
from actions.menu import ActionShowMenu
from actions.session_start import ActionSessionStart
from actions.source_quote import ActionShowQuote


def _entity(kind: str, value: str, text: str = "", start: int = 0) -> dict:
    return {"entity": kind, "value": value, "start": start, "end": start + len(text or value)}


def _responses(dispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_answer_fact_in_the_conversation_language_with_source(store, dispatcher, domain,
                                                                    tracker_for, lang):
    tracker = tracker_for("credit ratio?", intent="ask_fact", language=lang,
                          facts=[("credit_ratio_30", 0.93), ("meeting_day", 0.02)])
    events = await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert events == [SlotSet("stated_facts", ["credit_ratio_30"])]
    fact = store.get("credit_ratio_30")
    first = dispatcher.messages[0]
    assert first["response"] == "utter_fact_answer"
    assert first["statement"] == fact.statement[lang]
    # An answer card: a short source line (publisher, day as given), the quote one tap away.
    assert first["source"] == "ANTARA, Rabu (Wednesday)"
    assert first["quote_payload"] == '/show_quote{"fact":"credit_ratio_30"}'
    for quote in fact.sources[0].quotes:
        assert quote not in str(first)
    follow_ups = dispatcher.messages[-1]
    assert follow_ups["response"] == "utter_follow_ups"
    assert 1 <= len(follow_ups["buttons"]) <= 3
    for button in follow_ups["buttons"]:
        assert button["payload"].startswith('/ask_fact{"fact":"')
        assert len(button["payload"].encode()) <= 64


async def test_follow_up_payload_answers_exactly_that_fact(store, dispatcher, domain, tracker_for):
    tracker = tracker_for('/ask_fact{"fact":"meeting_day"}', intent="ask_fact", language="ja",
                          entities=[_entity("fact", "meeting_day")])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    statements = [m["statement"] for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert statements == [store.get("meeting_day").statement["ja"]]
    assert "水曜日" in statements[0]


async def test_a_group_states_its_facts(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("kebijakan substitusi impor?", intent="ask_fact", language="id",
                          facts=[("import_substitution", 0.8)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    stated = [m["statement"] for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert stated == [f.statement["id"] for f in store.answer("import_substitution")][:3]


@pytest.mark.parametrize(
    ("text", "lang", "label", "missing"),
    [
        ("How much funding did SMRJ commit to Indonesian SMEs?", "en", "org_smrj", "amount"),
        ("次の会談はいつですか？", "ja", "meeting_day", "plan"),
        ("Berapa nomor telepon SMRJ?", "id", "org_smrj", "contact"),
        ("Who heads the Tokyo SME Center?", "en", "org_tokyo_sme_center", "person"),
        ("Berapa suku bunga kredit UMKM?", "id", "credit_ratio_30", "rate"),
    ],
)
async def test_a_fact_that_does_not_give_what_was_asked_is_never_stated(
        store, dispatcher, domain, tracker_for, text, lang, label, missing):
    """The selector is confident, but the question asks for something the fact does not give."""
    tracker = tracker_for(text, intent="ask_fact", language=lang, facts=[(label, 0.97)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert "utter_fact_answer" not in _responses(dispatcher)
    assert _responses(dispatcher)[0] == "utter_sources_dont_say"
    question_type = next(q for q in store.question_types() if q.id == missing)
    assert question_type.missing[lang] in dispatcher.messages[0]["missing"]
    offers = next(m for m in dispatcher.messages if m["response"] == "utter_closest_facts")
    assert f'"fact":"{label}"' in " ".join(b["payload"] for b in offers["buttons"])


async def test_contact_question_offers_the_official_website_labelled_as_not_from_the_article(
        store, dispatcher, domain, tracker_for):
    tracker = tracker_for("SMRJの電話番号は？", intent="ask_fact", language="ja",
                          entities=[_entity("organisation", "SMRJ", "SMRJ")],
                          facts=[("org_smrj", 0.9)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert _responses(dispatcher)[:2] == ["utter_sources_dont_say", "utter_official_website"]
    website = dispatcher.messages[1]
    assert website["website"] == "https://www.smrj.go.jp/" and "中小機構" in website["name"]
    text = next(v["text"] for v in domain["responses"]["utter_official_website"]
                if v.get("condition", [{}])[0].get("value") == "ja")
    assert "記載されたものではありません" in text


async def test_low_confidence_states_nothing_and_offers_the_closest(store, dispatcher, domain,
                                                                   tracker_for):
    tracker = tracker_for("apa kabar lada?", intent="ask_fact", language="id",
                          facts=[("pepper_export_japan", 0.15), ("commodity_downstreaming", 0.1)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_sources_dont_answer", "utter_closest_facts"]
    titles = [b["title"] for b in dispatcher.messages[1]["buttons"]]
    assert titles[0] == store.get("pepper_export_japan").question["id"]


@pytest.mark.parametrize(("text", "lang", "label", "stated"), [
    # The search finds the pepper fact first: it seconds the unsure selector.
    ("berapa ton lada babel yang diekspor ke jepang", "id", "pepper_export_japan", True),
    ("バンカ・ブリトゥン州のコショウ輸出", "ja", "pepper_export_japan", True),
    # The search finds the pepper fact, the selector leans to another one: nothing is stated.
    ("berapa ton lada babel yang diekspor ke jepang", "id", "commodity_downstreaming", False),
    # Nothing of the question is in the fact: no second opinion.
    ("what's up with the weather", "en", "pepper_export_japan", False),
])
async def test_below_the_threshold_the_search_can_second_the_selector(
        store, dispatcher, domain, tracker_for, text, lang, label, stated):
    hits = store.search(text, lang, limit=1)
    assert (bool(hits) and hits[0].fact.id == label) is stated
    tracker = tracker_for(text, intent="ask_fact", language=lang, facts=[(label, 0.25)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    answered = [m["statement"] for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert answered == ([store.get(label).statement[lang]] if stated else [])


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_a_fact_that_never_mentions_the_named_entity_is_not_its_answer(
        store, dispatcher, domain, tracker_for, lang):
    """The selector is sure of the meeting fact, but the question is about IFC, which that fact
    never mentions: IFC's card is offered, nothing is stated."""
    assert "ifc" not in store.mentioned_entities(["meeting_participants"])
    tracker = tracker_for("IFC?", intent="ask_fact", language=lang,
                          entities=[_entity("organisation", "IFC")],
                          facts=[("meeting_participants", 0.9)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert "utter_fact_answer" not in _responses(dispatcher)
    offers = next(m for m in dispatcher.messages if m["response"] == "utter_closest_facts")
    payloads = [b["payload"] for b in offers["buttons"]]
    assert '"fact":"org_ifc"' in payloads[0] and '"fact":"meeting_participants"' in " ".join(payloads)


@pytest.mark.parametrize(
    ("text", "lang", "entities", "expected"),
    [
        ("Teten", "id", [("person", "Teten Masduki")], ["person_teten"]),
        ("中小機構", "ja", [("organisation", "SMRJ")], ["org_smrj"]),
        ("METI and SMRJ", "en", [("organisation", "METI"), ("organisation", "SMRJ")],
         ["org_meti", "org_smrj"]),
    ],
)
async def test_bare_names_get_their_cards(store, dispatcher, domain, tracker_for, text, lang,
                                          entities, expected):
    tracker = tracker_for(text, intent="ask_entity", language=lang,
                          entities=[_entity(kind, value) for kind, value in entities])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    stated = [m["statement"] for m in dispatcher.messages if m["response"] == "utter_fact_answer"]
    assert stated == [store.get(i).statement[lang] for i in expected]


async def test_unbuilt_store_gets_a_polite_reply(tmp_path, monkeypatch, dispatcher, domain,
                                                 tracker_for):
    from actions import conversation

    monkeypatch.setenv("FACTS_DB_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    conversation.store.cache_clear()
    try:
        tracker = tracker_for("credit?", intent="ask_fact", language="id",
                              facts=[("credit_ratio_30", 0.9)])
        await ActionAnswerFact().run(dispatcher, tracker, domain)
        assert _responses(dispatcher) == ["utter_facts_unavailable"]
    finally:
        conversation.store.cache_clear()


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_menu_lists_topics_in_the_language(store, dispatcher, domain, tracker_for, lang):
    await ActionShowMenu().run(dispatcher, tracker_for("help", intent="help", language=lang), domain)
    (message,) = dispatcher.messages
    assert message["response"] == "utter_topics_menu"
    assert [b["title"] for b in message["buttons"]] == [e.title[lang] for e in store.menu()]
    assert all(b["payload"].startswith('/ask_fact{"fact":"') for b in message["buttons"])


async def test_out_of_scope_near_the_facts_says_what_is_missing(store, dispatcher, domain,
                                                                tracker_for):
    tracker = tracker_for("Berapa investasi Jepang untuk UMKM?", intent="out_of_scope",
                          language="id", facts=[("joint_venture_invitation", 0.4)])
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_sources_dont_say", "utter_closest_facts"]
    assert "utter_fact_answer" not in _responses(dispatcher)


@pytest.mark.parametrize("text, stated", [
    # 45 tonnes is a quantity: it answers "how much pepper", not "how much money".
    ("how many tonnes of pepper went to japan", True),
    ("how much did the 45 tonnes of pepper sell for", False),
])
async def test_a_quantity_of_goods_is_not_an_amount_of_money(store, dispatcher, domain, tracker_for,
                                                             text, stated):
    tracker = tracker_for(text, intent="ask_fact", language="en",
                          facts=[("pepper_export_japan", 0.9)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert ("utter_fact_answer" in _responses(dispatcher)) is stated


@pytest.mark.parametrize("lang, text", [
    ("id", "berapa nomor telepon kantor Smesco?"), ("ja", "中小機構の電話番号を教えてください"),
    ("en", "how much did Japan put into the joint venture?"),
])
async def test_the_no_fact_label_says_the_sources_do_not_say_and_offers_the_next_facts(
        store, dispatcher, domain, tracker_for, lang, text):
    """``ask_fact/not_answered`` first: no fact is stated, however sure the selector is; the
    candidates after it are offered as buttons, and the label itself never is."""
    tracker = tracker_for(text, intent="ask_fact", language=lang,
                          facts=[("not_answered", 0.97), ("joint_venture_invitation", 0.02),
                                 ("org_smesco", 0.01)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    responses = _responses(dispatcher)
    assert "utter_fact_answer" not in responses
    assert responses[0] in ("utter_sources_dont_say", "utter_sources_dont_answer")
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert not any("not_answered" in payload for payload in payloads)


async def test_out_of_scope_states_no_fact_even_when_the_selector_is_sure(store, dispatcher, domain,
                                                                          tracker_for):
    tracker = tracker_for("tell me about the 45 ton export", intent="out_of_scope", language="en",
                          facts=[("pepper_export_japan", 0.95)])
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_out_of_scope", "utter_topics_menu"]


async def test_unrelated_out_of_scope_offers_the_topics(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("Siapa juara Piala Dunia 2022?", intent="out_of_scope", language="id",
                          facts=[("meeting_participants", 0.01)])
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_out_of_scope", "utter_topics_menu"]


async def test_fallback_on_unrelated_text_admits_not_knowing(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("blorp zzkx", intent="nlu_fallback", language="en")
    await ActionDontKnow().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_dont_know", "utter_topics_menu"]


@pytest.mark.parametrize("text", ["", "   ", "👍👍", "?!"])
async def test_dont_know_on_wordless_messages(store, dispatcher, domain, tracker_for, text):
    await ActionDontKnow().run(dispatcher, tracker_for(text, intent="nlu_fallback", language="ja"),
                               domain)
    assert _responses(dispatcher) == ["utter_no_question", "utter_topics_menu"]


@pytest.mark.parametrize(
    ("metadata", "slot", "expected"),
    [({"language": "ja-JP"}, None, "ja"), ({"language": "id"}, None, "id"), ({"language_code": "id"}, None, "en"), (None, None, "en"),
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


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_briefing_is_one_message_of_points_from_the_facts_data(store, dispatcher, domain,
                                                                      tracker_for, lang):
    tracker = tracker_for("/brief", intent="brief", language=lang)
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_briefing"]
    message = dispatcher.messages[0]
    points = store.briefing()
    assert 6 <= len(points) <= 8
    lines = message["points"].split("\n")
    assert lines == [f"{n}. {p.short[lang]}" for n, p in enumerate(points, start=1)]
    # The sources are named once, at the end; one button per point opens its full fact.
    assert message["sources"] == "ANTARA, Rabu (Wednesday)"
    assert [b["payload"] for b in message["buttons"]] == [
        f'/ask_fact{{"fact":"{p.fact}"}}' for p in points]
    assert all(b["title"].startswith(f"{n}. ") for n, b in enumerate(message["buttons"], 1))
    assert all(store.get(p.fact).question[lang] in b["title"]
               for p, b in zip(points, message["buttons"], strict=False))


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_quote_button_gives_the_verbatim_quote_of_that_fact(store, dispatcher, domain,
                                                                   tracker_for, lang):
    tracker = tracker_for('/show_quote{"fact":"credit_ratio_30"}', intent="show_quote",
                          language=lang, entities=[_entity("fact", "credit_ratio_30")])
    await ActionShowQuote().run(dispatcher, tracker, domain)
    fact = store.get("credit_ratio_30")
    quotes = [m for m in dispatcher.messages if m["response"] == "utter_source_quote"]
    assert [m["quote"] for m in quotes] == [
        " ".join(f"“{q}”" for q in c.quotes) for c in fact.sources]
    assert all(m["source"].startswith("ANTARA") for m in quotes)


async def test_typed_quote_request_quotes_the_last_answer(store, dispatcher, domain, tracker_for):
    tracker = tracker_for("where does it say that?", intent="show_quote", language="en",
                          slots={"stated_facts": ["meeting_day", "org_smrj"]})
    await ActionShowQuote().run(dispatcher, tracker, domain)
    quoted = [m["quote"] for m in dispatcher.messages if m["response"] == "utter_source_quote"]
    expected = [c for f in store.get_many(["meeting_day", "org_smrj"]) for c in f.sources]
    assert len(quoted) == len(expected) and quoted[0].startswith("“")


async def test_quote_with_nothing_answered_yet_says_so_and_offers_topics(store, dispatcher,
                                                                         domain, tracker_for):
    tracker = tracker_for("kutipan sumbernya mana", intent="show_quote", language="id")
    await ActionShowQuote().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_no_quote", "utter_topics_menu"]


@pytest.mark.parametrize(("text", "lang"), [
    ("what was the bank credit ratio for umkm in 2019", "en"),
    ("Kapan target afirmasi 40 persen itu harus tercapai?", "id"),
    ("2019年の中小企業向け融資比率は？", "ja"),
])
async def test_a_number_the_fact_does_not_state_is_not_answered_with_it(
        store, dispatcher, domain, tracker_for, text, lang):
    """The selector is sure of the credit-ratio fact, but the question pins a year or figure the
    fact never states: the fact is offered, not stated."""
    tracker = tracker_for(text, intent="ask_fact", language=lang,
                          facts=[("credit_ratio_30", 0.95)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert "utter_fact_answer" not in _responses(dispatcher)
    assert "utter_sources_dont_answer" in _responses(dispatcher)


@pytest.mark.parametrize(("text", "lang", "stated"), [
    ("Is tuna included among the downstreamed commodities?", "en", False),
    ("Apakah udang termasuk komoditas yang dihilirisasi?", "id", True),
])
async def test_an_inclusion_question_is_answered_only_when_the_list_names_its_item(
        store, dispatcher, domain, tracker_for, text, lang, stated):
    """The selector is sure of the commodities fact; tuna is not on its list, shrimp is."""
    tracker = tracker_for(text, intent="ask_fact", language=lang,
                          facts=[("commodity_downstreaming", 0.95)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert ("utter_fact_answer" in _responses(dispatcher)) is stated
    assert ("utter_sources_dont_answer" in _responses(dispatcher)) is not stated


@pytest.mark.parametrize(("text", "lang", "stated"), [
    ("Who is the METI minister?", "en", False),
    ("Siapa perdana menteri Jepang?", "id", False),
    ("Who is the minister of cooperatives and SMEs?", "en", True),
])
async def test_an_office_question_is_answered_only_by_a_fact_naming_its_holder(
        store, dispatcher, domain, tracker_for, text, lang, stated):
    """The selector is sure of Teten's card; it names the holder of one office only."""
    tracker = tracker_for(text, intent="ask_fact", language=lang, facts=[("person_teten", 0.95)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert ("utter_fact_answer" in _responses(dispatcher)) is stated
    # Refused, the reply names what the sources do not give: who holds the office.
    assert ("utter_sources_dont_say" in _responses(dispatcher)) is not stated
    if not stated:
        assert dispatcher.messages[0]["missing"] == store.question_types()[
            [q.id for q in store.question_types()].index("person")].missing[lang]


async def test_when_the_selector_offers_nothing_the_search_offers_the_closest_facts(
        store, dispatcher, domain, tracker_for):
    """Sure that no fact answers, the selector leaves no candidate worth a button; the facts that
    hold most of the question's words are offered instead of only the topic menu."""
    tracker = tracker_for("Is tuna included in the downstreaming of commodities?", intent="ask_fact",
                          language="en", facts=[("not_answered", 0.99)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert _responses(dispatcher) == ["utter_sources_dont_answer", "utter_closest_facts"]
    payloads = " ".join(b["payload"] for b in dispatcher.messages[1]["buttons"])
    assert '"fact":"commodity_downstreaming"' in payloads
