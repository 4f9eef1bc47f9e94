# Sourced by every script and Makefile target: reads .env if present, then fills in the documented
# defaults (.env.example lists each one). The one place run-time settings get their defaults.
# shellcheck shell=bash
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export VENV=${VENV:-.venv}
export RASA_PORT=${RASA_PORT:-5005} ACTION_PORT=${ACTION_PORT:-5055} SHELL_PORT=${SHELL_PORT:-5006}
export BIND_HOST=${BIND_HOST:-127.0.0.1}
# rasa-sdk has no --interface flag; it reads the address to listen on from SANIC_HOST.
export SANIC_HOST=${SANIC_HOST:-$BIND_HOST}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}
export TRACKER_DB=${TRACKER_DB:-var/tracker.db}
# Telegram channel (credentials.yml references these; an empty token turns the channel off).
export TELEGRAM_TOKEN=${TELEGRAM_TOKEN:-} TELEGRAM_BOT_USERNAME=${TELEGRAM_BOT_USERNAME:-}
export TELEGRAM_WEBHOOK_URL=${TELEGRAM_WEBHOOK_URL:-} TELEGRAM_SECRET_TOKEN=${TELEGRAM_SECRET_TOKEN:-}
export TELEGRAM_API_BASE_URL=${TELEGRAM_API_BASE_URL:-https://api.telegram.org}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning}
