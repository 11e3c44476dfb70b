/**
 * The plan behind a forecast risk's Apply / Preview: built from the risk action's typed memory
 * patch and a snapshot, judged by the same policy as a diagnosis's plan, and never offered where
 * a diagnosis would not offer it (a bigger limit for a leak or node pressure, a bare pod).
 */
import assert from 'node:assert/strict';
import type { PlanMeta, RemediationPlan, WorkloadSnapshot } from '../../../src/contracts/plan-types.ts';
import { raiseLimit } from '../../../src/domain/forecast/actions.ts';
import type { ContainerStats, Risk } from '../../../src/domain/forecast/types.ts';
import { parseQuantity } from '../../../src/domain/quantity.ts';
import type { PlanStore } from '../../../src/remediation/plan-store.ts';
import { decide } from '../../../src/remediation/policy.ts';
import { buildRiskPlan, riskCause } from '../../../src/remediation/risk-plan.ts';
import { createRiskPlanner } from '../../../src/remediation/risk-planner.ts';
import type { KubeObject, ObjectLister } from '../../../src/sources/ports.ts';
import { testPolicy } from '../../support/remediation-fixtures.ts';

const MI = 2 ** 20;
const META: PlanMeta = {
  id: 'r'.repeat(22),
  incidentId: 'forecast-ask-1',
  channel: 'C1',
  messageTs: '1.000200',
  threadTs: '1.000100',
  requester: 'U0ASKER',
  now: 1_000,
  ttlSeconds: 1800,
};
const SNAPSHOT: WorkloadSnapshot = {
  generation: 3,
  resourceVersion: '77',
  memory: { limit: '1Gi', request: '512Mi' },
};

function stats(over: Partial<ContainerStats['target']> = {}): ContainerStats {
  return {
    target: {
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'cart' },
      container: 'app',
      selector: { app: 'cart' },
      ...over,
    },
    pods: ['cart-1'],
    nodes: ['n1'],
    limitBytes: 1024 * MI,
    requestBytes: 512 * MI,
    peakBytes: 1000 * MI,
    currentBytes: 950 * MI,
    restarts: 0,
    oomKilled: false,
    pressureNodes: [],
  };
}

function nearLimit(over: Partial<ContainerStats['target']> = {}): Risk {
  const s = stats(over);
  return {
    target: s.target,
    risk: 'near_limit',
    etaSeconds: null,
    evidence: ['peak'],
    actions: [raiseLimit(s, 1000 * MI)],
  };
}

