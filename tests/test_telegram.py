"""The Telegram channel: update parsing, reply splitting, and real update JSON posted to the
webhook of a running bot whose Bot API is a local fake that records what the bot sends."""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest
import requests

from bot.channels import telegram_webhook
from bot.channels.telegram import (
    MAX_MESSAGE_LENGTH,
    SECRET_HEADER,
    TelegramChannel,
    TelegramReplies,
    incoming_from_update,
    split_message,
)
from tests.conftest import domain_response
from tests.fake_telegram import FakeBotAPI
from tests.servers import running_bot

TOKEN = "123456:TEST-token_for-the-fake-api"
USERNAME = "briefing_test_bot"
SECRET = "s3cret-Token_for_tests"
KANA = re.compile(r"[\u3040-\u30ff]")
_ids = itertools.count(1000)


# --- real update JSON, as Telegram sends it ----------------------------------------------------

def _user(user_id: int, language_code: str | None = "en") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Delegate"}
    if language_code:
        user["language_code"] = language_code
    return user


def private_message(text: str | None, user_id: int, language_code: str | None = "en", **extra) -> dict:
    message = {"message_id": next(_ids), "date": 1700000000, "from": _user(user_id, language_code),
               "chat": {"id": user_id, "type": "private", "first_name": "Delegate"}, **extra}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": message}


def group_message(text: str, user_id: int, chat_id: int = -1001234, language_code: str = "id",
                  **extra) -> dict:
    message = {"message_id": next(_ids), "date": 1700000000, "from": _user(user_id, language_code),
               "chat": {"id": chat_id, "type": "supergroup", "title": "Delegasi"}, "text": text, **extra}
    handle = f"@{USERNAME}"
    if handle in text:
        message["entities"] = [{"type": "mention", "offset": text.index(handle), "length": len(handle)}]
    return {"update_id": next(_ids), "message": message}


def callback_query(data: str, user_id: int, language_code: str = "en") -> dict:
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": _user(user_id, language_code), "chat_instance": "1", "data": data,
        "message": {"message_id": next(_ids), "date": 1700000000,
                    "from": {"id": 42, "is_bot": True, "first_name": "Briefing", "username": USERNAME},
                    "chat": {"id": user_id, "type": "private"}, "text": "Related questions:"}}}


# --- parsing, no servers -----------------------------------------------------------------------

def test_private_text_is_answered_with_its_language_hint():
    incoming = incoming_from_update(private_message("SMRJとは？", 7, "ja"), USERNAME)
    assert (incoming.chat_id, incoming.sender_id, incoming.text, incoming.language_code) == (
        7, "7", "SMRJとは？", "ja")


@pytest.mark.parametrize(("text", "expected"), [
    ("/start", "/greet"), ("/help", "/help"), (f"/start@{USERNAME}", "/greet"),
    ("/smrj", "smrj"), ("/SMRJ apa itu", "smrj apa itu")])
def test_commands_become_intents_or_questions(text, expected):
    assert incoming_from_update(private_message(text, 7), USERNAME).text == expected


def test_group_messages_need_a_mention_a_reply_or_a_command():
    assert incoming_from_update(group_message("selamat pagi semua", 8), USERNAME) is None
    assert incoming_from_update(group_message("/help@other_bot", 8), USERNAME) is None
    mentioned = incoming_from_update(group_message(f"@{USERNAME} apa itu SMRJ?", 8), USERNAME)
    assert (mentioned.text, mentioned.sender_id, mentioned.chat_id) == ("apa itu SMRJ?", "-1001234:8",
                                                                        -1001234)
    reply = group_message("dan Smesco?", 8, reply_to_message={
        "message_id": 1, "date": 0, "chat": {"id": -1001234, "type": "supergroup"},
        "from": {"id": 42, "is_bot": True, "first_name": "B", "username": USERNAME}})
    assert incoming_from_update(reply, USERNAME).text == "dan Smesco?"
    assert incoming_from_update(group_message("/start", 8), USERNAME).text == "/greet"


def test_updates_the_bot_leaves_alone():
    edited = private_message("edited", 7)
    edited["edited_message"] = edited.pop("message")
    channel_post = {"update_id": 1, "channel_post": {"message_id": 1, "date": 0, "text": "news",
                                                     "chat": {"id": -100, "type": "channel"}}}
    from_bot = private_message("hi", 7)
    from_bot["message"]["from"]["is_bot"] = True
    for update in (edited, channel_post, from_bot, {"update_id": 5}, {"update_id": 6, "message": "x"}):
        assert incoming_from_update(update, USERNAME) is None


