#!/usr/bin/env bash
# Installs Debian packages for the project's tests (scripts/install_browser.sh,
# scripts/install_services.sh): as root, or with sudo; never starts a system-wide service (a
# temporary policy-rc.d refuses it); apt's output goes to /tmp/apt_install.log, its end is shown on
# failure. Usage: scripts/apt_install.sh WHAT-FOR PACKAGE...
set -euo pipefail
what=$1; shift
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: installing $* needs root: apt-get install $*" >&2; exit 1; }
  sudo=sudo
else
  sudo=
fi
echo "Installing Debian's $* ($what)"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
fi
status=0
{ $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@"; } \
  > /tmp/apt_install.log 2>&1 || status=$?
if [ "$made_policy" = 1 ]; then $sudo rm -f "$policy"; fi
if [ "$status" -ne 0 ]; then
  tail -20 /tmp/apt_install.log >&2
  echo "error: could not install $* with apt-get (full log: /tmp/apt_install.log)" >&2
  exit 1
fi
