#!/usr/bin/env bash
# `make shell`: chat in the terminal with `rasa shell`. Uses the action server of a running
# `make run` if there is one, else starts one for this session and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p var logs

if ! curl -fsS -o /dev/null "http://127.0.0.1:$ACTION_PORT/health" 2>/dev/null; then
  "$VENV/bin/rasa" run actions --actions actions --port "$ACTION_PORT" > logs/actions-shell.log 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$ACTION_PORT/health" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "error: action server failed; see logs/actions-shell.log" >&2; exit 1; }
    sleep 1
  done
fi
# `rasa shell` runs its own small server; keep it off the port `make run` uses.
"$VENV/bin/rasa" shell --model models/briefing-bot.tar.gz --endpoints endpoints.yml \
  --interface "$BIND_HOST" --port "$SHELL_PORT"
