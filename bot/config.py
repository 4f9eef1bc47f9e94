"""The one place settings come from: environment variables with documented defaults.

Every default is listed in ``.env.example``. Nothing here is cached at import time, so a test or
an operator can change a variable and the next call sees it.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Languages the assistant speaks, in menu order. Also the keys of every localised field.
LANGUAGES: tuple[str, ...] = ("id", "ja", "en")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def facts_dir() -> Path:
    """Folder with the facts YAML files operators edit (``FACTS_DIR``)."""
    return Path(_env("FACTS_DIR", str(PROJECT_ROOT / "data" / "facts")))


def sources_dir() -> Path:
    """Folder with the full text of every source document (``SOURCES_DIR``); quotes are checked
    against these files."""
    return Path(_env("SOURCES_DIR", str(PROJECT_ROOT / "data" / "source")))


def generated_data_dir() -> Path:
    """Where ``python -m bot.facts build`` writes the training data derived from the facts files
    (``GENERATED_DATA_DIR``); Rasa reads it with the rest of ``data/``."""
    return Path(_env("GENERATED_DATA_DIR", str(PROJECT_ROOT / "data" / "generated")))


def facts_db_url() -> str:
    """SQLAlchemy URL of the facts store (``FACTS_DB_URL``).

    SQLite file under ``var/`` by default; a ``postgresql://`` URL works with the same module.
    """
    return _env("FACTS_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'facts.db'}")


def default_language() -> str:
    """Language of a conversation whose first message gives no clear signal and no hint."""
    lang = _env("BOT_DEFAULT_LANGUAGE", "en")
    if lang not in LANGUAGES:
        raise ValueError(f"BOT_DEFAULT_LANGUAGE must be one of {LANGUAGES}, not {lang!r}")
    return lang


def max_facts_per_answer() -> int:
    """How many facts one answer may hold before the rest is offered as follow-ups."""
    return int(_env("BOT_MAX_FACTS_PER_ANSWER", "3"))


def answer_min_confidence() -> float:
    """Below this fact-selector confidence a question is not answered with a fact
    (``BOT_ANSWER_MIN_CONFIDENCE``); the closest facts are offered as buttons instead.

    Calibrated on held-out data by ``scripts/evaluate_answers.py`` (docs/evaluation.md).
    """
    return float(_env("BOT_ANSWER_MIN_CONFIDENCE", "0.3"))


def action_timeout() -> float:
    """Seconds the Rasa server waits for the action server before apologising to the user
    (``ACTION_TIMEOUT_SECONDS``, default 5). A fact turn takes ~30 ms, so only a hung or
    overloaded action server reaches it (bot/rasa_patches.py)."""
    return float(_env("ACTION_TIMEOUT_SECONDS", "5"))


def cors_origins() -> list[str]:
    """Origins allowed to call the Rasa server from a browser on another site (``BOT_CORS_ORIGINS``,
    space- or comma-separated, e.g. ``https://example.org``); empty: none, as the web page is
    same-origin. ``*`` allows any site; only for a deployment that really needs it."""
    return [origin for origin in _env("BOT_CORS_ORIGINS", "").replace(",", " ").split() if origin]


def max_request_bytes() -> int:
    """Largest request body the Rasa server reads (``BOT_MAX_REQUEST_BYTES``); larger: 413."""
    return int(_env("BOT_MAX_REQUEST_BYTES", "65536"))


def max_message_chars() -> int:
    """Messages are cut to this many characters before NLU (``BOT_MAX_MESSAGE_CHARS``)."""
    return int(_env("BOT_MAX_MESSAGE_CHARS", "1000"))


def rate_limit_per_minute() -> int:
    """Messages one sender may send in any 60 s on a public channel (``BOT_RATE_LIMIT_PER_MINUTE``;
    0 turns the limit off)."""
    return int(_env("BOT_RATE_LIMIT_PER_MINUTE", "20"))


def max_connections_per_ip() -> int:
    """Open web-chat (socket.io) connections one client address may hold
    (``BOT_MAX_CONNECTIONS_PER_IP``; 0 turns the cap off)."""
    return int(_env("BOT_MAX_CONNECTIONS_PER_IP", "20"))


def web_session_secret() -> str:
    """Key that signs web-chat session ids (``WEB_SESSION_SECRET``); empty: a random key kept in
    ``var/web_session.key``. Replicas behind one address must share it."""
    return _env("WEB_SESSION_SECRET", "")


def telegram_settings() -> dict[str, str]:
    """The Telegram channel's settings (credentials.yml reads the same variables).

    ``TELEGRAM_TOKEN`` from BotFather (empty: channel off), ``TELEGRAM_WEBHOOK_URL`` the public
    HTTPS URL Telegram posts to (ending in /webhooks/telegram/webhook), ``TELEGRAM_SECRET_TOKEN``
    sent back by Telegram with every update, ``TELEGRAM_API_BASE_URL`` the Bot API server.
    """
    return {
        "token": _env("TELEGRAM_TOKEN", ""),
        "bot_username": _env("TELEGRAM_BOT_USERNAME", ""),
        "webhook_url": _env("TELEGRAM_WEBHOOK_URL", ""),
        "secret_token": _env("TELEGRAM_SECRET_TOKEN", ""),
        "api_base_url": _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
    }


def telegram_updates_db() -> Path:
    """SQLite file of the Telegram update ids already taken (``TELEGRAM_UPDATES_DB``), so a
    redelivered update is answered once; replicas on one machine share it. Relative paths are
    relative to the project folder."""
    path = Path(_env("TELEGRAM_UPDATES_DB", "var/telegram_updates.db"))
    return path if path.is_absolute() else PROJECT_ROOT / path


def telegram_send_max_attempts() -> int:
    """Tries per Telegram message before it is given up and logged as lost
    (``TELEGRAM_SEND_MAX_ATTEMPTS``)."""
    return max(1, int(_env("TELEGRAM_SEND_MAX_ATTEMPTS", "5")))


def telegram_send_max_wait() -> float:
    """Seconds one answer may spend being retried (flood-control waits, backoff, slow requests)
    before what is left of it is given up (``TELEGRAM_SEND_MAX_WAIT_SECONDS``)."""
    return float(_env("TELEGRAM_SEND_MAX_WAIT_SECONDS", "60"))


def telegram_send_backoff() -> float:
    """First wait, in seconds, after a Telegram 5xx or network error; it doubles on each retry
    (``TELEGRAM_SEND_BACKOFF_SECONDS``)."""
    return float(_env("TELEGRAM_SEND_BACKOFF_SECONDS", "1"))


def restart_max() -> int:
    """Restarts of one crashed server `make run` makes within ``restart_window_seconds()``
    (``RESTART_MAX``, default 5); at the next crash it stops both servers and exits non-zero."""
    return int(_env("RESTART_MAX", "5"))


def restart_window_seconds() -> float:
    """Crashes older than this many seconds are forgotten (``RESTART_WINDOW_SECONDS``, default 300),
    so the restart count and the backoff start again after a stable spell."""
    return float(_env("RESTART_WINDOW_SECONDS", "300"))


def restart_backoff_seconds() -> tuple[float, float]:
    """Wait before restarting a crashed server: ``RESTART_BACKOFF_SECONDS`` (default 1), doubled for
    each further crash in the window, at most ``RESTART_BACKOFF_MAX_SECONDS`` (default 30)."""
    return float(_env("RESTART_BACKOFF_SECONDS", "1")), float(_env("RESTART_BACKOFF_MAX_SECONDS", "30"))
