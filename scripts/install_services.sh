#!/usr/bin/env bash
# Installs Debian's PostgreSQL, Redis and nginx for the scale-out topology (bot/runtime/cluster.py,
# tests/test_scale_out.py, make scale-out). Only the programs: nothing is started or enabled here;
# the cluster starts its own instances on loopback ports in a temporary folder and stops them.
# A no-op when all three are there.
set -euo pipefail

PACKAGES=(postgresql redis-server nginx)
have_all() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && command -v redis-server >/dev/null \
    && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }
}
if have_all; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
  command -v sudo >/dev/null || {
    echo "error: installing ${PACKAGES[*]} needs root: apt-get install ${PACKAGES[*]}" >&2; exit 1; }
else
  sudo=
fi
echo "Installing Debian's ${PACKAGES[*]} (for the scale-out topology)"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the packages' post-install scripts must not start system-wide services.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
fi
status=0
{ $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } \
  > /tmp/install_services.log 2>&1 || status=$?
[ "$made_policy" = 1 ] && $sudo rm -f "$policy"
if [ "$status" -ne 0 ] || ! have_all; then
  tail -20 /tmp/install_services.log >&2
  echo "error: could not install ${PACKAGES[*]} with apt-get (full log: /tmp/install_services.log)" >&2
  exit 1
fi
