/**
 * The node diagnosis: a node under MemoryPressure filled by a pod with no request and one far
 * above its request; the victim that was evicted is named as such and gets no bigger limit.
 */
import assert from 'node:assert/strict';
import { diagnoseNode, type NodeEvidence, nodeJson } from '../../../src/domain/node-diagnosis.ts';
import { AT, GI, MI } from '../../support/evidence-builder.ts';

function node(): NodeEvidence {
  return {
    name: 'node-a',
    at: AT,
    capacityBytes: 16 * GI,
    allocatableBytes: 15 * GI,
    memoryPressure: true,
    pods: [
      {
        namespace: 'data',
        name: 'etl-7f9-abcde',
        workload: 'Deployment/etl',
        qosClass: 'BestEffort',
        workingSetBytes: 6 * GI,
      },
      {
        namespace: 'ml',
        name: 'scorer-5c4-x1',
        workload: 'Deployment/scorer',
        qosClass: 'Burstable',
        workingSetBytes: 3 * GI,
        requestBytes: GI,
        limitBytes: 8 * GI,
      },
      {
        namespace: 'ml',
        name: 'scorer-5c4-x2',
        workload: 'Deployment/scorer',
        qosClass: 'Burstable',
        workingSetBytes: 2.5 * GI,
        requestBytes: GI,
        limitBytes: 8 * GI,
      },
      {
        namespace: 'shop',
        name: 'cart-6d-zz',
        workload: 'Deployment/cart',
        qosClass: 'Guaranteed',
        workingSetBytes: 900 * MI,
        requestBytes: GI,
        limitBytes: GI,
      },
    ],
    evictions: [
      { namespace: 'shop', pod: 'cart-6d-yy', at: AT - 600 },
      { namespace: 'data', pod: 'etl-7f9-old', at: AT - 900 },
    ],
  };
}

describe('node diagnosis: who filled the node', () => {
  const d = diagnoseNode(node());

  it('ranks pods by working set and by usage above their request', () => {
    assert.deepEqual(d.pods.map((p) => p.name).slice(0, 2), ['etl-7f9-abcde', 'scorer-5c4-x1']);
    assert.equal(d.overRequest[0]?.name, 'etl-7f9-abcde');
    assert.equal(d.overRequest[1]?.overRequestBytes, 2 * GI);
    assert.ok(!d.overRequest.some((p) => p.name === 'cart-6d-zz'), 'a pod under its request is not over it');
  });

  it('names the pods without a memory request, the overcommit and the reserved share', () => {
    assert.deepEqual(
      d.unrequested.map((p) => p.name),
      ['etl-7f9-abcde'],
    );
    const text = d.evidence.join('\n');
    assert.match(text, /without a memory request.*data\/etl-7f9-abcde \(BestEffort\)/);
    assert.match(text, /limits sum to 23Gi against 15Gi allocatable \(153%\): overcommitted/);
    assert.match(text, /hold back 1Gi of 16Gi/);
    assert.match(text, /in order: 1\. data\/etl-7f9-old, 2\. shop\/cart-6d-yy/);
  });

  it('advises the requests to raise by how much, the workloads to spread and the headroom', () => {
    const text = d.advice.join('\n');
    assert.match(
      text,
      /raise the memory request of data\/Deployment\/etl from no request to 7680Mi|raise the memory request of data\/Deployment\/etl from no request to 7\.5Gi/,
    );
    assert.match(text, /spread ml\/Deployment\/scorer: 2 pods on node-a/);
    assert.match(text, /more node memory, or move pods off node-a/);
    assert.match(text, /do not raise the limits of the pods that were killed/);
    assert.match(d.headline, /data\/etl-7f9-abcde uses 6Gi more than it asked/);
  });

  it('adds node {name, pods[...]} to the JSON output', () => {
    const json = nodeJson(d);
    assert.equal(json.name, 'node-a');
    assert.equal(json.pods.length, 4);
    assert.equal(json.pods[0]?.name, 'etl-7f9-abcde');
    assert.equal(json.pods[0]?.requestBytes, undefined);
    assert.ok((json.pods[0]?.suggestedRequestBytes ?? 0) >= 6 * GI * 1.2);
  });
});
