#!/usr/bin/env bash
# SeaweedFS (Apache-2.0), a real S3-compatible object store, for the tests and
# the bench that keep checkpoints on S3 (test/s3-checkpoints.e2e.test.ts):
# built from its Go module into .tools/ of this checkout (needs Go; no other
# download). test/helpers/seaweedfs.ts starts it on loopback per test.
#   scripts/seaweedfs.sh fetch    build `weed` unless it is there
#   scripts/seaweedfs.sh path     print where it is
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
BIN="$ROOT/.tools/seaweedfs-$SEAWEEDFS_VERSION/weed"

case "${1:-}" in
  fetch)
    if [ -x "$BIN" ]; then exit 0; fi
    command -v go >/dev/null 2>&1 || { echo "seaweedfs: Go is needed to build SeaweedFS $SEAWEEDFS_VERSION (apt-get install golang-go)" >&2; exit 1; }
    echo "seaweedfs: building weed $SEAWEEDFS_VERSION from its Go module (a few minutes)" >&2
    # `go install pkg@version` refuses modules with replace directives (SeaweedFS has one),
    # so the module is downloaded and built in its own directory, where they apply.
    module="$(go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$module" ] || { echo "seaweedfs: could not download the module github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" >&2; exit 1; }
    mkdir -p "$(dirname "$BIN")"
    (cd "$module" && go build -o "$BIN.tmp" ./weed)
    mv "$BIN.tmp" "$BIN"
    ;;
  path)
    echo "$BIN"
    ;;
  *)
    echo "usage: scripts/seaweedfs.sh fetch|path" >&2
    exit 2
    ;;
esac
