"""Whole conversations over Rasa's REST channel, with the trained model, the Rasa server and the
action server running as they do under `make run` (on free loopback ports; the pair this session
shares with the hostile-input and Telegram tests, tests/shared_bot.py).

Needs a trained model (``make train``; ``make test`` trains before it runs pytest).
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from bot.facts import FactsStore
from tests.conftest import domain_response
from tests.shared_bot import RATE_LIMIT

KANA = re.compile(r"[\u3040-\u30ff]")
pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def bot(shared_bot):
    """The session's shared servers (tests/shared_bot.py), seen through the REST channel."""
    return Bot(shared_bot.rest_url, shared_bot.store)


class Bot:
    def __init__(self, url: str, store: FactsStore) -> None:
        self.url = url
        self.store = store

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        body: dict = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = requests.post(self.url, json=body, timeout=60)
        assert response.status_code == 200, response.text
        replies = response.json()
        assert replies, f"no reply to {text!r}"
        assert replies[0].get("text") not in _RATE_LIMITED, (
            f"{sender} is over the shared servers' rate limit ({RATE_LIMIT} messages a minute): "
            "split the conversation or use another sender")
        return replies

    @staticmethod
    def text(replies: list[dict]) -> str:
        return "\n".join(r.get("text", "") for r in replies)


_RATE_LIMITED = {domain_response("utter_rate_limited", lang) for lang in ("id", "ja", "en")}


def _sender(name: str) -> str:
    return f"{name}-{time.monotonic_ns()}"


def test_japanese_question_gets_a_japanese_answer_card_with_follow_ups(bot):
    user = _sender("ja")
    replies = bot.say(user, "中小企業向けの銀行融資の比率はどこまで上げるの？")
    text = bot.text(replies)
    fact = bot.store.get("credit_ratio_30")
    quotes = [quote for citation in fact.sources for quote in citation.quotes]
    # The card: statement first, a short source line, the long Indonesian quote one tap away.
    card = next(r for r in replies if fact.statement["ja"] in r.get("text", ""))
    assert card["text"].startswith(fact.statement["ja"]) and "出典：ANTARA" in card["text"]
    assert not any(quote in text for quote in quotes)
    [quote_button] = card["buttons"]
    assert quote_button == {"title": "出典の原文", "payload": '/show_quote{"fact":"credit_ratio_30"}'}
    buttons = replies[-1]["buttons"]
    assert buttons and all(KANA.search(b["title"]) or re.search("[一-龯]", b["title"]) for b in buttons)
    # The tap: the verbatim quote, its source named, the conversation still in Japanese.
    quoted = bot.text(bot.say(user, quote_button["payload"]))
    assert all(quote in quoted for quote in quotes) and "原文・インドネシア語" in quoted


@pytest.mark.parametrize(("text", "lang"), [("/brief", "id"), ("概要を教えて", "ja"),
                                            ("brief me", "en")])
def test_briefing_is_one_message_in_the_language_asked(bot, text, lang):
    replies = bot.say(_sender(f"brief-{lang}"), text, metadata={"language": lang})
    assert len(replies) == 1, replies
    [briefing] = replies
    points = bot.store.briefing()
    assert all(f"{n}. {p.short[lang]}" in briefing["text"] for n, p in enumerate(points, 1))
    assert briefing["text"].count("ANTARA") == 1
    assert [b["payload"] for b in briefing["buttons"]] == [
        f'/ask_fact{{"fact":"{p.fact}"}}' for p in points]


def test_latin_name_inside_japanese_gets_that_profile(bot):
    text = bot.text(bot.say(_sender("ja-name"), "SMRJとは？"))
    assert bot.store.get("org_smrj").statement["ja"] in text


def test_indonesian_conversation_sticks_then_switches(bot):
    user = _sender("id")
    text = bot.text(bot.say(user, "Sejak kapan kerja sama Indonesia dan Jepang di bidang koperasi?"))
    assert bot.store.get("cooperation_since_1978").statement["id"] in text
    assert "Sumber: ANTARA" in text
    # "ok" carries no language: the conversation stays Indonesian.
    assert not KANA.search(bot.text(bot.say(user, "ok")))
    text = bot.text(bot.say(user, "Siapa Nagamine Makoto?"))
    assert bot.store.get("person_nagamine").statement["id"] in text
    # An explicit request switches, and the next ambiguous message keeps the new language.
    assert "English" in bot.text(bot.say(user, "pakai bahasa Inggris dong"))
    text = bot.text(bot.say(user, "SMRJ?"))
    assert bot.store.get("org_smrj").statement["en"] in text


