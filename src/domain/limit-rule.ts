/**
 * The one rule on raising a memory limit: for a leak or for node pressure a bigger limit is the
 * wrong fix (it delays the kill, or takes more from a node that is already short). The diagnosis
 * display, the plan and the approval policy all ask this predicate. Pure.
 */
import type { Cause } from './types.ts';

const WRONG_FIX_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['memory_leak', 'node_pressure']);

/** Whether raising the memory limit may be proposed and applied for this cause. */
export function mayRaiseLimit(cause: Cause): boolean {
  return !WRONG_FIX_CAUSES.has(cause);
}