describe('buildRiskPlan', () => {
  it('plans the risk action’s memory patch on exactly its container, from the snapshot’s values', () => {
    const plan = buildRiskPlan(nearLimit(), SNAPSHOT, META) as RemediationPlan;
    assert.ok(plan);
    assert.deepEqual(plan.target, { namespace: 'shop', kind: 'Deployment', name: 'cart' });
    assert.equal(plan.container, 'app');
    assert.equal(plan.cause, 'limit_too_low');
    // 1000Mi peak + 25%, rounded up to a tidy step; the request covers usage
    assert.deepEqual(plan.memory, { from: SNAPSHOT.memory, to: { limit: '1280Mi', request: '1Gi' } });
    assert.equal(plan.messageTs, '1.000200');
    assert.equal(plan.threadTs, '1.000100');
    assert.equal(plan.requester, 'U0ASKER');
    assert.equal(plan.expiresAt, 2_800);
    assert.equal(plan.vpa ?? plan.hpa ?? plan.rollout, undefined);
  });

  it('is judged by the approval policy as a diagnosis’s plan: an approver may apply it within the maximum', async () => {
    const plan = buildRiskPlan(nearLimit(), SNAPSHOT, META) as RemediationPlan;
    const ask = (user: string, maxMemoryLimit: string) =>
      decide(testPolicy(['U0APPROVER'], { defaults: { actions: ['preview', 'apply'], maxMemoryLimit } }), {
        action: 'apply',
        namespace: plan.target.namespace,
        user,
        cause: plan.cause,
        newLimitBytes: parseQuantity(plan.memory?.to.limit ?? ''),
      });
    assert.equal((await ask('U0APPROVER', '8Gi')).allowed, true);
    assert.equal((await ask('U0STRANGER', '8Gi')).allowed, false);
    assert.equal((await ask('U0APPROVER', '1Gi')).allowed, false);
  });

  it('plans the request of a container used far above it', () => {
    const s = stats();
    const risk: Risk = {
      target: s.target,
      risk: 'request_far_below_usage',
      etaSeconds: null,
      evidence: [],
      actions: [
        {
          kind: 'adjust_requests',
          title: 'Set the request',
          memoryPatch: { container: 'app', limitBytes: 1024 * MI, requestBytes: 1024 * MI },
        },
      ],
    };
    assert.deepEqual(buildRiskPlan(risk, SNAPSHOT, META)?.memory?.to, { limit: '1Gi', request: '1Gi' });
  });

  it('plans nothing a button should not do', () => {
    const leak: Risk = {
      ...nearLimit(),
      risk: 'leak',
      actions: [{ kind: 'investigate_leak', title: 'profile' }],
    };
    assert.equal(buildRiskPlan(leak, SNAPSHOT, META), undefined, 'a heap profile is no change');
    // kills the diagnosis put down to node pressure: a bigger memory is the wrong fix
    const pressure: Risk = { ...nearLimit(), risk: 'recent_kills', cause: 'node_pressure' };
    assert.equal(riskCause(pressure), 'node_pressure');
    assert.equal(buildRiskPlan(pressure, SNAPSHOT, META), undefined);
    const bare = nearLimit({ workload: { kind: 'Pod', name: 'debug' } });
    assert.equal(buildRiskPlan(bare, SNAPSHOT, META), undefined, 'a bare pod has no template to patch');
    assert.equal(buildRiskPlan(nearLimit(), undefined, META), undefined, 'no snapshot, no drift check');
    const other: Risk = { ...nearLimit(), target: { ...nearLimit().target, container: 'sidecar' } };
    assert.equal(buildRiskPlan(other, SNAPSHOT, META), undefined, 'the patch names another container');
  });
});

describe('createRiskPlanner', () => {
  const deployment: KubeObject = {
    kind: 'Deployment',
    metadata: { name: 'cart', namespace: 'shop', generation: 3, resourceVersion: '77' },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'app', resources: { limits: { memory: '1Gi' }, requests: { memory: '512Mi' } } },
            { name: 'proxy', resources: { limits: { memory: '128Mi' } } },
          ],
        },
      },
    },
  } as KubeObject;
  const lister: ObjectLister = {
    name: 'fake',
    list: async () => [],
    get: async (kind, namespace, name) =>
      kind === 'Deployment' && namespace === 'shop' && name === 'cart' ? deployment : undefined,
  };

  it('snapshots the live workload, stores the plan and returns its id', async () => {
    const saved: RemediationPlan[] = [];
    const plans = { savePlan: async (p: RemediationPlan) => void saved.push(p) } as unknown as PlanStore;
    const create = createRiskPlanner({ plans, ttlSeconds: 600, now: () => 5_000.7 });
    const id = await create(nearLimit(), { ...META, lister });
    assert.match(id ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.equal(saved.length, 1);
    assert.equal(saved[0]?.id, id);
    assert.deepEqual(saved[0]?.snapshot, SNAPSHOT);
    assert.equal(saved[0]?.expiresAt, 5_600);
    // gone from the cluster: no plan, nothing stored
    assert.equal(
      await create(nearLimit({ workload: { kind: 'Deployment', name: 'gone' } }), { ...META, lister }),
      undefined,
    );
    assert.equal(saved.length, 1);
  });
});
