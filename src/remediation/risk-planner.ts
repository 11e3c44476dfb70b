/**
 * Creates and stores the remediation plan of a forecast risk, as the planner does for a
 * diagnosis: reads the workload for its snapshot (generation, resourceVersion, the container's
 * memory), builds the plan from the risk's typed action and saves it in the plan store. Returns
 * the opaque id the buttons carry, or undefined when the risk has nothing to apply.
 */
import type { Risk } from '../domain/forecast/types.ts';
import type { ObjectLister } from '../sources/ports.ts';
import { snapshotOf } from './plan.ts';
import { newRecordId, type PlanStore } from './plan-store.ts';
import { buildRiskPlan, riskMemoryPatch } from './risk-plan.ts';

export interface RiskPlanContext {
  /** Names the plans of one posted message together (the audit lines and annotations carry it). */
  incidentId: string;
  channel: string;
  /** The message that carries the buttons: a click from any other message is refused. */
  messageTs: string;
  /** Where the audit lines go. */
  threadTs: string;
  /** Who asked (`/oom risks`); none for the scheduled scan. */
  requester?: string;
  cluster?: string;
  /** Where the workload is read for the snapshot. */
  lister: ObjectLister;
}

export type CreateRiskPlan = (risk: Risk, context: RiskPlanContext) => Promise<string | undefined>;

export function createRiskPlanner(options: {
  plans: PlanStore;
  ttlSeconds: number;
  /** Wall-clock epoch seconds. */
  now?: () => number;
}): CreateRiskPlan {
  const now = options.now ?? (() => Date.now() / 1000);
  return async (risk, context) => {
    const patch = riskMemoryPatch(risk);
    if (!patch) return undefined;
    const { namespace, workload } = risk.target;
    const live = await context.lister.get(workload.kind, namespace, workload.name);
    const snapshot = live ? snapshotOf({ ...live, kind: workload.kind }, patch.container) : undefined;
    const plan = buildRiskPlan(risk, snapshot, {
      id: newRecordId(),
      incidentId: context.incidentId,
      cluster: context.cluster,
      channel: context.channel,
      messageTs: context.messageTs,
      threadTs: context.threadTs,
      requester: context.requester,
      now: Math.floor(now()),
      ttlSeconds: options.ttlSeconds,
    });
    if (!plan) return undefined;
    await options.plans.savePlan(plan);
    return plan.id;
  };
}
