#!/usr/bin/env bash
# Installs Debian's Chromium for the web widget's browser test (tests/test_web_widget.py), which
# drives it with Python Playwright, plus a Japanese font so the screenshots show the answers (without
# one, kana and kanji render as empty boxes). Debian's packages only: Playwright's own browser
# downloads (`playwright install`) are never used. A no-op when both are already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-ipafont-gothic)
has_japanese_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ja family)" ]; }
if [ -x "$CHROMIUM" ] && has_japanese_font; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
  command -v sudo >/dev/null || {
    echo "error: installing ${PACKAGES[*]} needs root: apt-get install ${PACKAGES[*]}" >&2; exit 1; }
else
  sudo=
fi
echo "Installing Debian's ${PACKAGES[*]} (for the web widget test)"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } \
    > /tmp/install_browser.log 2>&1; then
  tail -20 /tmp/install_browser.log >&2
  echo "error: could not install ${PACKAGES[*]} with apt-get (full log: /tmp/install_browser.log);" \
       "the web widget test will be skipped" >&2
  exit 1
fi
[ -x "$CHROMIUM" ] || { echo "error: apt-get installed chromium but $CHROMIUM is missing" >&2; exit 1; }
"$CHROMIUM" --version 2>/dev/null || true
