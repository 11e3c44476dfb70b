/**
 * The remediation plan of one forecast risk: what the Apply / Preview buttons of a risk entry do.
 * The same record a diagnosis's plan is (stored, signed, expiring, single-use, judged by the same
 * policy), built from the typed memoryPatch of the risk's action, never from its command text,
 * and a snapshot of the workload. Pure: no I/O, no clock.
 */

import type { PlanMeta, RemediationPlan, WorkloadSnapshot } from '../contracts/plan-types.ts';
import type { Action } from '../domain/action-types.ts';
import type { Risk } from '../domain/forecast/types.ts';
import { mayRaiseLimit } from '../domain/limit-rule.ts';
import { toQuantity } from '../domain/quantity.ts';
import type { Cause } from '../domain/types.ts';
import { PATCHABLE_KINDS, planHeaderOf } from './plan.ts';

/** The action kinds a risk's Apply writes: the memory of one container. */
const MEMORY_KINDS: ReadonlySet<Action['kind']> = new Set<Action['kind']>([
  'patch_memory_limit',
  'adjust_requests',
]);

/**
 * The cause the approval policy judges a risk's change by: the diagnosis's, when the full
 * analysis diagnosed the kills; a container at its limit is a limit too low; a request far below
 * usage has no diagnosis of its own (its fix raises the request, not the limit).
 */
export function riskCause(r: Risk): Cause {
  if (r.cause) return r.cause;
  switch (r.risk) {
    case 'leak':
      return 'memory_leak';
    case 'heap_above_limit':
      return 'heap_misconfigured';
    case 'near_limit':
    case 'recent_kills':
      return 'limit_too_low';
    case 'request_far_below_usage':
      return 'unknown';
  }
}

/** The memory patch a risk's buttons would apply, when its one action is a memory change on its container. */
export function riskMemoryPatch(r: Risk): NonNullable<Action['memoryPatch']> | undefined {
  const action = r.actions[0];
  const patch = action && MEMORY_KINDS.has(action.kind) ? action.memoryPatch : undefined;
  return patch && patch.container === r.target.container ? patch : undefined;
}

/**
 * The plan of a risk, or undefined when no button would do anything: no memory change, a cause
 * for which a bigger limit is the wrong fix, a bare pod (no template to patch), or a workload
 * whose container could not be read (no snapshot to tell drift from).
 */
export function buildRiskPlan(
  r: Risk,
  snapshot: WorkloadSnapshot | undefined,
  meta: PlanMeta,
): RemediationPlan | undefined {
  const patch = riskMemoryPatch(r);
  const cause = riskCause(r);
  const { workload, namespace } = r.target;
  if (!patch || !snapshot || !mayRaiseLimit(cause) || !PATCHABLE_KINDS.has(workload.kind)) return undefined;
  return {
    ...planHeaderOf(meta),
    target: { namespace, kind: workload.kind, name: workload.name },
    container: patch.container,
    cause,
    snapshot,
    memory: {
      from: snapshot.memory,
      to: { limit: toQuantity(patch.limitBytes), request: toQuantity(patch.requestBytes) },
    },
  };
}
