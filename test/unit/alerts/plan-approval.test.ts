import assert from 'node:assert/strict';
import { planAwaitsApproval } from '../../../src/alerts/runtime.ts';
import type { PlanStore } from '../../../src/remediation/plan-store.ts';

function plans(expiresAt: number | undefined, used: string[] = []): PlanStore {
  return {
    getPlan: async () => (expiresAt === undefined ? undefined : ({ id: 'p', expiresAt } as never)),
    consumption: async (_kind: string, _id: string, action: string) =>
      used.includes(action) ? { by: 'U1', at: 1 } : undefined,
  } as unknown as PlanStore;
}

describe('planAwaitsApproval: when a re-fire must not be diagnosed again', () => {
  const rows: Array<[string, PlanStore, boolean]> = [
    // buttons live, nobody acted: an approval is pending
    ['an unexpired, unused plan', plans(2000), true],
    // the buttons expired: a new diagnosis may offer new ones
    ['an expired plan', plans(1000), false],
    // someone applied it: the change is under way, the re-fire deserves a look
    ['an applied plan', plans(2000, ['apply']), false],
    // a VPA or a scale-out was approved instead
    ['a plan used for scale out', plans(2000, ['scale_out']), false],
    // a preview is read-only and approves nothing
    ['a plan only previewed', plans(2000, ['preview']), true],
    // the plan is gone
    ['a missing plan', plans(undefined), false],
  ];
  for (const [name, store, expected] of rows) {
    it(`${expected ? 'holds' : 'does not hold'} for ${name}`, async () => {
      assert.equal(await planAwaitsApproval(store, 'p', 1500), expected);
    });
  }
});
