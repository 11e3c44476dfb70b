/**
 * A remediation plan: what the buttons of one diagnosis would do, fixed at diagnosis time and
 * stored in Redis under an opaque id (the only thing a button carries). Pure: built from the
 * typed fields of the Diagnosis's actions (never from their command text) and a snapshot of the
 * workload; no I/O, no clock.
 */

import type {
  MemoryValues,
  PlanMeta,
  RemediationPlan,
  VpaBounds,
  VpaPolicyPlan,
  WorkloadSnapshot,
} from '../contracts/plan-types.ts';
import type { RemediationAction } from '../contracts/remediation-actions.ts';
import type { Action } from '../domain/action-types.ts';
import { mayRaiseLimit } from '../domain/limit-rule.ts';
import { parseQuantity, toQuantity } from '../domain/quantity.ts';
import type { Diagnosis } from '../domain/types.ts';
import type { WorkloadKind } from '../domain/workload-ref.ts';
import type { KubeObject } from '../sources/ports.ts';
import { rolloutUndoOf } from './rollout-undo-plan.ts';

/**
 * Kinds whose pod template the bot patches (and its RBAC and admission policy allow it to): the
 * object named by Target.podTemplate must be one of them. A bare Pod or a Job has no
 * patchable template: advice and commands only.
 */
export const PATCHABLE_KINDS: ReadonlySet<WorkloadKind> = new Set<WorkloadKind>([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'CronJob',
  'Rollout',
]);

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

/** The two lists of a pod spec a container can be in (a sidecar is a restartable init container). */
export type ContainerList = 'containers' | 'initContainers';

/** The path of the pod template in an object of `kind`. */
export function templatePath(kind: string | undefined): string[] {
  return kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
}

/** The pod spec of a workload object (a Pod's own spec), wherever its kind keeps it. */
function podSpecOf(obj: KubeObject): Json | undefined {
  if (obj.kind === 'Pod') return obj.spec;
  let node: Json = obj;
  for (const key of templatePath(obj.kind)) node = node?.[key];
  return node?.spec;
}

/** One list of the pod template's containers of a workload object. */
export function templateContainers(obj: KubeObject, list: ContainerList = 'containers'): Json[] {
  const items = podSpecOf(obj)?.[list];
  return Array.isArray(items) ? items : [];
}

/** Which list holds the container of that name (app containers first), if any. */
export function containerListOf(obj: KubeObject, container: string): ContainerList | undefined {
  const lists: ContainerList[] = ['containers', 'initContainers'];
  return lists.find((l) => templateContainers(obj, l).some((x: Json) => x?.name === container));
}

/** The memory limit and request of one container, as the object has them. */
export function containerMemory(obj: KubeObject, container: string): MemoryValues | undefined {
  const list = containerListOf(obj, container);
  const c = list && templateContainers(obj, list).find((x: Json) => x?.name === container);
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
 * planned where a bigger limit is the wrong fix (leak, node pressure), nor when the target has
 * no pod template the bot patches (a bare Pod, a Job): the plan's target is the template's holder.
 */
export function buildPlan(
  d: Diagnosis,
  snapshot: WorkloadSnapshot | undefined,
  meta: PlanMeta,
): RemediationPlan | undefined {
  const t = d.target;
  const holder = t.podTemplate;
  const patch = findAction(d, 'patch_memory_limit')?.memoryPatch;
  const memory =
    patch && snapshot && holder && mayRaiseLimit(d.cause) && PATCHABLE_KINDS.has(holder.kind)
      ? {
          from: snapshot.memory,
          to: { limit: toQuantity(patch.limitBytes), request: toQuantity(patch.requestBytes) },
        }
      : undefined;
  const vpa = findAction(d, 'create_vpa')?.vpa;
  const hpa = findAction(d, 'scale_out')?.hpa;
  const rollout = rolloutUndoOf(d);
  const vpaPolicy = vpaPolicyOf(d, snapshot);
  const hpaMemoryTarget = memory ? findAction(d, 'patch_memory_limit')?.hpaMemoryTarget : undefined;
  if (!memory && !vpa && !hpa && !rollout && !vpaPolicy) return undefined;
  return {
    ...planHeaderOf(meta),
    target: {
      namespace: t.namespace,
      kind: holder?.kind ?? t.workload.kind,
      name: holder?.name ?? t.workload.name,
    },
    container: patch?.container ?? d.container,
    cause: d.cause,
    snapshot: snapshot ?? { memory: {} },
    ...(memory ? { memory } : {}),
    ...(vpa ? { vpa } : {}),
    ...(hpa ? { hpa } : {}),
    ...(rollout ? { rollout } : {}),
    ...(vpaPolicy ? { vpaPolicy } : {}),
    ...(hpaMemoryTarget ? { hpaMemoryTarget } : {}),
  };
}

/** What every plan carries from where it was made: its id, its message and thread, who asked, its lifetime. */
export function planHeaderOf(
  meta: PlanMeta,
): Pick<
  RemediationPlan,
  | 'id'
  | 'incidentId'
  | 'cluster'
  | 'channel'
  | 'messageTs'
  | 'threadTs'
  | 'requester'
  | 'createdAt'
  | 'expiresAt'
> {
  return {
    id: meta.id,
    incidentId: meta.incidentId,
    ...(meta.cluster ? { cluster: meta.cluster } : {}),
    channel: meta.channel,
    messageTs: meta.messageTs,
    threadTs: meta.threadTs,
    ...(meta.requester ? { requester: meta.requester } : {}),
    createdAt: meta.now,
    expiresAt: meta.now + meta.ttlSeconds,
  };
}

/**
 * Set VPA bounds, from the diagnosis's typed vpa_policy action: only where a bigger request is
 * the right fix, and the bounds it starts from are those the VPA had when the plan was made.
 */
function vpaPolicyOf(d: Diagnosis, snapshot: WorkloadSnapshot | undefined): VpaPolicyPlan | undefined {
  const spec = findAction(d, 'vpa_policy')?.vpaPolicy;
  if (!spec || !mayRaiseLimit(d.cause)) return undefined;
  const seen = snapshot?.vpa?.name === spec.vpaName ? snapshot.vpa.bounds : undefined;
  if (!seen) return undefined;
  const to: VpaBounds = {
    minAllowed: toQuantity(spec.minAllowedBytes),
    ...(spec.maxAllowedBytes !== undefined
      ? { maxAllowed: toQuantity(spec.maxAllowedBytes) }
      : seen.maxAllowed !== undefined
        ? { maxAllowed: seen.maxAllowed }
        : {}),
  };
  return { vpa: spec.vpaName, container: spec.container, from: seen, to };
}

/** The highest memory bound Set VPA bounds would write: what the policy's maxMemoryLimit caps. */
export function vpaBoundLimit(plan: RemediationPlan | undefined): string | undefined {
  const change = plan?.vpaPolicy;
  if (!change) return undefined;
  // a maxAllowed the change leaves as it was is not the bot's to answer for
  const raisedMax = sameQuantity(change.to.maxAllowed, change.from.maxAllowed)
    ? undefined
    : change.to.maxAllowed;
  const values = [change.to.minAllowed, raisedMax].filter((v): v is string => v !== undefined);
  return values.sort((a, b) => (parseQuantity(b) ?? 0) - (parseQuantity(a) ?? 0))[0];
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
    case 'vpa_policy':
      return plan.vpaPolicy !== undefined;
  }
}
