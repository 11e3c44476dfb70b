/**
 * The bulk read's placements: each pod's workload and that workload's pod selector, from one
 * list per kind, carried into the risk's target so its commands name exactly the workload's pods.
 */
import assert from 'node:assert/strict';
import { foldStats } from '../../../src/domain/forecast/fold.ts';
import { riskOfFlag } from '../../../src/domain/forecast/refine.ts';
import { screen } from '../../../src/domain/forecast/rules.ts';
import { DEFAULT_FORECAST_OPTIONS } from '../../../src/domain/forecast/types.ts';
import { readPlacements } from '../../../src/sources/bulk.ts';
import type { KubeObject, ObjectKind, ObjectLister } from '../../../src/sources/ports.ts';

const MI = 2 ** 20;

function pod(
  name: string,
  owner: { kind: string; name: string } | undefined,
  usageLimit = '1Gi',
): KubeObject {
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      ...(owner
        ? { ownerReferences: [{ ...owner, apiVersion: 'apps/v1', uid: 'u', controller: true }] }
        : {}),
    },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'app', image: 'app:1', resources: { limits: { memory: usageLimit } } }],
    },
  } as KubeObject;
}

function listerOf(objects: Partial<Record<ObjectKind, KubeObject[]>>): ObjectLister & { listed: string[] } {
  const listed: string[] = [];
  return {
    name: 'fake',
    listed,
    async list(kind) {
      listed.push(kind);
      return objects[kind] ?? [];
    },
    async get() {
      return undefined;
    },
  };
}

describe('readPlacements: the workloads and their pod selectors', () => {
  const lister = listerOf({
    Pod: [
      pod('cart-7d9f-a', { kind: 'ReplicaSet', name: 'cart-7d9f' }),
      pod('db-0', { kind: 'StatefulSet', name: 'db' }),
      pod('agent-x1', { kind: 'DaemonSet', name: 'agent' }),
      pod('loose-rs-q', { kind: 'ReplicaSet', name: 'loose-rs' }),
      pod('debug', undefined),
    ],
    ReplicaSet: [
      {
        metadata: {
          name: 'cart-7d9f',
          namespace: 'shop',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart', uid: 'u', controller: true },
          ],
        },
        spec: { selector: { matchLabels: { app: 'cart', tier: 'web', 'pod-template-hash': '7d9f' } } },
      },
      {
        metadata: { name: 'loose-rs', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'loose' } } },
      },
    ] as KubeObject[],
    StatefulSet: [
      { metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } } } },
    ] as KubeObject[],
    DaemonSet: [
      {
        metadata: { name: 'agent', namespace: 'shop' },
        spec: { selector: { matchLabels: { name: 'agent' } } },
      },
    ] as KubeObject[],
  });

  it('gives every pod its workload’s selector from one list per kind; a bare pod has none', async () => {
    const { placements, lists } = await readPlacements(lister, 'shop');
    assert.equal(lists, 4);
    assert.deepEqual([...lister.listed].sort(), ['DaemonSet', 'Pod', 'ReplicaSet', 'StatefulSet']);
    const by = new Map(placements.map((p) => [p.pod, p]));
    // a Deployment's selector is its ReplicaSet's without the template hash
    assert.deepEqual(by.get('cart-7d9f-a')?.workload, { kind: 'Deployment', name: 'cart' });
    assert.deepEqual(by.get('cart-7d9f-a')?.selector, { app: 'cart', tier: 'web' });
    assert.deepEqual(by.get('db-0')?.selector, { app: 'db' });
    assert.deepEqual(by.get('agent-x1')?.selector, { name: 'agent' });
    assert.deepEqual(by.get('loose-rs-q')?.workload, { kind: 'ReplicaSet', name: 'loose-rs' });
    assert.deepEqual(by.get('loose-rs-q')?.selector, { app: 'loose' });
    assert.equal(by.get('debug')?.selector, undefined);
  });

  it('puts the selector in the risk target, so the fix’s verify command lists exactly those pods', async () => {
    const { placements } = await readPlacements(lister, 'shop');
    const rows = [
      {
        namespace: 'shop',
        pod: 'cart-7d9f-a',
        container: 'app',
        peakBytes: 400 * MI,
        currentBytes: 400 * MI,
        restarts: 0,
        oomKilled: false,
        requestBytes: 128 * MI,
      },
    ];
    const [cart] = foldStats(rows, placements, new Set()).filter((s) => s.target.workload.name === 'cart');
    assert.deepEqual(cart?.target.selector, { app: 'cart', tier: 'web' });
    const flag = screen(cart as NonNullable<typeof cart>, DEFAULT_FORECAST_OPTIONS);
    assert.equal(flag?.risk, 'request_far_below_usage');
    const risk = riskOfFlag(flag as NonNullable<typeof flag>);
    assert.deepEqual(risk.target.selector, { app: 'cart', tier: 'web' });
    assert.match(risk.actions[0]?.command ?? '', /kubectl -n shop top pod -l app=cart,tier=web --containers/);
    assert.match(risk.actions[0]?.command ?? '', /kubectl -n shop rollout status deployment\/cart/);
  });
});
