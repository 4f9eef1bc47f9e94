# Every task a person or CI runs. `make run` and `make test` are the two commands in the README.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# Settings and their defaults: scripts/env.sh (reads .env). Targets that call tools directly load it.
ENV := source scripts/env.sh &&

.PHONY: help scale-out scale-out-test bench-scale-out run test setup facts train shell lint unit conversations validate stories eval answers review telegram-webhook lock clean bench audit soak compare-pipelines

run:              ## set up, build facts, train if needed, start action + Rasa servers
	@scripts/run.sh

test:             ## everything CI runs: lint, unit tests, data validation, training, stories, NLU eval
	@scripts/test.sh

setup:            ## create .venv (Python 3.10) and install pinned dependencies, once
	@scripts/setup.sh

facts: setup      ## validate the facts files and rebuild the store (no retraining needed)
	@$(ENV) $(BIN)/python -m bot.facts build

train: facts      ## train if training data (incl. data/generated/, derived from the facts), config or NLU components changed
	@scripts/train.sh

shell: setup facts train  ## chat in the terminal (uses the running action server, or starts one)
	@scripts/shell.sh

lint: setup       ## ruff
	@$(BIN)/ruff check bot actions tests scripts bench

unit: setup facts ## pytest without servers (facts store, language, tokenizer, components, actions, LaBSE)
	@$(ENV) $(BIN)/python -m pytest -q -m "not servers and not trains"

conversations: train  ## pytest with both servers running (needs the model), the new-fact and benchmark-smoke tests included
	@$(ENV) $(BIN)/python -m pytest -q -m "servers or trains"

validate: setup   ## rasa data validate, warnings included
	@$(ENV) $(BIN)/python scripts/validate_data.py

stories: train    ## test conversations (tests/test_stories.yml)
	@$(ENV) $(BIN)/rasa test core --model models/briefing-bot.tar.gz --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out reports/stories --no-plot

eval: train       ## NLU macro-F1 per language on held-out examples -> reports/nlu/summary.md
	@$(ENV) $(BIN)/python scripts/evaluate_nlu.py

answers: train    ## answer precision on held-out questions -> reports/answers/summary.md
	@$(ENV) $(BIN)/python scripts/evaluate_answers.py

compare-pipelines: train  ## our NLU pipeline vs Rasa's default one on the held-out examples (~25 min)
	@$(ENV) $(BIN)/python scripts/compare_default_pipeline.py

review: setup     ## unanswered questions, grouped; export --csv FILE, attach ITEM_ID FACT_ID, dismiss ITEM_ID (ARGS="...")
	@$(ENV) $(BIN)/python -m bot.review $(ARGS)

telegram-webhook: setup  ## register the Telegram webhook (setWebhook with secret and allowed updates)
	@$(ENV) $(BIN)/python -m bot.channels.telegram_webhook set

bench: train      ## our bot vs a stock `rasa init` bot: latency, throughput, RSS, cold start -> bench/results.md
	@$(ENV) $(BIN)/python -m bench.run $(BENCH_ARGS)

bench-scale-out: train  ## the scale-out topology with 1 and with 2 replicas: msg/s, p50/p95, CPU per role -> bench/scale_out_results.md
	@scripts/install_services.sh
	@$(ENV) $(BIN)/python -m bench.scale_out $(BENCH_ARGS)

soak: train       ## 32 conversations (REST + socket.io, id/ja/en) for 60 s, action server restarted mid-run -> bench/soak_results.md
	@$(ENV) $(BIN)/python -m bench.soak $(SOAK_ARGS)

audit: setup      ## known vulnerabilities in the pinned dependencies, offline data (README: Dependency audit)
	@$(BIN)/python scripts/audit.py $(AUDIT_ARGS)

lock:             ## re-resolve constraints.txt from requirements*.in (needs the registry)
	@scripts/lock.sh

help:             ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):[^#]*## /\1\t/' | awk -F'\t' '{printf "  make %-17s %s\n", $$1, $$2}'

clean:            ## remove the venv, models, the facts store and reports
	rm -rf $(VENV) models var reports logs

scale-out: train  ## the scale-out topology on loopback: PostgreSQL, Redis, 2 Rasa + 2 action servers, nginx (Ctrl-C stops all)
	@scripts/install_services.sh
	@$(ENV) $(BIN)/python -m bot.runtime.cluster --replicas $${REPLICAS:-2}

scale-out-test: train  ## the scale-out tests (tests/test_scale_out.py, tests/test_lock_store.py)
	@scripts/install_services.sh
	@$(ENV) $(BIN)/python -m pytest -q -m cluster -s
