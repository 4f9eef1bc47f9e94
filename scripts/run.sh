#!/usr/bin/env bash
# `make run`: set up (once), build the facts store, train if needed, then start the action server
# and the Rasa server and stay in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p var logs

scripts/setup.sh
# The web chat's widget bundle, from the npm registry (once). Without it REST and Telegram still
# work and the page explains what is missing.
scripts/web_assets.sh || echo "warning: could not vendor the web chat widget; /webhooks/web/ will answer 503" >&2
"$VENV/bin/python" -m bot.facts build
scripts/train.sh

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping the bot..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_for() {  # url, name, seconds
  for _ in $(seq 1 "$3"); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "error: $2 did not come up at $1 within $3 s; see logs/" >&2
  exit 1
}

"$VENV/bin/rasa" run actions --actions actions --port "$ACTION_PORT" > logs/actions.log 2>&1 &
pids+=($!)
"$VENV/bin/rasa" run --model models/briefing-bot.tar.gz --interface "$BIND_HOST" --port "$RASA_PORT" \
  --endpoints endpoints.yml --credentials credentials.yml --cors "*" > logs/rasa.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ACTION_PORT/health" "action server" 60
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa server" 120

cat <<MSG

  The briefing bot is running.
    Chat (REST):  curl -s -X POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
                    -H 'Content-Type: application/json' \\
                    -d '{"sender": "me", "message": "Apa itu SMRJ?"}'
    Web chat:     http://127.0.0.1:$RASA_PORT/webhooks/web/
    Terminal:     make shell   (in another terminal; uses this action server)
    Logs:         logs/rasa.log, logs/actions.log
  Press Ctrl-C to stop both servers.

MSG
code=0
wait -n "${pids[@]}" || code=$?
# 130/143: stopped by Ctrl-C or SIGTERM, as asked. Anything else is a crash worth reporting.
case $code in
  0|130|143) ;;
  *) echo "error: a server exited with status $code; see logs/rasa.log and logs/actions.log" >&2 ;;
esac
exit "$code"
