#!/usr/bin/env bash
# Installs Debian's PostgreSQL, Redis and nginx for the scale-out topology (bot/runtime/cluster.py,
# tests/test_scale_out.py, make scale-out). Only the programs: nothing is started or enabled here;
# the cluster starts its own instances on loopback ports in a temporary folder and stops them.
# A no-op when all three are there.
set -euo pipefail
cd "$(dirname "$0")/.."

have_all() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && command -v redis-server >/dev/null \
    && [ -x /usr/sbin/nginx ]
}
have_all && exit 0
scripts/apt_install.sh "for the scale-out topology" postgresql redis-server nginx
have_all || { echo "error: apt-get ran but postgresql, redis-server or nginx is still missing" >&2; exit 1; }
