"""Hostile and bad input over the public channels (REST and the web chat's socket.io), against the
running bot: every bad request gets a 4xx with a reason and the server stays up; odd messages get a
polite reply in the conversation's language; one huge request does not stall other users; a sender
over the rate limit is told once and then dropped; a socket cannot write into another session.

The servers run with tight limits (6 messages a minute, 4 connections per address) so the limits
are reached in a few messages; each test uses its own senders. They are the pair this session
shares with the REST conversations and Telegram tests (tests/shared_bot.py, which says why that is
safe). Telegram's webhook has its own tests (tests/test_telegram.py).
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests

from tests.conftest import domain_response
from tests.shared_bot import CONNECTIONS_PER_ADDRESS, RATE_LIMIT
from tests.webchat import WebChatClient

pytestmark = pytest.mark.servers
KANA = re.compile(r"[\u3040-\u30ff]")


@pytest.fixture(scope="module")
def bot(shared_bot):
    """The session's shared servers, started with the tight limits above (tests/shared_bot.py)."""
    return shared_bot


def _sender(name: str) -> str:
    return f"{name}-{time.monotonic_ns()}"


def _say(bot, sender: str, message, **kwargs) -> requests.Response:
    return requests.post(bot.rest_url, json={"sender": sender, "message": message, **kwargs}, timeout=60)


def _text(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    replies = response.json()
    assert replies, "no reply"
    return "\n".join(r.get("text", "") for r in replies)


# --- REST: bad requests ----------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(("body", "headers", "status", "reason"), [
    (b"{not json", JSON, 400, "not valid JSON"),
    (b'["sender", "message"]', JSON, 400, "JSON object"),
    (b'"just a string"', JSON, 400, "JSON object"),
    (b"null", JSON, 400, "JSON object"),
    (b'{"sender": "x", "message": "hi"}', {"Content-Type": "text/plain"}, 415, "application/json"),
    (b'{"sender": "x", "message": "hi"}', {}, 415, "application/json"),
    (b'{"message": "hi"}', JSON, 400, '"sender"'),
    (b'{"sender": 42, "message": "hi"}', JSON, 400, '"sender"'),
    (b'{"sender": "", "message": "hi"}', JSON, 400, '"sender"'),
    (b'{"sender": "x"}', JSON, 400, '"message"'),
    (b'{"sender": "x", "message": null}', JSON, 400, '"message"'),
    (b'{"sender": "x", "message": 42}', JSON, 400, '"message"'),
    (b'{"sender": "x", "message": ["hi"]}', JSON, 400, '"message"'),
    (b'{"sender": "x", "message": "hi", "metadata": ["ja"]}', JSON, 400, '"metadata"'),
])
def test_bad_requests_get_a_4xx_with_the_reason(bot, body, headers, status, reason):
    response = requests.post(bot.rest_url, data=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]


def test_a_body_over_the_cap_gets_413_before_it_is_read_and_the_server_stays_up(bot):
    body = json.dumps({"sender": _sender("big"), "message": "a" * 10_000_000}).encode()
    started = time.monotonic()
    try:
        response = requests.post(bot.rest_url, data=body, headers=JSON, timeout=60)
        assert response.status_code == 413
    except requests.ConnectionError:
        # Sanic answers 413 from Content-Length and closes the connection; a client still
        # sending may see the close instead of the answer. Either way the body was not taken.
        pass
    assert time.monotonic() - started < 10
    assert "Apa itu SMRJ" not in _text(_say(bot, _sender("after-big"), "Apa itu SMRJ?"))


def test_a_small_message_is_not_held_up_by_a_maximal_one(bot):
    """The largest accepted request (just under 64 KB, cut to 1000 characters before NLU) and a
    one-line question from someone else at the same time: the question is answered promptly."""
    huge = "協同組合と中小企業の協力について" * 1300  # 20 800 characters, ~62 KB as UTF-8 JSON
    assert len(json.dumps({"sender": "x", "message": huge}, ensure_ascii=False).encode()) < 65536
    done = threading.Event()

    def send_huge() -> None:
        for _ in range(3):
            requests.post(bot.rest_url, data=json.dumps({"sender": _sender("huge"), "message": huge},
                                                        ensure_ascii=False).encode(),
                          headers=JSON, timeout=60)
        done.set()

    thread = threading.Thread(target=send_huge)
    thread.start()
    latencies = []
    while not done.is_set():
        started = time.monotonic()
        _text(_say(bot, _sender("small"), "Apa itu SMRJ?"))
        latencies.append(time.monotonic() - started)
    thread.join(timeout=60)
    assert latencies and max(latencies) < 1.0, latencies