def test_sticker_in_private_chat_becomes_an_empty_message_and_caption_counts():
    sticker = private_message(None, 7, "id", sticker={"file_id": "abc", "emoji": "👍"})
    assert incoming_from_update(sticker, USERNAME).text == ""
    photo = private_message(None, 7, "id", photo=[{"file_id": "p"}], caption="Apa itu Smesco?")
    assert incoming_from_update(photo, USERNAME).text == "Apa itu Smesco?"


def test_callback_query_asks_for_its_payload():
    incoming = incoming_from_update(callback_query('/ask_meeting{"fact":"meeting_day"}', 9), USERNAME)
    assert incoming.text == '/ask_meeting{"fact":"meeting_day"}' and incoming.callback_query_id


def test_split_message_respects_the_limit_and_keeps_all_text():
    text = ("Kalimat panjang tentang kerja sama koperasi. " * 300).strip()
    pieces = split_message(text)
    assert len(pieces) > 1 and all(len(p) <= MAX_MESSAGE_LENGTH for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert split_message("あ" * 9000) == ["あ" * 4096, "あ" * 4096, "あ" * 808]


def test_channel_refuses_to_start_without_a_secret():
    with pytest.raises(Exception, match="TELEGRAM_SECRET_TOKEN"):
        TelegramChannel.from_credentials({"access_token": TOKEN, "verify": USERNAME})
    off = TelegramChannel.from_credentials({"access_token": "", "secret_token": ""})
    assert not off.enabled


@pytest.fixture(scope="module")
def fake_api() -> FakeBotAPI:
    return FakeBotAPI(bot_username=USERNAME).start()


def test_long_replies_are_split_and_buttons_ride_on_the_last_piece(fake_api):
    async def send() -> None:
        replies = TelegramReplies(TOKEN, fake_api.base_url)
        try:
            await replies.send_text_with_buttons("-100:7", "x " * 5000,
                                                 [{"title": "A", "payload": "/greet"},
                                                  {"title": "too long", "payload": "/" + "a" * 80}])
        finally:
            await replies.session.close()

    fake_api.clear()
    asyncio.run(send())
    sent = fake_api.sent()
    assert len(sent) == 3 and all(len(m["text"]) <= MAX_MESSAGE_LENGTH for m in sent)
    assert {m["chat_id"] for m in sent} == {"-100"}
    assert "reply_markup" not in sent[0]
    assert sent[-1]["reply_markup"]["inline_keyboard"] == [[{"text": "A", "callback_data": "/greet"}]]


def test_bot_username_is_fetched_once_when_not_configured(fake_api):
    channel = TelegramChannel(TOKEN, None, None, secret_token=SECRET, api_base_url=fake_api.base_url)

    async def twice() -> list:
        try:
            return [await channel.bot_username(), await channel.bot_username()]
        finally:
            await channel.get_output_channel().session.close()

    fake_api.clear()
    assert asyncio.run(twice()) == [USERNAME, USERNAME]
    assert len(fake_api.sent("getMe")) == 1


def test_webhook_command_registers_with_secret_and_allowed_updates(fake_api, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/webhooks/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    fake_api.clear()
    assert telegram_webhook.main(["set"]) == 0
    [call] = fake_api.calls
    assert call.method == "setWebhook" and call.token == TOKEN
    assert call.params == {"url": "https://bot.example.org/webhooks/telegram/webhook",
                           "secret_token": SECRET, "allowed_updates": ["message", "callback_query"]}
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://insecure")
    assert telegram_webhook.main(["set"]) == 2
    assert "https://" in capsys.readouterr().err


# --- the running bot ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def telegram_bot(tmp_path_factory, fake_api):
    env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_BOT_USERNAME": USERNAME, "TELEGRAM_SECRET_TOKEN": SECRET,
           "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
           "TELEGRAM_API_BASE_URL": fake_api.base_url}
    fake_api.clear()
    with running_bot(tmp_path_factory.mktemp("telegram"), extra_env=env) as running:
        running.webhook = f"{running.base_url}/webhooks/telegram/webhook"
        yield running


def _post(bot, update, secret: str | None = SECRET, **kwargs) -> requests.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return requests.post(bot.webhook, json=update, headers=headers, timeout=60, **kwargs)


def _texts(sent: list[dict]) -> str:
    return "\n".join(m["text"] for m in sent)


@pytest.mark.servers
def test_server_start_made_no_telegram_call(telegram_bot, fake_api):
    assert [c.method for c in fake_api.calls if c.token == TOKEN] == []


@pytest.mark.servers
def test_private_japanese_question_gets_japanese_answer_with_inline_keyboard(telegram_bot, fake_api):
    fake_api.clear()
    assert _post(telegram_bot, private_message("中小企業向けの銀行融資の比率はどこまで上げるの？", 501, "ja")).ok
    sent = fake_api.sent()
    assert sent and {m["chat_id"] for m in sent} == {"501"}
    assert telegram_bot.store.get("credit_ratio_30").statement["ja"] in _texts(sent)
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert keyboard and all(len(row) == 1 and len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)
    assert all(KANA.search(row[0]["text"]) or re.search("[一-龯]", row[0]["text"]) for row in keyboard)
    assert not fake_api.sent("getMe"), "getMe is not called per update"


@pytest.mark.parametrize(("lang", "user"), [("id", 502), ("ja", 503), ("en", 504)])
@pytest.mark.servers
def test_start_greets_in_the_users_telegram_language_with_the_topic_menu(telegram_bot, fake_api, lang, user):
    fake_api.clear()
    assert _post(telegram_bot, private_message("/start", user, lang)).ok
    sent = fake_api.sent()
    assert sent[0]["text"] == domain_response("utter_greet", lang)
    titles = [row[0]["text"] for row in sent[-1]["reply_markup"]["inline_keyboard"]]
    assert titles == [entry.title[lang] for entry in telegram_bot.store.menu()]


@pytest.mark.servers
def test_button_press_answers_the_callback_and_that_fact(telegram_bot, fake_api):
    fake_api.clear()
    update = callback_query('/ask_meeting{"fact":"meeting_day"}', 505, "en")
    assert _post(telegram_bot, update).ok
    assert [c["callback_query_id"] for c in fake_api.sent("answerCallbackQuery")] == [
        update["callback_query"]["id"]]
    assert telegram_bot.store.get("meeting_day").statement["en"] in _texts(fake_api.sent())


@pytest.mark.servers
def test_group_chat_answers_only_when_addressed(telegram_bot, fake_api):
    fake_api.clear()
    assert _post(telegram_bot, group_message("apa kabar semuanya, rapat jam berapa?", 506)).json() == {
        "status": "ignored"}
    assert fake_api.sent() == []
    assert _post(telegram_bot, group_message(f"@{USERNAME} apa itu SMRJ?", 506)).ok
    sent = fake_api.sent()
    assert {m["chat_id"] for m in sent} == {"-1001234"}
    assert telegram_bot.store.get("org_smrj").statement["id"] in _texts(sent)


@pytest.mark.servers
def test_ignored_updates_send_nothing(telegram_bot, fake_api):
    edited = private_message("Apa itu Smesco?", 507, "id")
    edited["edited_message"] = edited.pop("message")
    fake_api.clear()
    assert _post(telegram_bot, edited).json() == {"status": "ignored"}
    assert fake_api.sent() == []


@pytest.mark.servers
def test_sticker_gets_a_polite_reply_in_the_users_language(telegram_bot, fake_api):
    fake_api.clear()
    assert _post(telegram_bot, private_message(None, 508, "ja", sticker={"file_id": "s", "emoji": "👍"})).ok
    sent = fake_api.sent()
    assert sent and sent[0]["text"] == domain_response("utter_no_question", "ja")


@pytest.mark.servers
def test_bad_requests_get_4xx_and_nothing_is_processed(telegram_bot, fake_api):
    fake_api.clear()
    update = private_message("Apa itu SMRJ?", 509, "id")
    assert _post(telegram_bot, update, secret=None).status_code == 403
    assert _post(telegram_bot, update, secret="wrong").status_code == 403
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    assert requests.post(telegram_bot.webhook, data=b"not json{", headers=headers, timeout=30).status_code == 400
    assert requests.post(telegram_bot.webhook, data=b"\xff\xfe", headers=headers, timeout=30).status_code == 400
    assert _post(telegram_bot, [1, 2]).status_code == 400
    assert _post(telegram_bot, {"message": {}}).status_code == 400
    assert fake_api.sent() == []
