"""The action server stopped, hanging or gone mid-conversation: the user gets a short apology in the
conversation's language at once (or after ACTION_TIMEOUT_SECONDS when it hangs), never silence,
and the conversation carries on normally once it is back. Over REST; the fallback sits in the Rasa
server (bot/rasa_patches.py), below every channel.
"""

from __future__ import annotations

import re
import signal
import time

import pytest
import requests

from bot.runtime.processes import ProcessRegistry, project_env, signal_group, start_bot, stop_process
from tests.conftest import domain_response

pytestmark = pytest.mark.servers
KANA = re.compile(r"[\u3040-\u30ff]")
TIMEOUT = 2.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    registry = ProcessRegistry()
    env = project_env({"TELEGRAM_TOKEN": "", "ACTION_TIMEOUT_SECONDS": str(TIMEOUT)})
    try:
        running = start_bot(registry, tmp_path_factory.mktemp("faults"), env)
        running.wait_healthy(180)
        yield registry, running
    finally:
        registry.stop_all()


def _say(running, sender: str, text: str) -> tuple[list[str], float]:
    started = time.monotonic()
    response = requests.post(f"{running.base_url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200, response.text
    return [r.get("text", "") for r in response.json()], time.monotonic() - started


def _apology(lang: str) -> str:
    return domain_response("utter_facts_unavailable", lang)


def test_telegram_channel_is_off_without_a_token(servers):
    """With TELEGRAM_TOKEN empty (as the tests start the servers, whatever a developer's .env says)
    the Telegram webhook answers 404 and says why. Checked here because these servers run without
    a token: the servers the REST, hostile-input and Telegram tests share have the channel on
    (tests/shared_bot.py)."""
    _, running = servers
    reply = requests.post(f"{running.base_url}/webhooks/telegram/webhook", json={"update_id": 1}, timeout=30)
    assert reply.status_code == 404 and "TELEGRAM_TOKEN" in reply.json()["error"]


def test_a_hanging_action_server_gets_an_apology_after_the_timeout_then_recovers(servers):
    registry, running = servers
    sender = f"hang-{time.monotonic_ns()}"
    replies, _ = _say(running, sender, "SMRJとは？")
    assert KANA.search(" ".join(replies)) and _apology("ja") not in replies
    signal_group(running.actions.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        replies, elapsed = _say(running, sender, "協力はいつから始まりましたか？")
        assert replies == [_apology("ja")]
        assert TIMEOUT * 0.9 < elapsed < TIMEOUT + 3
    finally:
        signal_group(running.actions.process.pid, signal.SIGCONT)
    replies, _ = _say(running, sender, "協力はいつから始まりましたか？")
    assert _apology("ja") not in replies and "1978" in " ".join(replies)


def test_a_stopped_action_server_gets_an_apology_at_once_on_every_turn_then_recovers(servers):
    registry, running = servers
    talking = f"down-{time.monotonic_ns()}"
    replies, _ = _say(running, talking, "Apa itu SMRJ?")
    assert _apology("id") not in replies
    stop_process(running.actions.process)
    try:
        # Mid-conversation: a fact question, and a greeting (its topic menu needs the action server).
        replies, elapsed = _say(running, talking, "Sejak kapan kerja sama ini berjalan?")
        assert replies == [_apology("id")] and elapsed < TIMEOUT
        replies, _ = _say(running, talking, "halo")
        assert replies[0] == domain_response("utter_greet", "id") and replies[-1] == _apology("id")
        # A new conversation: session start does not need the action server to say something.
        for text, lang in (("SMRJとは？", "ja"), ("What is SMRJ?", "en")):
            replies, elapsed = _say(running, f"new-{lang}-{time.monotonic_ns()}", text)
            assert replies == [_apology(lang)] and elapsed < TIMEOUT
    finally:
        running.restart_actions(registry)
        running.wait_healthy(60)
    replies, _ = _say(running, talking, "Sejak kapan kerja sama ini berjalan?")
    assert _apology("id") not in replies and "1978" in " ".join(replies)
    assert not KANA.search(" ".join(replies))
