#!/usr/bin/env bash
# Builds the Helm v4 CLI the chart tests use from the Go module in helm/ into a cache directory
# outside the checkout, keyed by the Helm version (as build.sh does for kube-apiserver and kubectl).
# Idempotent: does nothing when the binary already exists and reports its version.
# Prints the binary's path on stdout (progress goes to stderr).
set -euo pipefail

HELM_VERSION="v4.3.2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${OOM_BOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom-bot}"
out="${cache_root}/helm-${HELM_VERSION}"

helm_ok() {
  [[ -x "$out/helm" ]] || return 1
  [[ "$("$out/helm" version --template '{{.Version}}' 2>/dev/null)" == "${HELM_VERSION}" ]]
}

if helm_ok; then
  echo "$out/helm"
  exit 0
fi

go_bin="$(command -v go || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
  go_bin=/usr/local/go/bin/go
fi
if [[ -z "$go_bin" ]]; then
  echo "build-helm.sh: Go toolchain not found (need Go >= 1.26 on PATH or in /usr/local/go) to build helm ${HELM_VERSION}" >&2
  exit 1
fi

mkdir -p "$out"
# several test processes may ask at once: one builds, the others wait for it
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.lock"
  flock 9
  if helm_ok; then
    echo "$out/helm"
    exit 0
  fi
fi
tmp="$(mktemp -d "${out}/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "build-helm.sh: building helm ${HELM_VERSION} into $out (the first build takes a few minutes)" >&2
start=$(date +%s)
cd "$here/helm"
export GOTOOLCHAIN=local CGO_ENABLED=0
"$go_bin" build -trimpath -buildvcs=false \
  -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  -o "$tmp/helm" .
mv -f "$tmp/helm" "$out/helm"
echo "build-helm.sh: built in $(($(date +%s) - start))s" >&2

if ! helm_ok; then
  echo "build-helm.sh: built helm in $out does not report version ${HELM_VERSION}" >&2
  exit 1
fi
echo "$out/helm"
