// An alert's `cluster` label becomes the diagnosis request's cluster (the kubeconfig context to
// read); an alert without one asks the default context.
import assert from 'node:assert/strict';
import { diagnoseJobFor } from '../../../src/alerts/intake.ts';

const ref = { key: 'k', openedAt: 5, generation: 1, channel: 'C1' };
const target = (cluster: string) =>
  ({ kind: 'workload', cluster, namespace: 'prod', workload: 'api', container: 'app' }) as const;

describe('alert intake: the cluster label', () => {
  it('names the cluster of the diagnosis when the alert carries one', () => {
    assert.deepEqual(diagnoseJobFor(target('prod-eu'), ref, undefined, 7000).data.request, {
      name: 'api',
      namespace: 'prod',
      cluster: 'prod-eu',
    });
  });

  it('leaves it to the default context when the alert carries none', () => {
    assert.deepEqual(diagnoseJobFor(target(''), ref, undefined, 7000).data.request, {
      name: 'api',
      namespace: 'prod',
    });
  });
});
