#!/usr/bin/env bash
# Trains a model only when training data, config or our NLU components changed since the last
# training (a fingerprint of those files is kept next to the model). A fact's statement is not
# training data, but its example questions and the entity names are: `python -m bot.facts build`
# derives data/generated/ from them, so only a change there retrains.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
mkdir -p models
fingerprint=$(cat config.yml domain.yml data/nlu/*.yml data/generated/*.yml data/rules.yml data/stories.yml \
  bot/components/*.py bot/language/*.py bot/language/*.yml constraints.txt | sha256sum | cut -d' ' -f1)
model=models/briefing-bot.tar.gz
if [ "${FORCE_TRAIN:-0}" != "1" ] && [ -f "$model" ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "Model is up to date ($model); not retraining."
  exit 0
fi
echo "Training data or config changed: training $model"
start=$(date +%s)
mkdir -p logs
if ! "$VENV/bin/rasa" train --fixed-model-name briefing-bot --out models > logs/train.log 2>&1; then
  tail -40 logs/train.log >&2
  echo "error: training failed; full log in logs/train.log" >&2
  exit 1
fi
echo "$fingerprint" > models/.fingerprint
echo "Trained in $(( $(date +%s) - start )) s"
