/**
 * The worker's own check before it runs a remediation job. The job, the plan and the approvals
 * all come from Redis, so none of them is trusted as such: the record must carry a valid
 * signature, the approval entries too (naming the job's user), the plan must not be revoked,
 * the approval policy the worker loaded itself must still allow each approver, the action, the
 * cluster, the namespace and the values, the two-person rule must be met by two distinct signed
 * approvals, and a write must target a namespace WRITE_NAMESPACES / DENY_NAMESPACES allow.
 */

import type { ChangeRecord, RemediationPlan } from '../contracts/plan-types.ts';
import { type RemediationAction, WRITE_ACTIONS } from '../contracts/remediation-actions.ts';
import { parseQuantity } from '../domain/quantity.ts';
import type { Cause } from '../domain/types.ts';
import { type NamespaceGuard, writeRefusal } from './namespace-guard.ts';
import { vpaBoundLimit } from './plan.ts';
import type { PlanStore, RecordKind } from './plan-store.ts';
import { type ApprovalPolicy, approvalsRequired, DEFAULT_CLUSTER, decide } from './policy.ts';

export interface ExecutionCheckDeps {
  plans: PlanStore;
  policy: ApprovalPolicy;
  guard: NamespaceGuard;
  /** Group membership of approvers; without it a group-only approver is refused. */
  inGroup?: (user: string, group: string) => Promise<boolean>;
  /** The context name of the default cluster, which a policy rule's `cluster` matches. */
  defaultCluster?: string;
}

/** The facts the decision needs, taken from a verified record. */
interface Subject {
  kind: RecordKind;
  id: string;
  namespace: string;
  workload: string;
  cluster: string;
  cause: Cause;
  newLimit?: string;
  maxReplicas?: number;
}

function subjectOfPlan(plan: RemediationPlan, action: RemediationAction, defaultCluster: string): Subject {
  return {
    kind: 'plan',
    id: plan.id,
    namespace: plan.target.namespace,
    workload: `${plan.target.kind.toLowerCase()}/${plan.target.name}`,
    cluster: plan.cluster ?? defaultCluster,
    cause: plan.cause,
    ...(action === 'apply' && plan.memory ? { newLimit: plan.memory.to.limit } : {}),
    ...(action === 'vpa_policy' && vpaBoundLimit(plan) ? { newLimit: vpaBoundLimit(plan) } : {}),
    ...(action === 'scale_out' && plan.hpa ? { maxReplicas: plan.hpa.maxReplicas } : {}),
  };
}

function subjectOfChange(change: ChangeRecord, defaultCluster: string): Subject {
  return {
    kind: 'change',
    id: change.id,
    namespace: change.target.namespace,
    workload: `${change.target.kind.toLowerCase()}/${change.target.name}`,
    cluster: change.cluster ?? defaultCluster,
    cause: 'unknown',
    ...(change.previous.limit !== undefined ? { newLimit: change.previous.limit } : {}),
  };
}

async function decideFor(
  deps: ExecutionCheckDeps,
  subject: Subject,
  action: RemediationAction,
  user: string,
) {
  return decide(deps.policy, {
    action,
    namespace: subject.namespace,
    cluster: subject.cluster,
    workload: subject.workload,
    user,
    cause: subject.cause,
    ...(subject.newLimit !== undefined ? { newLimitBytes: parseQuantity(subject.newLimit) } : {}),
    ...(subject.maxReplicas !== undefined ? { maxReplicas: subject.maxReplicas } : {}),
    ...(deps.inGroup ? { inGroup: deps.inGroup } : {}),
  });
}

/** Why the job must not run (a sentence), or undefined when every check passed. */
async function refusalFor(
  subject: Subject,
  action: RemediationAction,
  user: string,
  deps: ExecutionCheckDeps,
): Promise<string | undefined> {
  const state = await deps.plans.approvals(subject.kind, subject.id, action);
  if (state.revoked) {
    return state.revoked.valid
      ? `the incident was dismissed by <@${state.revoked.by}>, which revoked its buttons.`
      : 'its approval record carries an invalid signature (revoked entry).';
  }
  if (!WRITE_ACTIONS.has(action)) {
    const preview = await decideFor(deps, subject, action, user);
    return preview.allowed ? undefined : preview.reason;
  }
  if (!state.final) return 'no approval was recorded for this job.';
  if (!state.final.valid)
    return 'its approval record carries an invalid signature; it was not written by oom-bot.';
  if (state.final.by !== user)
    return `the recorded approval is by <@${state.final.by}>, not by the job's user.`;
  const decision = await decideFor(deps, subject, action, user);
  if (!decision.allowed)
    return `the approval policy no longer allows it at execution time: ${decision.reason}`;
  if (approvalsRequired(decision.rule, action) === 2) {
    const first = state.first;
    if (!first) return 'the two-person rule needs two approvals and only one was recorded.';
    if (!first.valid)
      return 'its first approval carries an invalid signature; it was not written by oom-bot.';
    if (first.by === user) return 'the two-person rule needs two different approvers.';
    const second = await decideFor(deps, subject, action, first.by);
    if (!second.allowed) return `the first approver is no longer allowed at execution time: ${second.reason}`;
  }
  return writeRefusal(deps.guard, subject.namespace);
}

export function checkPlanJob(
  plan: RemediationPlan,
  action: RemediationAction,
  user: string,
  deps: ExecutionCheckDeps,
): Promise<string | undefined> {
  return refusalFor(subjectOfPlan(plan, action, deps.defaultCluster ?? DEFAULT_CLUSTER), action, user, deps);
}

export function checkRollbackJob(
  change: ChangeRecord,
  user: string,
  deps: ExecutionCheckDeps,
): Promise<string | undefined> {
  return refusalFor(subjectOfChange(change, deps.defaultCluster ?? DEFAULT_CLUSTER), 'rollback', user, deps);
}
