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

# Two slow test groups train models of their own and mostly wait or use one core, so they run in the
# background beside the steps that follow (2 cores; `rasa train` keeps ~1.3 busy): the unit tests and
# the new-fact training beside the main training, the benchmark smoke beside the evaluations. Each
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
      echo "--- ${bg_names[$i]}: passed"
      sed -n '/slowest .* durations/,$p' "logs/${bg_names[$i]}.log" | tail -8
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
step "lint (ruff)"
"$VENV/bin/ruff" check bot actions tests scripts bench
# The example-clash report (30 s of cross-validation) only informs an operator, it never fails;
# tests/test_training_data.py checks that it finds a clash, so CI skips it here.
step "facts: validate, build the store, derive training data"
"$VENV/bin/python" -m bot.facts validate --no-clashes
"$VENV/bin/python" -m bot.facts build
step "rasa data validate"
"$VENV/bin/python" scripts/validate_data.py
# Unit tests and the new-fact test (it trains its own copy of the project) need no model of ours.
background pytest-unit "${PYTEST[@]}" --basetemp "$tmp_base/unit" -m "not servers"
step "train (only if data or config changed)"
scripts/train.sh
background pytest-bench-smoke "${PYTEST[@]}" --basetemp "$tmp_base/bench" -m "servers and trains"
step "test conversations (rasa test core, tests/test_stories.yml)"
"$VENV/bin/rasa" test core --model models/briefing-bot.tar.gz --stories tests/test_stories.yml \
  --fail-on-prediction-errors --out reports/stories --no-plot > logs/stories.log 2>&1 \
  || { tail -50 logs/stories.log; echo "error: test conversations failed (reports/stories/)" >&2; exit 1; }
grep -E "Correct:" logs/stories.log | sed 's/.*Correct:/correct:/' || true
step "NLU evaluation on held-out examples (macro-F1 >= 0.95 per language)"
if ! "$VENV/bin/python" scripts/evaluate_nlu.py > logs/nlu-eval.log 2>&1; then
  tail -40 logs/nlu-eval.log; echo "error: NLU evaluation failed (full log: logs/nlu-eval.log)" >&2; exit 1
fi
sed -n '/^| language/,/^$/p' reports/nlu/summary.md
step "answer precision on held-out questions (targets and regression floors: docs/evaluation.md)"
if ! "$VENV/bin/python" scripts/evaluate_answers.py > logs/answers-eval.log 2>&1; then
  sed -n '1,40p' reports/answers/summary.md 2>/dev/null || tail -40 logs/answers-eval.log
  echo "error: answer precision fell below its regression floors (reports/answers/summary.md)" >&2; exit 1
fi
sed -n '/^Issue targets/p;/^| language/,/^$/p' reports/answers/summary.md
step "pytest: conversations over REST, socket.io and Telegram with both servers running"
scripts/web_assets.sh
# The web widget test drives Debian's Chromium; without it (apt failing) that test is skipped.
scripts/install_browser.sh || echo "warning: no Chromium; tests/test_web_widget.py will be skipped" >&2
# Its tests time replies (timeouts, latency under load), so the benchmark smoke must be done first.
finish_background
echo "(make test so far: $(( $(date +%s) - start )) s)"
"${PYTEST[@]/--durations=5/--durations=15}" --basetemp "$tmp_base/servers" -m "servers and not trains"
echo "(make test took $(( $(date +%s) - start )) s)"
