/**
 * Creates and stores the remediation plan of a forecast risk, as the planner does for a
 * diagnosis: reads the workload for its snapshot (generation, resourceVersion, the container's
 * memory), builds the plan from the risk's typed action and saves it in the plan store. Returns
 * the opaque id the buttons carry, or undefined when the risk has nothing to apply.
 */
import type { Risk } from '../domain/forecast/types.ts';
import { snapshotOf } from './plan.ts';
import type { PlanStore } from './plan-store.ts';
import { type PlanContext, planMetaFor } from './planner.ts';
import { buildRiskPlan, riskMemoryPatch } from './risk-plan.ts';

/** The same context as a diagnosis' plan: the message that carries the buttons, who asked (none for
 * the scheduled scan), and where the workload is read for the snapshot. */
export type RiskPlanContext = PlanContext;

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
    const plan = buildRiskPlan(risk, snapshot, planMetaFor(context, now(), options.ttlSeconds));
    if (!plan) return undefined;
    await options.plans.savePlan(plan);
    return plan.id;
  };
}
