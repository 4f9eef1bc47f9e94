#!/usr/bin/env bash
# `make test`: what CI runs (.ci/run calls this). Each step names itself; the first failure stops.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

mkdir -p logs
start=$(date +%s)
last=$start
# Each step's header also says how long the one before took, so the cost of make test is visible.
step() {
  local now; now=$(date +%s)
  printf '\n(%d s; make test so far: %d s)\n=== %s ===\n' $((now - last)) $((now - start)) "$1"
  last=$now
}

# Steps that do not depend on each other run at once on the 2 cores (`rasa train` keeps ~1.3 busy,
# the server tests mostly wait): the unit tests and the new-fact test (it trains its own model) beside
# the main training; the evaluations and the benchmark smoke beside the server tests. Each
# background job runs in its own process group, logs to logs/<name>.log, and is interrupted (pytest
# then stops the servers it started) if make test stops early.
bg_pids=()
bg_names=()
background() {  # background NAME COMMAND...
  local name=$1; shift
  setsid "$@" > "logs/$name.log" 2>&1 &
  bg_pids+=("$!"); bg_names+=("$name")
  echo "(started beside the next steps: $name -> logs/$name.log)"
}
stop_background() {
  local pid
  for pid in "${bg_pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  for pid in "${bg_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_background EXIT
finish_background() {  # waits for every background job; prints its summary, or its log's end if it failed
  local i failed=0
  for i in "${!bg_pids[@]}"; do
    if wait "${bg_pids[$i]}"; then
      echo "--- ${bg_names[$i]}: passed (logs/${bg_names[$i]}.log)"
      # Everything but pytest's progress dots and warnings.
      sed '/^[.sx]*\( *\[ *[0-9]*%\]\)\?$/d;/warnings summary/,/^-- Docs/d' "logs/${bg_names[$i]}.log"
    else
      echo "--- ${bg_names[$i]}: FAILED (logs/${bg_names[$i]}.log)"; tail -60 "logs/${bg_names[$i]}.log"; failed=1
    fi
  done
  bg_pids=(); bg_names=()
  return $failed
}
PYTEST=("$VENV/bin/python" -m pytest -q -p no:cacheprovider --durations=5)
# pytest sessions running at once each get their own temporary folder (its default one is shared).
tmp_base=$(mktemp -d "${TMPDIR:-/tmp}/make-test.XXXXXX")

step "setup (Python 3.10 venv, pinned packages)"
scripts/setup.sh
. scripts/env.sh  # again, now that the venv can read bot/settings.py
step "lint (ruff)"
"$VENV/bin/ruff" check bot actions tests scripts bench
# validate also prints the example-clash report (cross-validation, ~1 s): it informs, never fails;
# tests/test_training_data.py checks that it finds a planted clash.
step "facts: validate, build the store, derive training data"
"$VENV/bin/python" -m bot.facts validate
"$VENV/bin/python" -m bot.facts build
# Unit tests, the new-fact test, then (once the model is trained) the scale-out tests and the short soak.
background pytest-unit-then-scale-out scripts/test_lane_unit.sh "$tmp_base" "$tmp_base/trained"
# rasa data validate is a check, not an input of training: it runs beside it.
background rasa-data-validate "$VENV/bin/python" scripts/validate_data.py
step "train (only if data or config changed)"
# The main lane is make test's critical path (training, then the server tests that time replies):
# the lanes beside it run at a lower priority (nice), so they take the CPU it leaves idle instead of
# slowing it down. (One TensorFlow thread here was tried: fewer CPU-seconds, but a longer
# critical path, 197-275 s instead of ~200 s of training.)
scripts/train.sh
touch "$tmp_base/trained"
# The NLU and answer evaluations, then the benchmark smoke (it trains a small stock bot): no tight
# wall-clock assertions, so beside the server tests. (The test conversations end the main lane.)
background evaluations-bench-smoke nice -n 10 bash -c 'scripts/evaluate.sh nlu answers && echo "=== pytest: benchmark smoke ===" && exec "$@"' \
  _ "${PYTEST[@]}" --basetemp "$tmp_base/bench" -m "servers and trains"
step "pytest: conversations over REST, socket.io and Telegram with both servers running"
scripts/web_assets.sh
# The web widget test drives Debian's Chromium; without it (apt failing) that test is skipped.
scripts/install_browser.sh || echo "warning: no Chromium; tests/test_web_widget.py will be skipped" >&2
"${PYTEST[@]/--durations=5/--durations=15}" --basetemp "$tmp_base/servers" -m "servers and not trains and not cluster and not beside"
# The test conversations end the main lane: since the REST, hostile-input and Telegram modules share
# one pair of servers, it ends ~80 s before the unit lane, which had them.
step "test conversations (rasa test core)"
scripts/evaluate.sh stories
step "results of the steps that ran beside: unit tests, new fact, scale-out, soak; data validation; evaluations, benchmark smoke"
finish_background
echo "(make test took $(( $(date +%s) - start )) s)"
