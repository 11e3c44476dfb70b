// The scenario adapter filters with label and field selectors the way the apiserver does, so a
// diagnosis read from a file sees the same objects as one read from a cluster.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/sources/ports.ts';
import { createStaticLister } from '../../../src/sources/scenario.ts';
import {
  formatInSelector,
  formatLabelSelector,
  matchesFieldSelector,
  matchesLabelSelector,
} from '../../../src/sources/selectors.ts';

const pod = (name: string, namespace: string, labels: Record<string, string>): KubeObject => ({
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: 'node-1' },
});

describe('label and field selectors', () => {
  it('writes selectors as kubectl does', () => {
    assert.equal(formatLabelSelector({ tier: 'web', app: 'api' }), 'app=api,tier=web');
    assert.equal(formatInSelector('job-name', ['b', 'a', 'b']), 'job-name in (a,b)');
  });

  it('matches equality, inequality, set and existence terms', () => {
    const labels = { app: 'api', tier: 'web' };
    assert.ok(matchesLabelSelector('app=api,tier=web', labels));
    assert.ok(matchesLabelSelector('app==api', labels));
    assert.ok(!matchesLabelSelector('app=api,tier=db', labels));
    assert.ok(matchesLabelSelector('tier!=db', labels));
    assert.ok(matchesLabelSelector('release!=canary', labels), 'a missing label is not equal');
    assert.ok(matchesLabelSelector('app in (api, worker)', labels));
    assert.ok(!matchesLabelSelector('app notin (api)', labels));
    assert.ok(matchesLabelSelector('app,!release', labels));
    assert.ok(!matchesLabelSelector('release', labels));
    assert.ok(matchesLabelSelector('', labels), 'an empty selector selects everything');
  });

  it('matches the field selectors the bot sends, and refuses the ones the apiserver would', () => {
    const event: KubeObject = {
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'node-1' },
    };
    assert.ok(matchesFieldSelector('involvedObject.kind=Node,involvedObject.name=node-1', event));
    assert.ok(!matchesFieldSelector('involvedObject.name=node-2', event));
    assert.ok(matchesFieldSelector('metadata.name=e1', event));
    assert.throws(() => matchesFieldSelector('metadata.labels=x', event), /unsupported selector/);
    assert.throws(() => matchesFieldSelector('metadata.name in (e1)', event), /unsupported selector/);
  });
});

describe('the scenario lister with selectors', () => {
  const lister = createStaticLister(
    [
      pod('api-1', 'shop', { app: 'api' }),
      pod('api-2', 'shop', { app: 'api', track: 'canary' }),
      pod('api-1', 'other', { app: 'api' }),
      pod('db-0', 'shop', { app: 'db' }),
      { kind: 'Node', metadata: { name: 'node-1' } },
    ],
    'scenario test',
  );

  it('lists by label and by name, in one namespace or in all', async () => {
    const names = (objects: KubeObject[]) =>
      objects.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
    assert.deepEqual(names(await lister.list('Pod', 'shop', { labelSelector: 'app=api' })), [
      'shop/api-1',
      'shop/api-2',
    ]);
    assert.deepEqual(names(await lister.list('Pod', undefined, { fieldSelector: 'metadata.name=api-1' })), [
      'other/api-1',
      'shop/api-1',
    ]);
    assert.deepEqual(names(await lister.list('Pod', 'shop', { labelSelector: 'app=api,track!=canary' })), [
      'shop/api-1',
    ]);
  });

  it('gets one object by namespace and name, undefined when absent', async () => {
    assert.equal((await lister.get('Pod', 'other', 'api-1'))?.metadata?.namespace, 'other');
    assert.equal(await lister.get('Pod', 'shop', 'api-9'), undefined);
    assert.equal((await lister.get('Node', undefined, 'node-1'))?.metadata?.name, 'node-1');
  });
});
