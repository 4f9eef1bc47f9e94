"""One typed settings object: defaults, validation that names the variable, and the shell scripts and
.env.example taking their values from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError, example_file, settings


def test_env_example_is_generated_from_the_settings():
    current = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    assert current == example_file(), "regenerate it: python -m bot.settings --example > .env.example"
    for name in Settings.__fields__:
        assert f"\n{name.upper()}=" in current


def test_defaults_and_derived_values(monkeypatch):
    for name in Settings.__fields__:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("ACTION_PORT", "6055")
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    current = settings()
    assert current.rasa_port == 5005 and current.bot_default_language == "en"
    assert current.action_server_url == "http://127.0.0.1:6055/webhook"
    assert current.sanic_host == "0.0.0.0"
    assert current.tracker_store_url == "sqlite:///var/tracker.db" and current.lock_store_url == ""
    assert current.telegram_updates_db == PROJECT_ROOT / "var" / "telegram_updates.db"


def test_an_empty_variable_means_the_default_and_a_change_is_seen_at_once(monkeypatch):
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_MINUTE", "")
    assert settings().bot_rate_limit_per_minute == 20
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_MINUTE", "7")
    assert settings().bot_rate_limit_per_minute == 7


@pytest.mark.parametrize("name, value, message", [
    ("RASA_PORT", "abc", "RASA_PORT: value is not a valid integer (got 'abc')"),
    ("RASA_PORT", "70000", "RASA_PORT: ensure this value is less than or equal to 65535"),
    ("BOT_DEFAULT_LANGUAGE", "fr", "BOT_DEFAULT_LANGUAGE: unexpected value"),
    ("BOT_ANSWER_MIN_CONFIDENCE", "2", "BOT_ANSWER_MIN_CONFIDENCE: ensure this value is less than"),
    ("TELEGRAM_SECRET_TOKEN", "has spaces", "TELEGRAM_SECRET_TOKEN: string does not match regex"),
])
def test_a_bad_value_is_refused_with_the_variables_name(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="invalid setting") as error:
        settings()
    assert message in str(error.value)


def test_env_sh_exports_the_settings_and_stops_on_a_bad_one():
    shell = ". scripts/env.sh && echo \"$RASA_PORT|$ACTION_SERVER_URL|$TRACKER_STORE_URL|$LOCK_STORE_URL|end\""
    env = {"PATH": "/usr/bin:/bin", "VENV": str(PROJECT_ROOT / ".venv"), "ACTION_PORT": "6123"}
    if not (PROJECT_ROOT / ".venv" / "bin" / "python").exists():
        env["VENV"] = str(PROJECT_ROOT / "missing")
        pytest.skip("needs the project's venv (make setup)")
    out = subprocess.run(["bash", "-c", shell], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5005|http://127.0.0.1:6123/webhook|sqlite:///var/tracker.db||end"
    bad = subprocess.run(["bash", "-c", "set -e; . scripts/env.sh; echo reached"], cwd=PROJECT_ROOT,
                         env={**env, "RASA_PORT": "nope"}, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "reached" not in bad.stdout
    assert "RASA_PORT: value is not a valid integer (got 'nope')" in bad.stderr


def test_the_settings_cli_refuses_unknown_arguments():
    out = subprocess.run([sys.executable, "-m", "bot.settings", "--bogus"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "usage" in out.stderr
