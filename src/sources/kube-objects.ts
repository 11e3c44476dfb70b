/**
 * Pure conversions from Kubernetes objects (plain JSON, or client-node models with Date fields)
 * to the domain's records.
 */

import type { HpaInfo, HpaMemoryTarget, VpaContainerBounds, VpaInfo } from '../domain/autoscaler-types.ts';
import { parseQuantity } from '../domain/quantity.ts';
import type {
  ContainerSpec,
  ContainerStatus,
  EventInfo,
  NodeInfo,
  PodInfo,
  Revision,
  TerminatedState,
  WorkloadInfo,
} from '../domain/types.ts';
import type { WorkloadKind } from '../domain/workload-ref.ts';
import type { KubeObject } from './ports.ts';

/** Epoch seconds of an RFC 3339 string or a Date; undefined when absent or invalid. */
export function toEpoch(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: container specs are open-ended JSON
function toContainerSpec(c: any): ContainerSpec {
  const env: Record<string, string> = {};
  for (const e of c?.env ?? [])
    if (typeof e?.name === 'string' && typeof e.value === 'string') env[e.name] = e.value;
  return {
    name: String(c?.name ?? ''),
    image: String(c?.image ?? ''),
    limitBytes: parseQuantity(c?.resources?.limits?.memory),
    requestBytes: parseQuantity(c?.resources?.requests?.memory),
    env,
    command: (c?.command ?? []).map(String),
    args: (c?.args ?? []).map(String),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: terminated states are open-ended JSON
function toTerminated(t: any): TerminatedState | undefined {
  if (!t) return undefined;
  return {
    reason: String(t.reason ?? ''),
    exitCode: Number(t.exitCode ?? 0),
    startedAt: toEpoch(t.startedAt),
    finishedAt: toEpoch(t.finishedAt),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: container statuses are open-ended JSON
function toContainerStatus(s: any): ContainerStatus {
  return {
    name: String(s?.name ?? ''),
    restartCount: Number(s?.restartCount ?? 0),
    ready: Boolean(s?.ready),
    waitingReason: s?.state?.waiting?.reason,
    running: Boolean(s?.state?.running),
    lastTerminated: toTerminated(s?.lastState?.terminated),
    terminated: toTerminated(s?.state?.terminated),
  };
}

export function toPodInfo(pod: KubeObject): PodInfo {
  return {
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName,
    phase: pod.status?.phase,
    reason: pod.status?.reason,
    message: pod.status?.message,
    qosClass: pod.status?.qosClass,
    priorityClassName: pod.spec?.priorityClassName,
    startTime: toEpoch(pod.status?.startTime),
    // init containers and sidecars (restartable init containers) after the app's, under their own names
    containers: [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].map(
      toContainerStatus,
    ),
  };
}

export function toEventInfo(event: KubeObject): EventInfo {
  // biome-ignore lint/suspicious/noExplicitAny: events carry top-level fields
  const e = event as any;
  return {
    objectKind: String(e.involvedObject?.kind ?? e.regarding?.kind ?? ''),
    objectName: String(e.involvedObject?.name ?? e.regarding?.name ?? ''),
    reason: String(e.reason ?? ''),
    message: String(e.message ?? e.note ?? ''),
    type: String(e.type ?? ''),
    count: Number(e.count ?? e.series?.count ?? 1),
    firstAt: toEpoch(e.firstTimestamp ?? e.eventTime),
    lastAt: toEpoch(e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime),
    node: e.source?.host,
  };
}

export function toNodeInfo(node: KubeObject): NodeInfo {
  // biome-ignore lint/suspicious/noExplicitAny: node conditions are open-ended JSON
  const pressure = (node.status?.conditions ?? []).find((c: any) => c?.type === 'MemoryPressure');
  const on = pressure?.status === 'True';
  return {
    name: node.metadata?.name ?? '',
    capacityBytes: parseQuantity(node.status?.capacity?.memory),
    allocatableBytes: parseQuantity(node.status?.allocatable?.memory),
    memoryPressure: on,
    memoryPressureSince: on ? toEpoch(pressure?.lastTransitionTime) : undefined,
  };
}

export function toWorkloadInfo(workload: KubeObject, replicaSets: KubeObject[]): WorkloadInfo {
  const kind = (workload.kind ?? 'Deployment') as WorkloadKind;
  const template =
    kind === 'Pod'
      ? workload
      : kind === 'CronJob'
        ? workload.spec?.jobTemplate?.spec?.template
        : workload.spec?.template;
  const revisions: Revision[] = replicaSets
    .map((rs) => ({
      name: rs.metadata?.name ?? '',
      revision: Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
      createdAt: toEpoch(rs.metadata?.creationTimestamp),
      ...readTemplateIdentity(rs),
    }))
    .sort((a, b) => b.revision - a.revision);
  return {
    ref: { kind, name: workload.metadata?.name ?? '' },
    namespace: workload.metadata?.namespace ?? '',
    generation: workload.metadata?.generation,
    replicas: workload.spec?.replicas,
    labels: workload.metadata?.labels ?? {},
    annotations: workload.metadata?.annotations ?? {},
    containers: [...(template?.spec?.containers ?? []), ...(template?.spec?.initContainers ?? [])].map(
      toContainerSpec,
    ),
    lastRolloutAt: findLastRollout(workload),
    revisions,
  };
}

/** A ReplicaSet's pod-template-hash and its template's containers: what a rollout changed. */
function readTemplateIdentity(rs: KubeObject): Pick<Revision, 'podTemplateHash' | 'containers'> {
  const hash = rs.metadata?.labels?.['pod-template-hash'];
  const spec = rs.spec?.template?.spec;
  return {
    ...(hash ? { podTemplateHash: String(hash) } : {}),
    containers: [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map(toContainerSpec),
  };
}

/** The Progressing condition's lastUpdateTime marks the last rollout (FORMAT.md). */
function findLastRollout(workload: KubeObject): number | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: conditions are open-ended JSON
  const progressing = (workload.status?.conditions ?? []).find((c: any) => c?.type === 'Progressing');
  return toEpoch(progressing?.lastUpdateTime ?? progressing?.lastTransitionTime);
}

/** The HPA's Resource metric on memory with a Utilization target, if it has one. */
export function findMemoryTarget(hpa: KubeObject): HpaMemoryTarget | undefined {
  const metrics: unknown[] = Array.isArray(hpa.spec?.metrics) ? hpa.spec.metrics : [];
  for (const [index, m] of metrics.entries()) {
    // biome-ignore lint/suspicious/noExplicitAny: metric specs are open-ended JSON
    const r = (m as any)?.type === 'Resource' ? (m as any).resource : undefined;
    const utilization = r?.target?.type === 'Utilization' ? Number(r.target.averageUtilization) : Number.NaN;
    if (r?.name === 'memory' && Number.isFinite(utilization) && utilization > 0)
      return { index, averageUtilization: utilization };
  }
  return undefined;
}

export function toHpaInfo(hpa: KubeObject): HpaInfo {
  const memoryTarget = findMemoryTarget(hpa);
  return {
    name: hpa.metadata?.name ?? '',
    minReplicas: hpa.spec?.minReplicas,
    maxReplicas: Number(hpa.spec?.maxReplicas ?? 0),
    // biome-ignore lint/suspicious/noExplicitAny: metric specs are open-ended JSON
    metrics: (hpa.spec?.metrics ?? []).map((m: any) => String(m?.resource?.name ?? m?.type ?? 'unknown')),
    ...(memoryTarget ? { memoryTarget } : {}),
  };
}

/** The memory bounds of one VPA containerPolicies entry. */
// biome-ignore lint/suspicious/noExplicitAny: container policies are open-ended JSON
function toVpaBounds(policy: any): VpaContainerBounds {
  const min = policy?.minAllowed?.memory;
  const max = policy?.maxAllowed?.memory;
  return {
    containerName: String(policy?.containerName ?? '*'),
    ...(min !== undefined && min !== null ? { minAllowedMemory: String(min) } : {}),
    ...(max !== undefined && max !== null ? { maxAllowedMemory: String(max) } : {}),
    ...(policy?.mode ? { mode: String(policy.mode) } : {}),
    ...(Array.isArray(policy?.controlledResources) && !policy.controlledResources.includes('memory')
      ? { controlsMemory: false }
      : {}),
  };
}

/** A VPA as the diagnosis reads it: name, update mode, and each container entry's memory bounds. */
export function toVpaInfo(vpa: KubeObject): VpaInfo {
  const listed = vpa.spec?.resourcePolicy?.containerPolicies;
  // biome-ignore lint/suspicious/noExplicitAny: container policies are open-ended JSON
  const policies: any[] = Array.isArray(listed) ? listed : [];
  const controlled = policies.find((p) => p?.controlledValues)?.controlledValues;
  return {
    name: vpa.metadata?.name ?? '',
    mode: String(vpa.spec?.updatePolicy?.updateMode ?? 'Auto'),
    ...(controlled ? { controlledValues: String(controlled) } : {}),
    ...(policies.length > 0 ? { containers: policies.map(toVpaBounds) } : {}),
  };
}

/** True when every key of `selector` is in `labels` with the same value. */
export function matchesSelector(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels?.[k] === v);
}
