/**
 * Verification after a change counts the kills of the workload's pods: the labels that find them
 * come from the selector, or from the pod template for a CronJob, whose Jobs' pods carry them.
 */
import assert from 'node:assert/strict';
import { podSelectorOf } from '../../../src/remediation/apply.ts';

describe('the pods a verification counts (podSelectorOf)', () => {
  it("takes a Deployment's selector", () => {
    const deployment = {
      kind: 'Deployment',
      spec: {
        selector: { matchLabels: { app: 'auth' } },
        template: { metadata: { labels: { app: 'auth', v: '2' } } },
      },
    };
    assert.deepEqual(podSelectorOf(deployment), { app: 'auth' });
  });

  it("takes a CronJob's job template labels, even when the object read has no kind", () => {
    const cronJob = {
      spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'report' } } } } } },
    };
    assert.deepEqual(podSelectorOf(cronJob, 'CronJob'), { app: 'report' });
  });

  it('finds nothing when neither a selector nor template labels exist', () => {
    assert.deepEqual(
      podSelectorOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: {} } } } }),
      {},
    );
  });
});
