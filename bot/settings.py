"""Every setting the bot reads, in one typed object: environment variables with documented defaults.

``settings()`` reads the environment (and ``.env`` in the project folder); it builds the object
again only when either changed (building one takes ~1 ms, too much for every message), so a test or
an operator can change a variable and the next call sees it. Values are checked when
read: a wrong one stops the program with a message that names the variable, e.g. ``RASA_PORT:
value is not a valid integer (got 'abc')``. An empty variable means "use the default".

The shell scripts take their defaults from here too (``python -m bot.settings --export``, sourced by
``scripts/env.sh``), and ``.env.example`` is generated from the descriptions below
(``python -m bot.settings --example``; a test checks that it is current).

pydantic 1.10's ``BaseSettings`` (it ships with Rasa 3.6, which pins pydantic < 1.10.10;
pydantic-settings needs pydantic 2 and cannot be installed beside it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseSettings, Field, ValidationError, root_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Languages the assistant speaks, in menu order. Also the keys of every localised field.
LANGUAGES: tuple[str, ...] = ("id", "ja", "en")


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable."""


class Settings(BaseSettings):
    """Field names are the variables' names in lower case; each description becomes the comment
    above the variable in ``.env.example`` (the first line of a group starts a new section)."""

    # --- servers ------------------------------------------------------------------------------
    rasa_port: int = Field(5005, ge=1, le=65535, description=(
        "## Servers\nPort of the Rasa server (channels: web chat page, REST, Telegram webhook)."))
    action_port: int = Field(5055, ge=1, le=65535, description="Port of the action server (rasa-sdk).")
    shell_port: int = Field(5006, ge=1, le=65535, description=(
        "Port of the small server `rasa shell` (make shell) runs, so it works next to `make run`."))
    bind_host: str = Field("127.0.0.1", description=(
        "Interface both servers listen on (loopback only by default; 0.0.0.0 behind a proxy)."))
    sanic_host: str = Field("", description=(
        "The action server (rasa-sdk) reads its interface from SANIC_HOST; empty: BIND_HOST."))
    action_server_url: str = Field("", description=(
        "Where the Rasa server reaches the action server(s) (endpoints.yml); empty:\n"
        "http://127.0.0.1:ACTION_PORT/webhook. Replicas: the load balancer's address."))
    action_timeout_seconds: float = Field(5.0, gt=0, description=(
        "Seconds the Rasa server waits for the action server; then (and at once when it is down or\n"
        "answers an error) the user gets a short apology in the conversation's language."))

    # --- make run's supervisor ------------------------------------------------------------------
    restart_max: int = Field(5, ge=0, description=(
        "## make run keeps the servers up (bot/runtime/supervise.py)\n"
        "A crashed server is restarted after RESTART_BACKOFF_SECONDS, doubled for each further crash,\n"
        "at most RESTART_BACKOFF_MAX_SECONDS. More than RESTART_MAX restarts of one server within\n"
        "RESTART_WINDOW_SECONDS: both servers are stopped and make run exits 1. A server that fails\n"
        "its very first start (missing model, broken facts store) is not restarted."))
    restart_window_seconds: float = Field(300.0, gt=0)
    restart_backoff_seconds: float = Field(1.0, ge=0)
    restart_backoff_max_seconds: float = Field(30.0, ge=0)

    # --- stores -------------------------------------------------------------------------------
    tracker_store_url: str = Field("sqlite:///var/tracker.db", description=(
        "## Stores (one machine: SQLite files and an in-process lock; scale-out: README, Scaling out)\n"
        "Conversations (Rasa's SQL tracker store), as an SQLAlchemy URL: sqlite:///relative/path or\n"
        "postgresql://user:password@host:5432/database. Relative SQLite paths are in the project."))
    lock_store_url: str = Field("", description=(
        "Rasa's lock store, which makes the messages of one conversation wait for each other. Empty:\n"
        "in-process (one Rasa server). Several Rasa servers must share one:\n"
        "redis://[:password@]host:6379/1 (bot/lock_store.py, Rasa's Redis lock store made atomic).\n"
        "The same Redis then also holds the per-sender rate limits and Telegram's seen update ids."))
    facts_dir: Path = Field(PROJECT_ROOT / "data" / "facts", description=(
        "Facts store: folder of YAML files operators edit, and the SQLAlchemy URL it is built into.\n"
        "A PostgreSQL URL (postgresql://user:password@host/db) works with the same module."))
    facts_db_url: str = Field(f"sqlite:///{PROJECT_ROOT / 'var' / 'facts.db'}")
    sources_dir: Path = Field(PROJECT_ROOT / "data" / "source", description=(
        "Full texts of the sources (sources.yml `file`); every quote is checked against them."))
    generated_data_dir: Path = Field(PROJECT_ROOT / "data" / "generated", description=(
        "Where `python -m bot.facts build` writes the training data derived from the facts files."))

    # --- answers ------------------------------------------------------------------------------
    bot_default_language: Literal["id", "ja", "en"] = Field("en", description=(
        "## Answers\nLanguage of a conversation whose first message gives no clear signal and no hint."))
    bot_max_facts_per_answer: int = Field(3, ge=1, description=(
        "How many facts one answer may hold; the rest are offered as follow-up buttons."))
    bot_answer_min_confidence: float = Field(0.3, ge=0, le=1, description=(
        "Below this confidence of the fact selector (Rasa's ResponseSelector) no fact is stated as the\n"
        "answer; the closest facts are offered as buttons instead (docs/evaluation.md)."))
    bot_answer_min_search_confidence: float = Field(0.2, ge=0, le=1, description=(
        "Down to this confidence, a fact below BOT_ANSWER_MIN_CONFIDENCE is still stated when the facts\n"
        "store's full-text search finds the same fact first for the question (docs/evaluation.md). Set\n"
        "it to BOT_ANSWER_MIN_CONFIDENCE to turn this second opinion off."))

    # --- unanswered questions (operators' review) ---------------------------------------------
    review_db_url: str = Field(f"sqlite:///{PROJECT_ROOT / 'var' / 'review.db'}", description=(
        "## Unanswered questions (make review, bot/review/)\n"
        "Where the action server records the questions it could not answer (\"my sources don't say\",\n"
        "fallback, low confidence): text, language, channel, time, nearest fact and its score; never who\n"
        "asked. SQLAlchemy URL: a SQLite file (relative paths are in the project), or\n"
        "postgresql://user:password@host/db, which replicas share; make review reads the same store."))
    review_retention_days: int = Field(30, ge=0, description=(
        "Days a recorded question is kept; older ones are deleted automatically (0: record nothing)."))
    review_low_confidence: float = Field(0.5, ge=0, le=1, description=(
        "An answer is recorded for review too when the fact selector's confidence is below this (the\n"
        "answer is still sent; BOT_ANSWER_MIN_CONFIDENCE decides whether a fact is stated at all)."))

    # --- public channels ----------------------------------------------------------------------
    bot_cors_origins: str = Field("", description=(
        "## Public channels (bot/channels/limits.py)\n"
        "Browser origins allowed to call the Rasa server from other sites (space- or comma-separated).\n"
        "Empty: none; the web chat page is served by the Rasa server itself, so it needs no CORS."))
    bot_max_request_bytes: int = Field(65536, ge=1024, description=(
        "Request bodies over this many bytes get 413 before they are parsed."))
    bot_max_message_chars: int = Field(1000, ge=1, description=(
        "Messages are cut to this many characters before NLU."))
    bot_rate_limit_per_minute: int = Field(20, ge=0, description=(
        "Messages one sender may send in any 60 s (0: no limit); the first over it gets one polite reply.\n"
        "Counted per Rasa server, or across all of them in Redis when LOCK_STORE_URL is set."))
    bot_max_connections_per_ip: int = Field(20, ge=0, description=(
        "Open web-chat connections one client address may hold (0: no cap)."))
    web_session_secret: str = Field("", description=(
        "Key that signs the web chat's session ids, so a browser can resume only a session this server\n"
        "issued. Empty: a random key is made once and kept in var/web_session.key. Replicas must share one."))

    # --- Telegram -----------------------------------------------------------------------------
    telegram_token: str = Field("", description=(
        "## Telegram channel (bot/channels/telegram.py)\n"
        "From BotFather. Empty: the channel is off and its webhook answers 404. Secrets go in .env\n"
        "(never committed). Register the webhook once: make telegram-webhook."))
    telegram_bot_username: str = Field("", description=(
        "The bot's @username without \"@\"; if empty, getMe is called once per process."))
    telegram_webhook_url: str = Field("", description=(
        "Public HTTPS URL Telegram posts updates to: https://<your host>/webhooks/telegram/webhook"))
    telegram_secret_token: str = Field("", regex=r"^[A-Za-z0-9_-]{0,256}$", description=(
        "Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token; 1-256 of A-Z a-z 0-9 _ -\n"
        "(required with a token)."))
    telegram_api_base_url: str = Field("https://api.telegram.org", description=(
        "Bot API server; point it at a local Bot API server or a test double."))
    telegram_updates_db: Path = Field(Path("var/telegram_updates.db"), description=(
        "Update ids already handled, so an update Telegram delivers twice is answered once (SQLite;\n"
        "replicas on one machine share the file; in Redis when LOCK_STORE_URL is set). Relative to\n"
        "the project folder."))
    telegram_send_max_attempts: int = Field(5, ge=1, description=(
        "Sending an answer: tries per message, seconds per answer for all retries (429 retry_after\n"
        "waits, backoff, slow requests), and the first backoff after a 5xx or network error (it\n"
        "doubles). Whatever is still unsent then is logged as lost."))
    telegram_send_max_wait_seconds: float = Field(60.0, gt=0)
    telegram_send_backoff_seconds: float = Field(1.0, ge=0)

    # --- optional -----------------------------------------------------------------------------
    labse_model_path: Path = Field(Path("/opt/models/LaBSE"), description=(
        "## Optional\nLaBSE pipeline (config.labse.yml): local folder with the model's weights and vocab."))

    class Config:
        env_file = PROJECT_ROOT / ".env"
        env_file_encoding = "utf-8"
        case_sensitive = False

        @classmethod
        def customise_sources(cls, init_settings: Any, env_settings: Any, file_secret_settings: Any) -> tuple:
            def non_empty_env(settings: BaseSettings) -> dict[str, Any]:
                return {k: v for k, v in env_settings(settings).items() if str(v).strip() != ""}
            return init_settings, non_empty_env, file_secret_settings

    @root_validator(skip_on_failure=True)
    def _derived_defaults(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic
        values["sanic_host"] = values["sanic_host"] or values["bind_host"]
        values["action_server_url"] = (values["action_server_url"]
                                       or f"http://127.0.0.1:{values['action_port']}/webhook")
        for name in ("facts_dir", "sources_dir", "generated_data_dir", "telegram_updates_db"):
            if not values[name].is_absolute():
                values[name] = PROJECT_ROOT / values[name]
        # The action server and `make review` must open the same file, whatever their folder.
        review = values["review_db_url"]
        if review.startswith("sqlite:///") and not review.startswith(("sqlite:////", "sqlite:///:memory:")):
            values["review_db_url"] = f"sqlite:///{PROJECT_ROOT / review[len('sqlite:///'):]}"
        return values

    # --- derived views ---------------------------------------------------------------------------
    @property
    def cors_origins(self) -> list[str]:
        """``BOT_CORS_ORIGINS`` as a list; ``*`` allows any site (only where a deployment needs it)."""
        return [origin for origin in self.bot_cors_origins.replace(",", " ").split() if origin]

    def as_env(self) -> dict[str, str]:
        """Every setting as the environment variable it is read from (what the servers' endpoints.yml
        and credentials.yml substitute, and what the shell scripts export)."""
        return {name.upper(): str(value) for name, value in self.dict().items()}


_cache: dict[str, Any] = {"key": None, "value": None}


def settings() -> Settings:
    """The current settings. Raises SettingsError naming each variable with a value it cannot use."""
    env_file = Settings.Config.env_file
    try:
        info = env_file.stat()
        stamp: tuple[float, int] | None = (info.st_mtime, info.st_size)
    except OSError:
        stamp = None
    key = (tuple(os.environ.items()), stamp)
    if _cache["key"] != key:
        _cache["value"], _cache["key"] = _build(), key
    return _cache["value"]


def _build() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]).upper() if item["loc"] else "settings"
            got = os.environ.get(name)
            problems.append(f"{name}: {item['msg']}" + (f" (got {got!r})" if got is not None else ""))
        raise SettingsError("invalid setting(s) in the environment or .env: " + "; ".join(problems)) from None


