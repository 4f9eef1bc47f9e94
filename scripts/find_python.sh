#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.10 only), or explains and fails.
# Looks at $PYTHON, python3.10 on PATH, pyenv's 3.10.x versions, then the usual install places.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
    candidates+=("$(pyenv root)/versions/$version/bin/python3")
  done
fi
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME/.pyenv/versions/3.10.13/bin/python3")

for python in "${candidates[@]}"; do
  if [ -x "$python" ] && is_310 "$python"; then
    echo "$python"
    exit 0
  fi
done

cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa Open Source 3.6 runs only on Python 3.10.
Install one (for example `pyenv install 3.10.13`, or your OS package python3.10) or point to it:
  PYTHON=/path/to/python3.10 make run
MSG
exit 1
