#!/usr/bin/env bash
# The model's evaluations make test runs (each also a make target): test conversations, NLU on
# held-out examples, answer precision on held-out questions. Needs a trained model (make train).
# Exits 1 at the first evaluation below its bar, after printing why.
# Usage: scripts/evaluate.sh [stories] [nlu] [answers]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p logs
wanted=" ${*:-stories nlu answers} "
if [[ $wanted == *" stories "* ]]; then

echo "=== test conversations (rasa test core, tests/test_stories.yml) ==="
"$VENV/bin/rasa" test core --model models/briefing-bot.tar.gz --stories tests/test_stories.yml \
  --fail-on-prediction-errors --out reports/stories --no-plot > logs/stories.log 2>&1 \
  || { tail -50 logs/stories.log; echo "error: test conversations failed (reports/stories/)" >&2; exit 1; }
grep -E "Correct:" logs/stories.log | sed 's/.*Correct:/correct:/' || true
fi

if [[ $wanted == *" nlu "* ]]; then

echo "=== NLU evaluation on held-out examples (macro-F1 >= 0.95 per language) ==="
if ! "$VENV/bin/python" scripts/evaluate_nlu.py > logs/nlu-eval.log 2>&1; then
  tail -40 logs/nlu-eval.log; echo "error: NLU evaluation failed (full log: logs/nlu-eval.log)" >&2; exit 1
fi
sed -n '/^| language/,/^$/p' reports/nlu/summary.md
fi

if [[ $wanted == *" answers "* ]]; then

echo "=== answer precision on held-out questions (targets and regression floors: docs/evaluation.md) ==="
if ! "$VENV/bin/python" scripts/evaluate_answers.py > logs/answers-eval.log 2>&1; then
  sed -n '1,40p' reports/answers/summary.md 2>/dev/null || tail -40 logs/answers-eval.log
  echo "error: answer precision fell below its regression floors (reports/answers/summary.md)" >&2; exit 1
fi
sed -n '/^Issue targets/p;/^| language/,/^$/p' reports/answers/summary.md
fi