@pytest.mark.parametrize(("first", "message"), [
    ("Apa itu SMRJ?", "\x00\x01\x1b[31m\x7f"),
    ("SMRJとは？", "\ud800\udfff?"),  # lone surrogates, escaped in the JSON body
    ("Apa itu SMRJ?", "🇮🇩🇯🇵🤝"),
    ("What is SMRJ?", 'NEAR("SMRJ" "METI") AND * OR -x: "'),
    ("SMRJとは？", '「中小機構」の NEAR/2 * OR "とは'),
    ("What is SMRJ?", "'; DROP TABLE facts; -- "),
    ("What is SMRJ?", '<img src=x onerror="alert(1)">'),
    ("Apa itu SMRJ?", "\u202eSMRJ\u200b\u200d"),
])
def test_odd_messages_get_a_polite_reply_in_the_conversation_language(bot, first, message):
    sender = _sender("odd")
    _text(_say(bot, sender, first))
    text = _text(_say(bot, sender, message))
    assert text.strip()
    assert bool(KANA.search(text)) == bool(KANA.search(first))
    assert "<img" not in text and "DROP TABLE" not in text


def test_a_sender_over_the_rate_limit_is_told_once_in_their_language_then_gets_429(bot):
    sender = _sender("eager")
    for _ in range(RATE_LIMIT):
        _text(_say(bot, sender, "Apa itu SMRJ?"))
    assert _text(_say(bot, sender, "Apa itu SMRJ?")) == domain_response("utter_rate_limited", "id")
    refused = _say(bot, sender, "Apa itu SMRJ?")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "too many messages" in refused.json()["error"]
    assert _text(_say(bot, _sender("patient"), "Apa itu SMRJ?"))  # others are not affected


# --- socket.io (the web chat) ----------------------------------------------------------------------

async def test_socket_sessions_are_issued_and_signed_and_nobody_writes_into_anothers(bot):
    alice, mallory = WebChatClient(), WebChatClient()
    await alice.connect(bot.base_url)
    await mallory.connect(bot.base_url)
    try:
        alice_session = await alice.session()
        assert re.fullmatch(r"[0-9a-f]{64}", alice_session)
        await alice.say(alice_session, "SMRJとは？")
        assert KANA.search(" ".join(await alice.replies_within(20)))

        mallory_session = await mallory.session()
        assert mallory_session != alice_session
        # Writing into Alice's session from Mallory's socket is ignored: nobody gets a reply.
        await mallory.say(alice_session, "hello")
        assert await mallory.replies_within(3) == [] and await alice.replies_within(1) == []
        # A made-up id, well-formed but not signed by this server, is not resumed.
        made_up = "0123456789abcdef" * 4
        assert await mallory.session(made_up) != made_up
    finally:
        await alice.close()
        await mallory.close()

    # A reloaded page resumes its own session (same id, same language).
    again = WebChatClient()
    await again.connect(bot.base_url)
    try:
        assert await again.session(alice_session) == alice_session
        await again.say(alice_session, "SMRJ?")
        assert KANA.search(" ".join(await again.replies_within(20)))
    finally:
        await again.close()


async def test_socket_odd_payloads_get_a_polite_reply_or_are_ignored(bot):
    client = WebChatClient()
    await client.connect(bot.base_url)
    try:
        session = await client.session()
        await client.say(session, "Apa itu SMRJ?")
        assert await client.replies_within(20)
        await client.sio.emit("user_uttered", "not an object")
        await client.sio.emit("user_uttered", ["a", "list"])
        assert await client.replies_within(2) == []
        await client.say(session, 12345)  # not text: treated as an empty message
        assert (await client.replies_within(20))[0] == domain_response("utter_no_question", "id")
        await client.say(session, "x" * 20000)
        assert await client.replies_within(20)
    finally:
        await client.close()


async def test_socket_rate_limit_tells_once_then_drops(bot):
    client = WebChatClient()
    await client.connect(bot.base_url)
    try:
        session = await client.session()
        for _ in range(RATE_LIMIT):
            await client.say(session, "What is SMRJ?")
            assert await client.replies_within(20)
        await client.say(session, "What is SMRJ?")
        assert await client.replies_within(20) == [domain_response("utter_rate_limited", "en")]
        await client.say(session, "What is SMRJ?")
        assert await client.replies_within(3) == []
    finally:
        await client.close()


class RawSocketIO:
    """The socket.io protocol over HTTP long-polling by hand (engine.io 4): to see the server's
    answer to a connection at once (python-socketio's client takes ~30 s to give up on a refused
    one, waiting out its own poll)."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/socket.io/?EIO=4&transport=polling"
        handshake = requests.get(self.url, timeout=10)
        self.url += "&sid=" + json.loads(handshake.text[1:])["sid"]

    def connect(self) -> str:
        """Ask to join the default namespace; the server's answer packet ("40..." or "44...")."""
        requests.post(self.url, data="40", timeout=10).raise_for_status()
        return requests.get(self.url, timeout=10).text

    def disconnect(self) -> None:
        requests.post(self.url, data="41", timeout=10)


def test_one_address_may_hold_only_so_many_socket_connections(bot):
    sockets = [RawSocketIO(bot.base_url) for _ in range(CONNECTIONS_PER_ADDRESS + 1)]
    try:
        for socket in sockets[:-1]:
            assert socket.connect().startswith("40")
        started = time.monotonic()
        assert sockets[-1].connect().startswith("44")  # connect error: refused
        assert time.monotonic() - started < 2
        sockets[0].disconnect()
        time.sleep(0.5)
        assert RawSocketIO(bot.base_url).connect().startswith("40")  # a place was freed
    finally:
        for socket in sockets:
            socket.disconnect()
