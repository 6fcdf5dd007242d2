#!/usr/bin/env bash
# Tools the manifest tests (test/k8s-manifests.e2e.test.ts) need, none of
# which talks to a Kubernetes API server:
#  - kustomize: `kubectl kustomize` where kubectl is installed, else the
#    kustomize binary built from its Go module into ~/.cache/weir/bin;
#  - the Kubernetes JSON schema with unknown fields rejected ("strict"), as
#    shipped in the PyPI package kubernetes-validate, unpacked once into
#    ~/.cache/weir/k8s-schema/.
#   scripts/k8s-tools.sh fetch    install what is missing
#   scripts/k8s-tools.sh paths    print where they are
set -euo pipefail

CACHE="${WEIR_CACHE_DIR:-$HOME/.cache/weir}"
KUSTOMIZE_VERSION=v5.5.0
K8S_VERSION=v1.32.0
VALIDATE_VERSION=1.37.0
SCHEMA_DIR="$CACHE/k8s-schema/$K8S_VERSION-local-strict"

fetch_kustomize() {
  if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then return; fi
  if command -v kustomize >/dev/null 2>&1 || [ -x "$CACHE/bin/kustomize" ]; then return; fi
  echo "k8s-tools: building kustomize $KUSTOMIZE_VERSION from its Go module" >&2
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
}

fetch_schema() {
  if [ -f "$SCHEMA_DIR/_definitions.json" ]; then return; fi
  echo "k8s-tools: fetching the Kubernetes $K8S_VERSION JSON schema (kubernetes-validate $VALIDATE_VERSION)" >&2
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --dest "$tmp" "kubernetes-validate==$VALIDATE_VERSION"
  mkdir -p "$SCHEMA_DIR"
  python3 - "$tmp"/kubernetes_validate-*.whl "$SCHEMA_DIR" "$K8S_VERSION" <<'PY'
import sys, zipfile
wheel, dest, version = sys.argv[1:4]
name = f"kubernetes_validate/kubernetes-json-schema/{version}-local-strict/_definitions.json"
with zipfile.ZipFile(wheel) as z, open(f"{dest}/_definitions.json", "wb") as out:
    out.write(z.read(name))
PY
  rm -rf "$tmp"
}

case "${1:-}" in
  fetch)
    fetch_kustomize
    fetch_schema
    ;;
  paths)
    echo "schema=$SCHEMA_DIR/_definitions.json"
    echo "kustomize=$CACHE/bin/kustomize"
    ;;
  *)
    echo "usage: scripts/k8s-tools.sh fetch|paths" >&2
    exit 2
    ;;
esac
