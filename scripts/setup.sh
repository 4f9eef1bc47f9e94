#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies, once: a stamp holding the
# hash of the requirement and constraint files makes a second run a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
stamp="$VENV/.installed"
want=$(cat requirements.in requirements-dev.in constraints.txt | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/rasa" ]; then
  exit 0
fi

python=$(scripts/find_python.sh)
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  echo "Creating $VENV with $python"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
fi
echo "Installing pinned dependencies into $VENV (first run takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r requirements.in -r requirements-dev.in -c constraints.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "$want" > "$stamp"
