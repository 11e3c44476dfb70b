/**
 * The kubectl text shown under an action, rendered from the action's typed fields: one renderer
 * per kind of change (memory patch, scale out with an HPA, VPA, rollback of a rollout). The text
 * is for people; what the bot applies is built from the same fields, never read back from it.
 * Pure.
 */

import type {
  HpaMemoryTargetSpec,
  HpaSpec,
  MemoryPatchSpec,
  RollbackTarget,
  VpaPolicySpec,
  VpaSpec,
} from './action-types.ts';
import { toQuantity } from './quantity.ts';
import type { Target } from './types.ts';

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function workloadArg(t: Target): string {
  return `${t.workload.kind.toLowerCase()}/${t.workload.name}`;
}

export function selectorArg(t: Target): string {
  return Object.entries(t.selector)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * Wait for the rollout, then look at the containers' memory (by the pods' labels; without a
 * known selector, a `-l` with nothing after it would be wrong, so the whole namespace is shown).
 */
export function renderVerifyCommands(t: Target): string {
  const selector = selectorArg(t);
  return [
    `kubectl -n ${t.namespace} rollout status ${workloadArg(t)} --timeout=5m`,
    selector
      ? `kubectl -n ${t.namespace} top pod -l ${selector} --containers`
      : `kubectl -n ${t.namespace} top pod --containers`,
  ].join('\n');
}

/** `kubectl patch` with the strategic-merge patch that sets memory on exactly one container. */
export function renderMemoryPatch(t: Target, patch: MemoryPatchSpec): string {
  const resources = {
    limits: { memory: toQuantity(patch.limitBytes) },
    requests: { memory: toQuantity(patch.requestBytes) },
  };
  const body = JSON.stringify({
    spec: { template: { spec: { containers: [{ name: patch.container, resources }] } } },
  });
  return `kubectl -n ${t.namespace} patch ${workloadArg(t)} --type=strategic -p ${shellQuote(body)}`;
}

/** Scale to the HPA's minimum now, then keep the HPA (as `kubectl autoscale` creates it). */
export function renderScaleOut(t: Target, hpa: HpaSpec): string {
  return [
    `kubectl -n ${t.namespace} scale ${workloadArg(t)} --replicas=${hpa.minReplicas}`,
    `kubectl -n ${t.namespace} autoscale ${workloadArg(t)} --min=${hpa.minReplicas} --max=${hpa.maxReplicas} --cpu-percent=${hpa.cpuPercent}`,
  ].join('\n');
}

function flowList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** `kubectl apply` of the VerticalPodAutoscaler, as a YAML heredoc. */
export function renderVpa(t: Target, vpa: VpaSpec): string {
  const policies = vpa.containerPolicies.map(
    (p) => `{containerName: ${p.containerName}, controlledResources: ${flowList(p.controlledResources)}}`,
  );
  return [
    `kubectl -n ${t.namespace} apply -f - <<'EOF'`,
    'apiVersion: autoscaling.k8s.io/v1',
    'kind: VerticalPodAutoscaler',
    'metadata:',
    `  name: ${t.workload.name}`,
    'spec:',
    `  targetRef: {apiVersion: apps/v1, kind: ${t.workload.kind}, name: ${t.workload.name}}`,
    `  updatePolicy: {updateMode: "${vpa.updateMode}"}`,
    `  resourcePolicy: {containerPolicies: ${flowList(policies)}}`,
    'EOF',
  ].join('\n');
}

/** `kubectl rollout undo` of the rollout the kills began with. */
export function renderRollback(t: Target, rollback: RollbackTarget): string {
  const ref = `${rollback.workload.kind.toLowerCase()}/${rollback.workload.name}`;
  return `kubectl -n ${t.namespace} rollout undo ${ref}`;
}

/**
 * The edit of a VPA's resourcePolicy entry for one container: its memory bounds. A merge patch
 * would replace the whole containerPolicies list, so people are shown the entry to edit instead.
 */
export function renderVpaPolicy(t: Target, spec: VpaPolicySpec): string {
  const bounds = [`minAllowed: {memory: ${toQuantity(spec.minAllowedBytes)}}`];
  if (spec.maxAllowedBytes !== undefined)
    bounds.push(`maxAllowed: {memory: ${toQuantity(spec.maxAllowedBytes)}}`);
  return [
    `kubectl -n ${t.namespace} edit verticalpodautoscaler/${spec.vpaName}`,
    `# in spec.resourcePolicy.containerPolicies, the entry of container ${spec.container} (add it if missing):`,
    `#   - containerName: ${spec.container}`,
    ...bounds.map((b) => `#     ${b}`),
  ].join('\n');
}

/** The JSON patch of an HPA's memory target: checks the metric is the memory one at the old value first. */
export function renderHpaMemoryTarget(t: Target, spec: HpaMemoryTargetSpec): string {
  const at = `/spec/metrics/${spec.metricIndex}/resource`;
  const ops = [
    { op: 'test', path: `${at}/name`, value: 'memory' },
    { op: 'test', path: `${at}/target/averageUtilization`, value: spec.fromPercent },
    { op: 'replace', path: `${at}/target/averageUtilization`, value: spec.toPercent },
  ];
  return `kubectl -n ${t.namespace} patch horizontalpodautoscaler/${spec.hpaName} --type=json -p ${shellQuote(JSON.stringify(ops))}`;
}
