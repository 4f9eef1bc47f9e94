#!/usr/bin/env bash
# Installs Debian's Chromium for the web widget's browser test (tests/test_web_widget.py), which
# drives it with Python Playwright, plus a Japanese font so the screenshots show the answers (without
# one, kana and kanji render as empty boxes). Debian's packages only: Playwright's own browser
# downloads (`playwright install`) are never used. A no-op when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
has_japanese_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ja family)" ]; }
if [ -x "$CHROMIUM" ] && has_japanese_font; then
  exit 0
fi
scripts/apt_install.sh "for the web widget test" chromium fonts-ipafont-gothic \
  || { echo "error: the web widget test will be skipped" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "error: apt-get installed chromium but $CHROMIUM is missing" >&2; exit 1; }
"$CHROMIUM" --version 2>/dev/null || true
