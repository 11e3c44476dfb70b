#!/usr/bin/env bash
# Runs the README's install section as written: the shell blocks marked
# `<!-- install-check: PATH STEP -->` under "In a cluster", for PATH = helm, then kustomize (blocks
# marked `both` run for each), against the cluster of KUBECONFIG. After each install it checks the
# objects exist; after each uninstall, that nothing of oom-bot is left. Prints the seconds each step
# took. Needs kubectl and helm on PATH, the Prometheus Operator CRDs and a `monitoring` namespace.
#
#   KUBECONFIG=... scripts/install-check.sh            # a throwaway cluster: it really installs
#
# INSTALL_CHECK_FINALIZE=1 (for an apiserver without kube-controller-manager, as in the tests):
# finalize the deleted namespace the way the namespace controller would, once it is empty.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'install-check: %s\n' "$*" >&2; exit 1; }
[[ -n "${KUBECONFIG:-}" ]] || die "set KUBECONFIG to a throwaway cluster (this installs and uninstalls oom-bot)"
command -v kubectl >/dev/null || die "kubectl is not on PATH"
command -v helm >/dev/null || die "helm is not on PATH"

# the values the README asks the reader to export (made-up ones: nothing talks to Slack here)
export SLACK_BOT_TOKEN="xoxb-install-check" SLACK_SIGNING_SECRET="install-check-signing-secret"
ALERTMANAGER_TOKEN="$(openssl rand -hex 32)"
export ALERTMANAGER_TOKEN IMAGE_REPOSITORY="registry.invalid/oom-bot" REDIS_URL="redis://redis.oom-bot.svc:6379"

# The block after the marker `<!-- install-check: $1 $2 -->` in README.md.
block() {
  awk -v marker="<!-- install-check: $1 $2 -->" '
    $0 == marker { found = 1; next }
    found && /^```sh$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }
  ' README.md
}

declare -a report=()
# Runs one README block, timing it.
step() {
  local path="$1" name="$2" marker_path="${3:-$1}" script
  script="$(block "$marker_path" "$name")"
  [[ -n "$script" ]] || die "README.md has no block marked '<!-- install-check: $marker_path $name -->'"
  printf 'install-check: %s %s\n' "$path" "$name" >&2
  local started ended
  started=$(date +%s%N)
  bash -euo pipefail -c "$script" >&2 || die "$path $name failed (README block above)"
  ended=$(date +%s%N)
  report+=("$(awk -v p="$path" -v n="$name" -v ns=$((ended - started)) 'BEGIN { printf "%-10s %-10s %6.1f s", p, n, ns / 1e9 }')")
}

# Every object the install must have created.
check_installed() {
  kubectl -n oom-bot get deployment/oom-bot-web deployment/oom-bot-worker service/oom-bot service/oom-bot-worker \
    configmap/oom-bot-config configmap/oom-bot-approval-policy serviceaccount/oom-bot \
    poddisruptionbudget/oom-bot-web poddisruptionbudget/oom-bot-worker \
    networkpolicy/oom-bot-default-deny networkpolicy/oom-bot-web-ingress networkpolicy/oom-bot-worker-ingress \
    networkpolicy/oom-bot-egress servicemonitor/oom-bot >/dev/null
  kubectl -n monitoring get prometheusrule/oom-bot alertmanagerconfig/oom-bot >/dev/null
  local policy
  for policy in oom-bot-memory-only oom-bot-autoscalers oom-bot-autoscaler-bounds; do
    kubectl get "validatingadmissionpolicy/$policy" "validatingadmissionpolicybinding/$policy" >/dev/null
  done
  kubectl get clusterrole/oom-bot clusterrolebinding/oom-bot clusterrole/oom-bot-write clusterrolebinding/oom-bot-write >/dev/null
  [[ -n "$(kubectl -n oom-bot get secret/oom-bot-secrets -o jsonpath='{.data.APPROVAL_SIGNING_KEY}')" ]] ||
    die "the Secret oom-bot-secrets has no APPROVAL_SIGNING_KEY"
  local image
  image="$(kubectl -n oom-bot get deployment/oom-bot-worker -o jsonpath='{.spec.template.spec.containers[0].image}')"
  [[ "$image" == */oom-bot:* || "$image" == oom-bot:* ]] || die "unexpected worker image $image"
}

# Nothing of oom-bot anywhere: labelled objects, cluster-wide RBAC and admission policies, the Secrets.
check_nothing_left() {
  local left
  left="$(kubectl get all,configmap,secret,serviceaccount,poddisruptionbudget,networkpolicy,servicemonitor,prometheusrule,alertmanagerconfig \
    -A -l app.kubernetes.io/name=oom-bot -o name)"
  left+="$(kubectl get clusterrole/oom-bot clusterrolebinding/oom-bot clusterrole/oom-bot-write clusterrolebinding/oom-bot-write \
    -o name --ignore-not-found)"
  left+="$(kubectl get validatingadmissionpolicy,validatingadmissionpolicybinding -l app.kubernetes.io/name=oom-bot -o name)"
  left+="$(kubectl -n monitoring get secret/oom-bot-alertmanager -o name --ignore-not-found)"
  left+="$(kubectl -n oom-bot get secret/oom-bot-secrets -o name --ignore-not-found 2>/dev/null || true)"
  [[ -z "$left" ]] || die "left behind after uninstall: $left"
  for _ in $(seq 1 50); do
    kubectl get namespace oom-bot >/dev/null 2>&1 || return 0
    sleep 0.2
  done
  die "namespace oom-bot is still there"
}

# What kube-controller-manager's namespace controller does once a namespace is Terminating:
# remove its finalizer (the objects inside were deleted by the README's commands and are checked
# by check_nothing_left, which also lists objects of deleted namespaces).
finalize_namespace_when_deleted() {
  while sleep 0.3; do
    [[ "$(kubectl get namespace oom-bot -o jsonpath='{.status.phase}' 2>/dev/null)" == Terminating ]] || continue
    kubectl get namespace oom-bot -o json | sed 's/"kubernetes"//' |
      kubectl replace --raw /api/v1/namespaces/oom-bot/finalize -f - >/dev/null 2>&1 || true
  done
}
if [[ "${INSTALL_CHECK_FINALIZE:-}" == 1 ]]; then
  finalize_namespace_when_deleted &
  finalizer=$!
  trap 'kill "$finalizer" 2>/dev/null || true' EXIT
fi

for path in helm kustomize; do
  step "$path" secrets both
  step "$path" install
  step "$path" check
  check_installed
  step "$path" uninstall
  check_nothing_left
done

printf 'install-check: passed; seconds per step:\n' >&2
printf '  %s\n' "${report[@]}"
