#!/usr/bin/env bash
# Provisions what the integration tests talk to, on a fresh machine or an old one:
# Debian's Prometheus, Alertmanager, Redis and fonts; a running Redis on 127.0.0.1:6379;
# kube-apiserver, etcd and kubectl built from the Go module proxy (cached outside the checkout).
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'provision: %s\n' "$*" >&2; exit 1; }

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[[ -x /usr/bin/prometheus-alertmanager ]] || need+=(prometheus-alertmanager)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core fontconfig)
if ((${#need[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages ${need[*]}: run as root or install them first"
  echo "provision: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "provision: starting redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || die "cannot start redis-server"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || die "Redis does not answer on 127.0.0.1:6379"

test/kube/build.sh >/dev/null || die "could not build kube-apiserver, etcd and kubectl (Go 1.26 and the Go module proxy are needed; the first build takes several minutes)"
test/kube/build-helm.sh >/dev/null || die "could not build helm (Go 1.26 and the Go module proxy are needed; the first build takes several minutes)"
