#!/usr/bin/env bash
# grpcurl, the gRPC command-line client, for the test that talks to a real
# cluster through a client Weir did not write (test/grpc-clients.e2e.test.ts):
# built from its Go module into ~/.cache/weir/bin (needs Go; no other download).
#   scripts/grpcurl.sh fetch    build it unless it is there
#   scripts/grpcurl.sh path     print where it is
set -euo pipefail

CACHE="${WEIR_CACHE_DIR:-$HOME/.cache/weir}"
GRPCURL_VERSION=v1.9.3
BIN="$CACHE/bin/grpcurl-$GRPCURL_VERSION"

case "${1:-}" in
  fetch)
    if [ -x "$BIN" ]; then exit 0; fi
    command -v go >/dev/null 2>&1 || { echo "grpcurl: Go is needed to build grpcurl $GRPCURL_VERSION (apt-get install golang-go)" >&2; exit 1; }
    echo "grpcurl: building grpcurl $GRPCURL_VERSION from its Go module" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
    mkdir -p "$CACHE/bin"
    mv "$tmp/grpcurl" "$BIN"
    ;;
  path)
    echo "$BIN"
    ;;
  *)
    echo "usage: scripts/grpcurl.sh fetch|path" >&2
    exit 2
    ;;
esac
