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