def test_english_greeting_offers_the_topic_menu(bot):
    replies = bot.say(_sender("en"), "hello there, good morning")
    assert replies[0]["text"].startswith("Hello!")
    titles = [b["title"] for b in replies[-1]["buttons"]]
    assert titles == [entry.title["en"] for entry in bot.store.menu()]


def test_follow_up_button_payload_answers_that_fact(bot):
    user = _sender("btn")
    bot.say(user, "Kapan pertemuannya?")
    text = bot.text(bot.say(user, '/ask_fact{"fact":"meeting_day"}'))
    assert bot.store.get("meeting_day").statement["id"] in text


def test_first_ambiguous_message_follows_the_channel_hint(bot):
    replies = bot.say(_sender("hint"), "Smesco", metadata={"language": "ja-JP"})
    assert KANA.search(bot.text(replies))


def test_contact_question_never_invents_details(bot):
    text = bot.text(bot.say(_sender("contact"), "What is the phone number of the Gamagori City Government?"))
    assert text.startswith("My sources don't say contact details")
    assert not re.search(r"\+?\d[\d\s().-]{7,}\d", text)
    assert not any(fact.statement["en"] in text for fact in bot.store.all())


@pytest.mark.parametrize(
    ("text", "lang", "start"),
    [("How much money did SMRJ commit to Indonesian cooperatives?", "en", "My sources don't say"),
     ("Kapan pertemuan berikutnya antara Teten dan METI?", "id", "Sumber saya tidak menyebutkan"),
     ("東京SMEセンターの代表者は誰ですか？", "ja", "資料には"),
     ("Who is the METI minister?", "en", "My sources don't")],
)
def test_unanswerable_questions_get_my_sources_dont_say_with_buttons_not_facts(bot, text, lang,
                                                                              start):
    replies = bot.say(_sender(f"dont-say-{lang}"), text)
    reply = bot.text(replies)
    assert replies[0]["text"].startswith(start), reply
    assert not any(fact.statement[lang] in reply for fact in bot.store.all()), "no fact stated"
    assert replies[-1].get("buttons"), "the closest facts are offered as buttons"


@pytest.mark.parametrize(
    ("text", "lang", "facts"),
    [("Teten", "id", ["person_teten"]), ("中小機構", "ja", ["org_smrj"]),
     ("METI and SMRJ", "en", ["org_meti", "org_smrj"])],
)
def test_a_bare_name_gets_that_entitys_card(bot, text, lang, facts):
    reply = bot.text(bot.say(_sender("name"), text, metadata={"language": lang}))
    for fact_id in facts:
        assert bot.store.get(fact_id).statement[lang] in reply


@pytest.mark.parametrize(
    ("text", "lang"), [("hai", "id"), ("rumput laut", "id"), ("kredit UMKM", "id"), ("hello", "en")])
def test_a_short_first_message_without_a_hint_is_answered_in_its_language(bot, text, lang):
    reply = bot.text(bot.say(_sender("short"), text))
    expected = {"id": domain_response("utter_greet", "id")[:10], "en": "Hello!"}
    if text in ("hai", "hello"):
        assert reply.startswith(expected[lang]), reply
    else:
        assert "Sumber:" in reply or "Sumber saya" in reply or "Topik" in reply, reply


def test_out_of_scope_is_honest_and_in_the_language(bot):
    replies = bot.say(_sender("oos"), "今日の東京の天気はどうですか？")
    text = bot.text(replies)
    honest = [domain_response(name, "ja") for name in ("utter_out_of_scope", "utter_dont_know")]
    assert replies[0]["text"] in honest
    assert not any(fact.statement["ja"] in text for fact in bot.store.all()), "no fact is offered as an answer"
    titles = [b["title"] for b in replies[-1].get("buttons", [])]
    assert titles == [entry.title["ja"] for entry in bot.store.menu()], "the topics the bot knows are offered"


@pytest.mark.parametrize(
    ("first", "message"),
    [("Apa itu SMRJ?", ""), ("Apa itu SMRJ?", "   "), ("SMRJとは？", "👍🙂"),
     ("What is SMRJ?", "a" * 20000), ("Apa itu SMRJ?", "Kerja sama " + "koperasi " * 2500),
     ("SMRJとは？", "SMRJ и 中小機構 and العربية?"), ("What is SMRJ?", "<script>alert(1)</script>")],
)
def test_bad_input_gets_a_polite_reply_in_the_conversation_language(bot, first, message):
    user = _sender("bad")
    bot.say(user, first)
    text = bot.text(bot.say(user, message))
    assert text.strip()
    if KANA.search(first):
        assert KANA.search(text)
    else:
        assert not KANA.search(text)

