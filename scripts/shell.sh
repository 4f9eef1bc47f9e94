#!/usr/bin/env bash
# `make shell`: chat in the terminal with `rasa shell`. Uses the action server of a running
# `make run` if there is one, else starts one for this session and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p var logs

if ! curl -fsS -o /dev/null "http://127.0.0.1:$ACTION_PORT/health" 2>/dev/null; then
  "$VENV/bin/python" -m rasa_sdk --actions actions --port "$ACTION_PORT" > logs/actions-shell.log 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  "$VENV/bin/python" -m bot.runtime.wait "http://127.0.0.1:$ACTION_PORT/health" --pid "$pid" \
    --log logs/actions-shell.log --name "action server" --seconds 60
fi
# `rasa shell` runs its own small server; keep it off the port `make run` uses.
"$VENV/bin/rasa" shell --model models/briefing-bot.tar.gz --endpoints endpoints.yml \
  --interface "$BIND_HOST" --port "$SHELL_PORT"
