#!/usr/bin/env bash
# Vendors the chat widget (botfront's rasa-webchat, a self-contained UMD bundle) into web/vendor/
# from the npm registry, never from a CDN: the page is served by the Rasa server under a CSP that
# allows scripts from its own origin only. A second run is a no-op while the file's checksum holds.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=rasa-webchat
VERSION=1.0.1
# `npm view rasa-webchat@1.0.1 dist.integrity`: the tarball we accept, and nothing else.
INTEGRITY="sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="
# sha256 of package/lib/index.js in that tarball, so a changed or truncated copy is replaced.
BUNDLE_SHA256=bfedd788e4bd7df12f64b5bf2963e634f84bac1cb176b6cede60c507d3553f1e
TARGET=web/vendor/rasa-webchat.js

if [ -f "$TARGET" ] && [ "$(sha256sum "$TARGET" | cut -d' ' -f1)" = "$BUNDLE_SHA256" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch $PACKAGE@$VERSION (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $PACKAGE@$VERSION from the npm registry"
tarball=$(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" | tail -1)
[ -f "$tmp/$tarball" ] || { echo "error: npm pack $PACKAGE@$VERSION produced no tarball" >&2; exit 1; }
got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "error: $tarball integrity mismatch: got $got, want $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tmp/$tarball" -C "$tmp" package/lib/index.js
if [ "$(sha256sum "$tmp/package/lib/index.js" | cut -d' ' -f1)" != "$BUNDLE_SHA256" ]; then
  echo "error: package/lib/index.js in $tarball is not the pinned bundle" >&2
  exit 1
fi
mkdir -p "$(dirname "$TARGET")"
# Atomic: a page request never sees a half-written bundle.
cp "$tmp/package/lib/index.js" "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
echo "Vendored $PACKAGE@$VERSION into $TARGET"
