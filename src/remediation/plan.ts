/**
 * A remediation plan: what the buttons of one diagnosis would do, fixed at diagnosis time and
 * stored in Redis under an opaque id (the only thing a button carries). Pure: built from the
 * Diagnosis and a snapshot of the workload; no I/O, no clock.
 */
import { parseQuantity } from '../domain/quantity.ts';
import type { Action, Cause, Diagnosis, WorkloadKind } from '../domain/types.ts';
import type { KubeObject } from '../sources/ports.ts';
import { type HpaSpec, hpaFromAction } from './hpa.ts';
import type { RemediationAction } from './policy.ts';
import { NO_LIMIT_BUMP } from './policy.ts';
import { vpaFromAction } from './vpa.ts';

/** Memory of one container as quantity strings; a missing field is unset in the spec. */
export interface MemoryValues {
  limit?: string;
  request?: string;
}

export interface PlanTarget {
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

/** The workload as the diagnosis saw it: what drift is measured against. */
export interface WorkloadSnapshot {
  generation?: number;
  resourceVersion?: string;
  /** The target container's memory at diagnosis. */
  memory: MemoryValues;
}

export interface RemediationPlan {
  id: string;
  incidentId: string;
  /** kubeconfig context; undefined = the default one. */
  cluster?: string;
  channel: string;
  /** The message carrying the buttons: a click from any other message is refused. */
  messageTs: string;
  /** Where the audit lines go. */
  threadTs: string;
  target: PlanTarget;
  container: string;
  cause: Cause;
  /** Who asked for the diagnosis (none for an alert): the two-person rule's "requester". */
  requester?: string;
  createdAt: number;
  expiresAt: number;
  snapshot: WorkloadSnapshot;
  /** Apply / Preview: the container's memory from → to. */
  memory?: { from: MemoryValues; to: { limit: string; request: string } };
  /** Create VPA: the object exactly as the diagnosis showed it. */
  vpa?: Record<string, unknown>;
  /** Scale out: the HPA the diagnosis showed. */
  hpa?: HpaSpec;
}

/** An applied change, kept for its Rollback button and the verification window. */
export interface ChangeRecord {
  id: string;
  planId: string;
  incidentId: string;
  cluster?: string;
  channel: string;
  threadTs: string;
  /** The message carrying the Rollback button, once posted. */
  messageTs?: string;
  target: PlanTarget;
  container: string;
  /** The values before the change (what Rollback restores). */
  previous: MemoryValues;
  /** The values the change set. */
  applied: MemoryValues;
  /** metadata.generation right after the patch: drift for the rollback is measured from it. */
  generation?: number;
  approver: string;
  appliedAt: number;
  expiresAt: number;
  /** Set on the record of a rollback: the change it undid. */
  rollbackOf?: string;
}

export interface PlanMeta {
  id: string;
  incidentId: string;
  cluster?: string;
  channel: string;
  messageTs: string;
  threadTs: string;
  requester?: string;
  now: number;
  ttlSeconds: number;
}

/** Workload kinds the bot patches (and its RBAC allows it to). */
export const PATCHABLE_KINDS: ReadonlySet<WorkloadKind> = new Set<WorkloadKind>([
  'Deployment',
  'StatefulSet',
]);

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

/** The pod template's containers of a workload object. */
export function templateContainers(obj: KubeObject): Json[] {
  const template = obj.kind === 'Pod' ? obj : obj.spec?.template;
  return Array.isArray(template?.spec?.containers) ? template.spec.containers : [];
}

/** The memory limit and request of one container, as the object has them. */
export function containerMemory(obj: KubeObject, container: string): MemoryValues | undefined {
  const c = templateContainers(obj).find((x: Json) => x?.name === container);
  if (!c) return undefined;
  const limit = c.resources?.limits?.memory;
  const request = c.resources?.requests?.memory;
  return {
    ...(limit !== undefined && limit !== null ? { limit: String(limit) } : {}),
    ...(request !== undefined && request !== null ? { request: String(request) } : {}),
  };
}

export function snapshotOf(obj: KubeObject, container: string): WorkloadSnapshot | undefined {
  const memory = containerMemory(obj, container);
  if (!memory) return undefined;
  return {
    generation: obj.metadata?.generation,
    resourceVersion: obj.metadata?.resourceVersion,
    memory,
  };
}

/** Two memory values are the same when they are the same number of bytes (1Gi == 1024Mi). */
export function sameQuantity(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return parseQuantity(a) === parseQuantity(b);
}

export function sameMemory(a: MemoryValues, b: MemoryValues): boolean {
  return sameQuantity(a.limit, b.limit) && sameQuantity(a.request, b.request);
}

export function describeMemory(m: MemoryValues): string {
  return `limit ${m.limit ?? 'unset'}, request ${m.request ?? 'unset'}`;
}

function findAction(d: Diagnosis, kind: Action['kind']): Action | undefined {
  return d.actions.find((a) => a.kind === kind);
}

/**
 * The plan for a diagnosis, or undefined when no button would do anything. Apply is never
 * planned where a bigger limit is the wrong fix (leak, node pressure), nor for kinds the bot
 * does not patch.
 */
export function buildPlan(
  d: Diagnosis,
  snapshot: WorkloadSnapshot | undefined,
  meta: PlanMeta,
): RemediationPlan | undefined {
  const t = d.target;
  const rec = d.recommendation;
  const memory =
    rec && snapshot && !NO_LIMIT_BUMP.has(d.cause) && PATCHABLE_KINDS.has(t.workload.kind)
      ? { from: snapshot.memory, to: { limit: rec.memoryLimit, request: rec.memoryRequest } }
      : undefined;
  const vpaAction = findAction(d, 'create_vpa');
  const vpa = vpaAction?.command ? vpaFromAction(vpaAction.command) : undefined;
  const hpaAction = findAction(d, 'scale_out');
  const hpa = hpaAction?.command ? hpaFromAction(hpaAction.command) : undefined;
  if (!memory && !vpa && !hpa) return undefined;
  return {
    id: meta.id,
    incidentId: meta.incidentId,
    ...(meta.cluster ? { cluster: meta.cluster } : {}),
    channel: meta.channel,
    messageTs: meta.messageTs,
    threadTs: meta.threadTs,
    target: { namespace: t.namespace, kind: t.workload.kind, name: t.workload.name },
    container: rec?.container ?? d.container,
    cause: d.cause,
    ...(meta.requester ? { requester: meta.requester } : {}),
    createdAt: meta.now,
    expiresAt: meta.now + meta.ttlSeconds,
    snapshot: snapshot ?? { memory: {} },
    ...(memory ? { memory } : {}),
    ...(vpa ? { vpa } : {}),
    ...(hpa ? { hpa } : {}),
  };
}

/** Whether a plan has something for a button to do. */
export function planOffers(plan: RemediationPlan, action: RemediationAction): boolean {
  switch (action) {
    case 'apply':
    case 'preview':
      return plan.memory !== undefined;
    case 'create_vpa':
      return plan.vpa !== undefined;
    case 'scale_out':
      return plan.hpa !== undefined;
    case 'rollback':
      return false;
  }
}
