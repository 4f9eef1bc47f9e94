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
echo "Installing pinned dependencies into $VENV (first run: about a minute)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0" "uv==0.13.9"
# uv installs the same pins as pip (constraints.txt) from PyPI, downloading in parallel and without
# byte-compiling every file of TensorFlow & co.: ~30 s instead of pip's ~100 s on this 2-core machine.
# Where uv cannot reach the index (a pip-only configuration such as pip.conf), pip does it.
if ! "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" \
    -r requirements.in -r requirements-dev.in -c constraints.txt; then
  echo "uv could not install the pinned packages; installing them with pip instead" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.in -r requirements-dev.in -c constraints.txt
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "$want" > "$stamp"
