"""One pair of servers (Rasa + action server) for the whole test session, shared by the modules that
only talk to the bot: tests/test_conversations.py (REST), tests/test_hostile_input.py (REST and
socket.io, bad input, the limits) and tests/test_telegram.py (the webhook, against a fake Bot API).

Why one pair: each start of the servers costs ~25 s of wall time and much of a core in make test's
main lane; three starts became one. The fixtures are imported by tests/conftest.py.

Why sharing is safe (check this list before adding a module, or a test that breaks it):

- Nobody restarts, stops or pauses these servers, and nobody changes their facts: the modules that
  do (test_durability.py, test_action_server_faults.py, test_web_widget.py with its own facts) keep
  their own servers.
- The limits count per sender (bot/channels/limits.py; each channel has its own counter), and every
  test talks as senders of its own: fresh REST and socket.io senders (``name-<monotonic_ns>``),
  Telegram user ids that no other test uses. So the tight limits the hostile-input tests need
  (:data:`RATE_LIMIT` messages a minute per sender) hold for every module: a test that sends more
  than :data:`RATE_LIMIT` messages as one sender within a minute is told it is over the limit (the
  longest conversation in test_conversations.py has 5 turns).
- The connection cap (:data:`CONNECTIONS_PER_ADDRESS`) counts socket.io connections per address;
  only test_hostile_input.py opens such connections, and it closes them.
- The Telegram channel is on (it must be for test_telegram.py); the REST and socket.io channels do
  not depend on it. The check that it is off without a token runs against servers started without
  one (test_action_server_faults.py).
- The Bot API fake records every call; each Telegram test clears it before it starts, and what the
  servers called while starting is kept in :attr:`SharedBot.telegram_calls_at_start`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.fake_telegram import Call, FakeBotAPI
from tests.servers import RunningBot, running_bot

__all__ = ["CONNECTIONS_PER_ADDRESS", "RATE_LIMIT", "SECRET", "TOKEN", "USERNAME", "SharedBot",
           "fake_api", "shared_bot"]

#: The Telegram channel's settings for the shared servers and the fake Bot API.
TOKEN = "123456:TEST-token_for-the-fake-api"
USERNAME = "briefing_test_bot"
SECRET = "s3cret-Token_for_tests"
#: Tight limits, so that the limit tests reach them in a few messages (BOT_RATE_LIMIT_PER_MINUTE,
#: BOT_MAX_CONNECTIONS_PER_IP).
RATE_LIMIT = 6
CONNECTIONS_PER_ADDRESS = 4


@dataclass
class SharedBot(RunningBot):
    #: The Bot API calls (with any token) the fake received while the servers started.
    telegram_calls_at_start: list[Call] = field(default_factory=list)

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/webhooks/telegram/webhook"


@pytest.fixture(scope="session")
def fake_api() -> FakeBotAPI:
    """A local stand-in for Telegram's Bot API (tests/fake_telegram.py), for the whole session: the
    shared servers are pointed at it when they start, so it must outlive them. Tests without
    servers use it too; each test clears it first."""
    return FakeBotAPI(bot_username=USERNAME).start()


@pytest.fixture(scope="session")
def shared_bot(tmp_path_factory, fake_api) -> Iterator[SharedBot]:
    """Both servers, started once for every module that asks (see the module docstring for why
    that is safe), with the Telegram channel on and pointed at ``fake_api``, and tight limits."""
    work = tmp_path_factory.mktemp("shared-servers")
    env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_BOT_USERNAME": USERNAME, "TELEGRAM_SECRET_TOKEN": SECRET,
           "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
           "TELEGRAM_API_BASE_URL": fake_api.base_url,
           "TELEGRAM_UPDATES_DB": str(work / "telegram_updates.db"),
           "TELEGRAM_SEND_BACKOFF_SECONDS": "0.2", "TELEGRAM_SEND_MAX_WAIT_SECONDS": "15",
           "BOT_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
           "BOT_MAX_CONNECTIONS_PER_IP": str(CONNECTIONS_PER_ADDRESS)}
    fake_api.clear()
    with running_bot(work, extra_env=env) as running:
        yield SharedBot(running.base_url, running.store, running.work,
                        telegram_calls_at_start=list(fake_api.calls))
