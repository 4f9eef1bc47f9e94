#!/usr/bin/env bash
# Vendors the web chat page's one third-party script, the socket.io client (socket.io-client, MIT,
# its self-contained browser build), into web/vendor/ from the npm registry, never from a CDN: the
# page is served by the Rasa server under a CSP that allows scripts from its own origin only.
#   scripts/web_assets.sh          the page's asset (make run, make test)
#   scripts/web_assets.sh --test   also axe-core for tests/test_web_widget.py, into var/test-assets/
#                                  (outside web/: the page never serves it)
# Each file is taken from one npm tarball whose sha512 integrity is pinned (`npm view PKG@VER
# dist.integrity`) and must itself match a pinned sha256, so a changed or truncated copy is
# replaced. A second run is a no-op while the checksums hold.
set -euo pipefail
cd "$(dirname "$0")/.."

# vendor PACKAGE VERSION INTEGRITY FILE_IN_TARBALL SHA256 TARGET
vendor() {
  local package=$1 version=$2 integrity=$3 file=$4 sha256=$5 target=$6
  if [ -f "$target" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$sha256" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "error: npm is needed to fetch $package@$version (apt-get install npm)" >&2; return 1; }
  local tmp tarball got
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: $tmp is local
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  echo "Fetching $package@$version from the npm registry"
  tarball=$(cd "$tmp" && npm pack --silent "$package@$version" | tail -1)
  [ -f "$tmp/$tarball" ] || { echo "error: npm pack $package@$version produced no tarball" >&2; return 1; }
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "error: $tarball integrity mismatch: got $got, want $integrity" >&2
    return 1
  fi
  tar -xzf "$tmp/$tarball" -C "$tmp" "package/$file"
  if [ "$(sha256sum "$tmp/package/$file" | cut -d' ' -f1)" != "$sha256" ]; then
    echo "error: package/$file in $tarball is not the pinned file" >&2
    return 1
  fi
  mkdir -p "$(dirname "$target")"
  # Atomic: a page request never sees a half-written file.
  cp "$tmp/package/$file" "$target.tmp"
  mv "$target.tmp" "$target"
  echo "Vendored $package@$version ($file) into $target"
}

vendor socket.io-client 4.8.4 \
  "sha512-7wjKAvVXYOJsbmUgkWbnhPD4bFpkqrUR0++XOjpGFmqDqsqV1CI93VTraeExLxpjxEqrWgFoSRZu1ihjLWfkAA==" \
  dist/socket.io.min.js d5d79a35039e860b32bdef4795528b05c2f788d4b2d9dacc913120e2878f7b3f \
  web/vendor/socket.io.min.js
# The page used botfront's rasa-webchat until it was replaced (README, "Web chat"): stop serving it.
rm -f web/vendor/rasa-webchat.js

if [ "${1:-}" = "--test" ]; then
  vendor axe-core 4.14.1 \
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==" \
    axe.min.js 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c \
    var/test-assets/axe.min.js
fi