def example_file() -> str:
    """``.env.example``: every variable, its default and its description."""
    lines = ["# Every setting the bot reads, with its default (generated from bot/settings.py by",
             "# `python -m bot.settings --example > .env.example`). Copy to .env to change any of them;",
             "# `make run` loads .env if present. Never put secrets in the repository."]
    defaults = Settings.construct()
    for name, field in Settings.__fields__.items():
        description = field.field_info.description or ""
        for line in description.splitlines():
            if line.startswith("## "):
                lines += ["", f"# --- {line[3:]}"]
            else:
                lines.append(f"# {line}")
        value = getattr(defaults, name)
        if isinstance(value, Path) and value.is_relative_to(PROJECT_ROOT):
            value = value.relative_to(PROJECT_ROOT)
        if name in ("facts_db_url", "review_db_url"):  # shown relative to the project, as typed
            value = value.replace(f"sqlite:///{PROJECT_ROOT}/", "sqlite:///")
        lines.append(f"{name.upper()}={value}")
    lines += ["", "# --- Shell only (scripts/)",
              "# Python 3.10 interpreter to build .venv with, if it is not found",
              "# automatically (scripts/find_python.sh).", "# PYTHON=/usr/bin/python3.10"]
    return "\n".join(lines) + "\n"


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def main(argv: list[str] | None = None) -> int:
    """``--export``: ``export NAME='value'`` lines for scripts/env.sh; ``--example``: .env.example."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--example"]:
        sys.stdout.write(example_file())
        return 0
    if args == ["--export"]:
        try:
            current = settings()
        except SettingsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for name, value in current.as_env().items():
            print(f"export {name}={_shell_quote(value)}")
        return 0
    print("usage: python -m bot.settings --export | --example", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
