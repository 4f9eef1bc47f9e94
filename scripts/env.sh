# Sourced by every script and Makefile target. Settings and their defaults live in one place,
# bot/settings.py (a typed object; .env.example is generated from it). This exports all of them,
# .env included, so that what Rasa fills in from the environment (endpoints.yml, credentials.yml)
# and rasa-sdk (SANIC_HOST) get the same values as our code. A wrong value stops here, named.
# Before `make setup` has built the venv there is nothing to read them with; the scripts source this
# file again after setup.
# shellcheck shell=bash
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export VENV=${VENV:-.venv}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pydantic' 2>/dev/null; then
  if ! _settings=$("$VENV/bin/python" -m bot.settings --export); then
    unset _settings; return 1 2>/dev/null || exit 1
  fi
  eval "$_settings"; unset _settings
fi
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning}
