#!/usr/bin/env bash
# Builds the test kube-apiserver and etcd binaries, and kubectl (for the benchmark's manual
# runbook), from this Go module into a cache directory outside the checkout, keyed by the
# Kubernetes version.
# Idempotent: does nothing when the binaries already exist and run; builds only the missing ones.
# Prints the cache directory on stdout (progress goes to stderr).
set -euo pipefail

KUBE_VERSION="v1.36.3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${OOM_BOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom-bot}"
out="${cache_root}/kube-${KUBE_VERSION}"

server_ok() {
  [[ -x "$out/kube-apiserver" && -x "$out/etcd" ]] || return 1
  [[ "$("$out/kube-apiserver" --version 2>/dev/null)" == "Kubernetes ${KUBE_VERSION}" ]] || return 1
  "$out/etcd" --version >/dev/null 2>&1 || return 1
}

kubectl_ok() {
  [[ -x "$out/kubectl" ]] || return 1
  local version
  version="$("$out/kubectl" version --client 2>/dev/null)" || return 1
  [[ "${version%%$'\n'*}" == "Client Version: ${KUBE_VERSION}" ]] || return 1
}

binaries_ok() { server_ok && kubectl_ok; }

if binaries_ok; then
  echo "$out"
  exit 0
fi

go_bin="$(command -v go || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
  go_bin=/usr/local/go/bin/go
fi
if [[ -z "$go_bin" ]]; then
  echo "build.sh: Go toolchain not found (need Go >= 1.26 on PATH or in /usr/local/go) to build kube-apiserver/etcd/kubectl ${KUBE_VERSION}" >&2
  exit 1
fi

mkdir -p "$out"
# Several test processes may ask for a build at once: one builds, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.lock"
  flock 9
  if binaries_ok; then
    echo "$out"
    exit 0
  fi
fi
tmp="$(mktemp -d "${out}/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "build.sh: building the missing ones of kube-apiserver, etcd and kubectl ${KUBE_VERSION} into $out (first build takes many minutes)" >&2
start=$(date +%s)
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0
# The version the binaries report (/version, --version), as upstream's release build stamps it.
major="${KUBE_VERSION#v}"; major="${major%%.*}"
minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean"
done
if ! server_ok; then
  "$go_bin" build -trimpath -buildvcs=false -o "$tmp/etcd" ./cmd/etcd
  "$go_bin" build -trimpath -buildvcs=false -ldflags="${ldflags# }" -o "$tmp/kube-apiserver" ./cmd/kube-apiserver
  # Move into place only when both built, so a half-done build is never used.
  mv -f "$tmp/etcd" "$out/etcd"
  mv -f "$tmp/kube-apiserver" "$out/kube-apiserver"
fi
if ! kubectl_ok; then
  "$go_bin" build -trimpath -buildvcs=false -ldflags="${ldflags# }" -o "$tmp/kubectl" ./cmd/kubectl
  mv -f "$tmp/kubectl" "$out/kubectl"
fi
echo "build.sh: built in $(($(date +%s) - start))s" >&2

if ! binaries_ok; then
  echo "build.sh: built binaries in $out do not run --version" >&2
  exit 1
fi
echo "$out"
