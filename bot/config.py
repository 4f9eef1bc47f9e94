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


def search_min_score() -> float | None:
    """Minimum score for the fallback search to answer a paraphrase, or None when it is off.

    Off by default: ``scripts/calibrate_search.py`` found no threshold at which the search gave
    zero wrong answers on the held-out test set (docs/evaluation.md). An operator who accepts the
    measured error rate can set e.g. ``BOT_SEARCH_MIN_SCORE=0.8``.
    """
    value = _env("BOT_SEARCH_MIN_SCORE", "off").lower()
    return None if value == "off" else float(value)


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
