#!/usr/bin/env bash
# One of make test's background jobs (scripts/test.sh): everything that needs no model of ours
# (the unit tests, and the new-fact test, which trains its own copy of the project), then, once
# scripts/test.sh has trained the model and created TRAINED_FLAG, the scale-out tests
# (PostgreSQL, Redis, 2+2 replicas, nginx) and the other model tests marked `beside` (the short
# soak, the model-loader check): this balances make test's three lanes on two cores (the test
# conversations, rasa test core, end the main lane). Debian's PostgreSQL, Redis and nginx are
# installed first; without them the scale-out tests are skipped with a warning.
# Usage: scripts/test_lane_unit.sh BASETEMP TRAINED_FLAG
set -uo pipefail
cd "$(dirname "$0")/.."
basetemp=$1 trained=$2
pytest=("$VENV/bin/python" -m pytest -q -p no:cacheprovider --durations=5)
scripts/install_services.sh \
  || echo "warning: no PostgreSQL/Redis/nginx; the scale-out tests will be skipped" >&2
# Below the main lane's priority while it trains (nothing here times a reply); the scale-out tests
# and the soak below, which do, run at normal priority.
nice -n 10 "${pytest[@]}" --basetemp "$basetemp/unit" -m "not servers" || exit 1
echo "=== pytest: scale-out, soak, model loader (waiting for the model) ==="
for _ in $(seq 1800); do [ -e "$trained" ] && break; sleep 1; done
[ -e "$trained" ] || { echo "error: the model was not trained within 30 minutes" >&2; exit 1; }
exec "${pytest[@]}" --basetemp "$basetemp/cluster" -m "servers and (cluster or beside)"
