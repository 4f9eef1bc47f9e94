#!/usr/bin/env bash
# Re-resolves constraints.txt: a throw-away Python 3.10 venv installs requirements*.in and freezes.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/find_python.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "pip==24.0"
"$tmp/venv/bin/pip" install --quiet -r requirements.in -r requirements-dev.in
{ echo "# Every package version, direct and transitive, resolved for Python 3.10 on Linux x86_64."
  echo "# Regenerate with \`make lock\` after changing requirements*.in."
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pinned packages"
