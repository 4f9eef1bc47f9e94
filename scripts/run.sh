#!/usr/bin/env bash
# `make run`: set up (once), build the facts store, train if needed, then start the action server
# and the Rasa server under bot/runtime/supervise.py and stay in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p var logs

scripts/setup.sh
. scripts/env.sh  # again, now that the venv can read bot/settings.py
# The web chat page's socket.io client, from the npm registry (once). Without it REST and Telegram still
# work and the page explains what is missing.
scripts/web_assets.sh || echo "warning: could not vendor the web chat page's socket.io client; /webhooks/web/ will answer 503" >&2
"$VENV/bin/python" -m bot.facts build
scripts/train.sh

# Start both servers, wait for health, print where to chat and keep them up: a server that crashes
# is restarted with backoff (RESTART_* in .env.example); Ctrl-C or SIGTERM stops both.
exec "$VENV/bin/python" -m bot.runtime.supervise
