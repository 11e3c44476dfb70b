/**
 * Creates and stores the remediation plan of a fresh diagnosis: snapshots the workload (its
 * generation, resourceVersion and the container's memory) so that drift can be told later, and
 * returns the opaque plan id the buttons carry.
 */

import type { PlanMeta, VpaSnapshot, WorkloadSnapshot } from '../contracts/plan-types.ts';
import type { Diagnosis } from '../domain/types.ts';
import type { ObjectLister } from '../sources/ports.ts';
import { buildPlan, snapshotOf } from './plan.ts';
import { newRecordId, type PlanStore } from './plan-store.ts';
import { vpaSnapshotOf } from './vpa-bounds.ts';

export interface PlanContext {
  incidentId: string;
  channel: string;
  /** The message that will carry the buttons. */
  messageTs: string;
  threadTs: string;
  requester?: string;
  cluster?: string;
  /** Where the workload is read for the snapshot (the diagnosis's own cluster source). */
  lister: ObjectLister;
}

/** A new plan's identity and where its buttons live, from the context it is made in. */
export function planMetaFor(context: PlanContext, now: number, ttlSeconds: number): PlanMeta {
  return {
    id: newRecordId(),
    incidentId: context.incidentId,
    cluster: context.cluster,
    channel: context.channel,
    messageTs: context.messageTs,
    threadTs: context.threadTs,
    requester: context.requester,
    now: Math.floor(now),
    ttlSeconds,
  };
}

export type CreatePlan = (diagnosis: Diagnosis, context: PlanContext) => Promise<string | undefined>;

/** The snapshot from the live object; else from what the diagnosis saw (no resourceVersion). */
async function snapshot(d: Diagnosis, lister: ObjectLister): Promise<WorkloadSnapshot | undefined> {
  const t = d.target;
  const container = d.recommendation?.container ?? d.container;
  // the object a patch would change (a CronJob for its Jobs' pods); none for a bare Pod or a Job
  const holder = t.podTemplate;
  if (holder) {
    const obj = await lister.get(holder.kind, t.namespace, holder.name).catch(() => undefined);
    const workload = obj ? snapshotOf({ ...obj, kind: holder.kind }, container) : undefined;
    const vpa = workload ? await vpaSnapshot(d, lister) : undefined;
    return workload && vpa ? { ...workload, vpa } : workload;
  }
  return undefined;
}

/** The VPA a vpa_policy action names, as it is now: drift is told from it at execution. */
async function vpaSnapshot(d: Diagnosis, lister: ObjectLister): Promise<VpaSnapshot | undefined> {
  const spec = d.actions.find((a) => a.kind === 'vpa_policy')?.vpaPolicy;
  if (!spec) return undefined;
  const vpa = await lister
    .get('VerticalPodAutoscaler', d.target.namespace, spec.vpaName)
    .catch(() => undefined);
  return vpa ? vpaSnapshotOf(vpa, spec.container) : undefined;
}

export function createPlanner(options: {
  plans: PlanStore;
  ttlSeconds: number;
  /** Wall-clock epoch seconds. */
  now?: () => number;
}): CreatePlan {
  const now = options.now ?? (() => Date.now() / 1000);
  return async (diagnosis, context) => {
    const plan = buildPlan(
      diagnosis,
      await snapshot(diagnosis, context.lister),
      planMetaFor(context, now(), options.ttlSeconds),
    );
    if (!plan) return undefined;
    await options.plans.savePlan(plan);
    return plan.id;
  };
}
