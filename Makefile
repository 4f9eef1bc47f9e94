# Every task a person or CI runs. `make run` and `make test` are the two commands in the README.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export ACTION_PORT ?= 5055
export RASA_PORT ?= 5005
export BIND_HOST ?= 127.0.0.1
export SANIC_HOST ?= $(BIND_HOST)
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export TRACKER_DB ?= var/tracker.db
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: run test setup facts train shell lint unit conversations validate stories eval lock clean

run:              ## set up, build facts, train if needed, start action + Rasa servers
	@scripts/run.sh

test:             ## everything CI runs: lint, unit tests, data validation, training, stories, NLU eval
	@scripts/test.sh

setup:            ## create .venv (Python 3.10) and install pinned dependencies, once
	@scripts/setup.sh

facts: setup      ## validate the facts files and rebuild the store (no retraining needed)
	@$(BIN)/python -m bot.facts build

train: setup      ## train only if training data, config or NLU components changed
	@scripts/train.sh

shell: setup facts train  ## chat in the terminal (uses the running action server, or starts one)
	@scripts/shell.sh

lint: setup       ## ruff
	@$(BIN)/ruff check bot actions tests scripts

unit: setup facts ## pytest without servers (facts store, language, tokenizer, components, actions, LaBSE)
	@$(BIN)/python -m pytest -q -m "not servers"

conversations: train  ## pytest conversations over REST with both servers running (needs the model)
	@$(BIN)/python -m pytest -q -m servers

validate: setup   ## rasa data validate, warnings included
	@$(BIN)/python scripts/validate_data.py

stories: train    ## test conversations (tests/test_stories.yml)
	@$(BIN)/rasa test core --model models/briefing-bot.tar.gz --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out reports/stories --no-plot

eval: train       ## NLU macro-F1 per language on held-out examples -> reports/nlu/summary.md
	@$(BIN)/python scripts/evaluate_nlu.py

lock:             ## re-resolve constraints.txt from requirements*.in (needs the registry)
	@scripts/lock.sh

clean:            ## remove the venv, models, the facts store and reports
	rm -rf $(VENV) models var reports logs
