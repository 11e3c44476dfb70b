/**
 * A remediation plan: what the buttons of one diagnosis would do, fixed at diagnosis time and
 * stored in Redis under an opaque id (the only thing a button carries). Pure: built from the
 * typed fields of the Diagnosis's actions (never from their command text) and a snapshot of the
 * workload; no I/O, no clock.
 */
import { mayRaiseLimit } from '../domain/limit-rule.ts';
import { parseQuantity, toQuantity } from '../domain/quantity.ts';
import type { Action, Diagnosis, WorkloadKind } from '../domain/types.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { MemoryValues, PlanMeta, RemediationPlan, WorkloadSnapshot } from './plan-types.ts';
import type { RemediationAction } from './policy.ts';
import { rolloutUndoOf } from './rollout-undo-plan.ts';

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
  const patch = findAction(d, 'patch_memory_limit')?.memoryPatch;
  const memory =
    patch && snapshot && mayRaiseLimit(d.cause) && PATCHABLE_KINDS.has(t.workload.kind)
      ? {
          from: snapshot.memory,
          to: { limit: toQuantity(patch.limitBytes), request: toQuantity(patch.requestBytes) },
        }
      : undefined;
  const vpa = findAction(d, 'create_vpa')?.vpa;
  const hpa = findAction(d, 'scale_out')?.hpa;
  const rollout = rolloutUndoOf(d);
  if (!memory && !vpa && !hpa && !rollout) return undefined;
  return {
    id: meta.id,
    incidentId: meta.incidentId,
    ...(meta.cluster ? { cluster: meta.cluster } : {}),
    channel: meta.channel,
    messageTs: meta.messageTs,
    threadTs: meta.threadTs,
    target: { namespace: t.namespace, kind: t.workload.kind, name: t.workload.name },
    container: patch?.container ?? d.container,
    cause: d.cause,
    ...(meta.requester ? { requester: meta.requester } : {}),
    createdAt: meta.now,
    expiresAt: meta.now + meta.ttlSeconds,
    snapshot: snapshot ?? { memory: {} },
    ...(memory ? { memory } : {}),
    ...(vpa ? { vpa } : {}),
    ...(hpa ? { hpa } : {}),
    ...(rollout ? { rollout } : {}),
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
    case 'rollout_undo':
      return plan.rollout !== undefined;
  }
}
