import assert from 'node:assert/strict';
import type { PlanMeta } from '../../../src/contracts/plan-types.ts';
import type { Action, HpaSpec, VpaSpec } from '../../../src/domain/action-types.ts';
import { renderScaleOut, renderVpa } from '../../../src/domain/commands.ts';
import type { Cause } from '../../../src/domain/types.ts';
import { driftReasons, oomKillsSince, rolloutState } from '../../../src/remediation/apply.ts';
import { checkHpa, hpaObject } from '../../../src/remediation/hpa.ts';
import { buildPlan, planOffers, snapshotOf, vpaBoundLimit } from '../../../src/remediation/plan.ts';
import { checkVpa, vpaObject } from '../../../src/remediation/vpa.ts';
import { boundsOnly, withBounds } from '../../../src/remediation/vpa-bounds.ts';
import type { KubeObject } from '../../../src/sources/ports.ts';
import { buildDiagnosis, buildTarget, diagnosisFor, GI, MI } from '../../support/diagnosis-builder.ts';

const TARGET = buildTarget();
const HPA: HpaSpec = { minReplicas: 9, maxReplicas: 18, cpuPercent: 70 };
const VPA: VpaSpec = {
  updateMode: 'Off',
  containerPolicies: [{ containerName: 'auth', controlledResources: ['memory'] }],
};

const ACTIONS: Action[] = [
  {
    kind: 'patch_memory_limit',
    title: 'Raise auth',
    command: 'kubectl -n prod patch …',
    memoryPatch: { container: 'auth', limitBytes: GI, requestBytes: 512 * MI },
  },
  {
    kind: 'scale_out',
    title: 'Scale out to 9 replicas, then keep an HPA',
    command: renderScaleOut(TARGET, HPA),
    hpa: HPA,
  },
  { kind: 'create_vpa', title: 'Add a VPA in Off mode', command: renderVpa(TARGET, VPA), vpa: VPA },
];

const META: PlanMeta = {
  id: 'p'.repeat(22),
  incidentId: 'inc-1',
  channel: 'C1',
  messageTs: '1.000100',
  threadTs: '1.000100',
  requester: 'U0REQ',
  now: 1000,
  ttlSeconds: 1800,
};
const SNAPSHOT = { generation: 3, resourceVersion: '41', memory: { limit: '512Mi', request: '256Mi' } };

describe('buildPlan: what the buttons of a diagnosis would do', () => {
  it('plans Apply, Create VPA and Scale out for a traffic surge, with the values shown', () => {
    const plan = buildPlan(buildDiagnosis({ actions: ACTIONS }), SNAPSHOT, META);
    assert.ok(plan);
    assert.deepEqual(plan.memory, { from: SNAPSHOT.memory, to: { limit: '1Gi', request: '512Mi' } });
    assert.deepEqual(plan.hpa, { minReplicas: 9, maxReplicas: 18, cpuPercent: 70 });
    assert.deepEqual(plan.vpa, VPA);
    assert.equal(plan.expiresAt, 2800);
    assert.equal(plan.requester, 'U0REQ');
    for (const a of ['apply', 'preview', 'create_vpa', 'scale_out'] as const) assert.ok(planOffers(plan, a));
  });

  // each row: a cause where a bigger limit is the wrong fix
  for (const cause of ['memory_leak', 'node_pressure'] as Cause[]) {
    it(`never plans Apply for ${cause}, even with a recommendation`, () => {
      const d = { ...diagnosisFor(cause), recommendation: buildDiagnosis().recommendation, actions: ACTIONS };
      const plan = buildPlan(d, SNAPSHOT, META);
      assert.ok(plan, 'the VPA/HPA still get a plan');
      assert.equal(plan.memory, undefined);
      assert.equal(planOffers(plan, 'apply'), false);
      assert.equal(planOffers(plan, 'preview'), false);
    });
  }

  it('plans from the typed fields only: the command text shown to people changes nothing', () => {
    const misleading = ACTIONS.map((a) => ({
      ...a,
      command:
        'kubectl -n prod autoscale deployment/auth-service --min=1 --max=2 --cpu-percent=5\nkind: VerticalPodAutoscaler',
    }));
    const withoutText = ACTIONS.map(({ command: _command, ...a }) => a);
    const expected = buildPlan(buildDiagnosis({ actions: ACTIONS }), SNAPSHOT, META);
    assert.deepEqual(buildPlan(buildDiagnosis({ actions: misleading }), SNAPSHOT, META), expected);
    assert.deepEqual(buildPlan(buildDiagnosis({ actions: withoutText }), SNAPSHOT, META), expected);
    const textOnly = ACTIONS.map(({ memoryPatch: _m, hpa: _h, vpa: _v, ...a }) => a);
    assert.equal(buildPlan(buildDiagnosis({ actions: textOnly }), SNAPSHOT, META), undefined);
  });

  it('plans nothing when no button would do anything', () => {
    assert.equal(buildPlan(diagnosisFor('no_oom'), SNAPSHOT, META), undefined);
  });

  it('plans no Apply for a kind the bot does not patch, or without a snapshot', () => {
    const daemonSet = buildDiagnosis({
      target: { ...buildDiagnosis().target, workload: { kind: 'DaemonSet', name: 'agent' } },
      actions: [],
    });
    assert.equal(buildPlan(daemonSet, SNAPSHOT, META), undefined);
    assert.equal(buildPlan(buildDiagnosis({ actions: [] }), undefined, META), undefined);
  });

  it('snapshots the container memory exactly as the object has it', () => {
    const obj: KubeObject = {
      kind: 'Deployment',
      metadata: { generation: 7, resourceVersion: '99' },
      spec: {
        template: { spec: { containers: [{ name: 'auth', resources: { limits: { memory: '1G' } } }] } },
      },
    };
    assert.deepEqual(snapshotOf(obj, 'auth'), {
      generation: 7,
      resourceVersion: '99',
      memory: { limit: '1G' },
    });
    assert.equal(snapshotOf(obj, 'nope'), undefined);
  });
});

describe('the VPA and HPA as shown', () => {
  const target = { namespace: 'prod', kind: 'Deployment' as const, name: 'auth-service' };

  it('builds the VPA the command shows, for the plan target, and accepts only Off and Initial', () => {
    const vpa = vpaObject(VPA, target, { 'oom-bot/approved-by': 'U1' });
    assert.deepEqual(vpa.spec, {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'auth-service' },
      updatePolicy: { updateMode: 'Off' },
      resourcePolicy: { containerPolicies: [{ containerName: 'auth', controlledResources: ['memory'] }] },
    });
    assert.equal(vpa.metadata?.namespace, 'prod');
    assert.equal(vpa.metadata?.labels?.['app.kubernetes.io/managed-by'], 'oom-bot');
    assert.match(renderVpa(TARGET, VPA), /updatePolicy: \{updateMode: "Off"\}/);
    checkVpa(VPA);
    checkVpa({ ...VPA, updateMode: 'Initial' });
    for (const mode of ['Auto', 'Recreate', 'InPlaceOrRecreate'] as const) {
      assert.throws(() => checkVpa({ ...VPA, updateMode: mode }), /only creates VPAs in Off or Initial mode/);
    }
    assert.throws(() => checkVpa({ ...VPA, containerPolicies: [] }), /names no container/);
  });

  it('builds what kubectl autoscale would from the HPA spec, and refuses impossible bounds', () => {
    const hpa = hpaObject(target, HPA, {});
    assert.deepEqual(hpa.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'auth-service' },
      minReplicas: 9,
      maxReplicas: 18,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    });
    assert.match(
      renderScaleOut(TARGET, HPA),
      /autoscale deployment\/auth-service --min=9 --max=18 --cpu-percent=70/,
    );
    checkHpa(HPA);
    assert.throws(() => checkHpa({ ...HPA, minReplicas: 5, maxReplicas: 3 }), /1 ≤ min ≤ max/);
    assert.throws(() => checkHpa({ ...HPA, minReplicas: 0 }), /1 ≤ min ≤ max/);
    assert.throws(() => checkHpa({ ...HPA, cpuPercent: 0 }), /not a positive percentage/);
  });
});

function deployment(status: Record<string, unknown>, generation = 2, replicas = 3): KubeObject {
  return { kind: 'Deployment', metadata: { generation }, spec: { replicas }, status };
}

describe('rolloutState, as kubectl rollout status', () => {
  // each row: status, done?, the message
  const rows: Array<[string, KubeObject, boolean, RegExp]> = [
    [
      'generation not observed',
      deployment({ observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      false,
      /see generation 2/,
    ],
    [
      'pods still updating',
      deployment({ observedGeneration: 2, updatedReplicas: 1, replicas: 3, availableReplicas: 3 }),
      false,
      /1 of 3 pods updated/,
    ],
    [
      'old pods terminating',
      deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }),
      false,
      /1 old pods/,
    ],
    [
      'not yet available',
      deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
      false,
      /2 of 3 updated pods available/,
    ],
    [
      'rolled out',
      deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      true,
      /3 of 3 pods updated and available/,
    ],
    [
      'a StatefulSet whose revision is current',
      {
        kind: 'StatefulSet',
        metadata: { generation: 2 },
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          currentRevision: 'r2',
          updateRevision: 'r2',
        },
      },
      true,
      /2 of 2 pods updated and ready/,
    ],
    [
      'a StatefulSet still on the old revision',
      {
        kind: 'StatefulSet',
        metadata: { generation: 2 },
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          currentRevision: 'r1',
          updateRevision: 'r2',
        },
      },
      false,
      /revision r2/,
    ],
  ];
  for (const [what, obj, done, message] of rows) {
    it(`${what}: ${done ? 'done' : 'waiting'}`, () => {
      const state = rolloutState(obj);
      assert.equal(state.done, done);
      assert.match(state.message, message);
    });
  }

  it('reports a progress deadline as failed at once', () => {
    const state = rolloutState(
      deployment({
        observedGeneration: 2,
        conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded', message: 'too slow' }],
      }),
    );
    assert.equal(state.failed, true);
  });
});

describe('drift and kills', () => {
  const obj: KubeObject = {
    kind: 'Deployment',
    metadata: { generation: 3 },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'auth', resources: { limits: { memory: '1024Mi' }, requests: { memory: '256Mi' } } },
          ],
        },
      },
    },
  };

  it('sees no drift when the values are the same quantity written differently', () => {
    assert.deepEqual(
      driftReasons(obj, 'auth', { generation: 3, memory: { limit: '1Gi', request: '256Mi' } }),
      [],
    );
  });

  it('names a changed generation, changed memory and a vanished container', () => {
    const reasons = driftReasons(obj, 'auth', {
      generation: 2,
      memory: { limit: '512Mi', request: '256Mi' },
    });
    assert.equal(reasons.length, 2);
    assert.match(reasons[0] as string, /generation moved from 2 to 3/);
    assert.match(reasons[1] as string, /now has limit 1024Mi, request 256Mi, not limit 512Mi, request 256Mi/);
    assert.match(driftReasons(obj, 'gone', { memory: {} })[0] as string, /no container named gone/);
  });

  it('counts OOM kills of the container after the change only', () => {
    const pod = (name: string, container: string, reason: string, finishedAt: string): KubeObject => ({
      metadata: { name },
      status: { containerStatuses: [{ name: container, lastState: { terminated: { reason, finishedAt } } }] },
    });
    const since = Date.parse('2026-11-24T10:00:00Z') / 1000;
    const kills = oomKillsSince(
      [
        pod('a', 'auth', 'OOMKilled', '2026-11-24T10:05:00Z'),
        pod('b', 'auth', 'OOMKilled', '2026-11-24T09:55:00Z'),
        pod('c', 'istio-proxy', 'OOMKilled', '2026-11-24T10:06:00Z'),
        pod('d', 'auth', 'Error', '2026-11-24T10:07:00Z'),
      ],
      'auth',
      since,
    );
    assert.deepEqual(kills, [{ pod: 'a', at: since + 300 }]);
  });
});

describe('Set VPA bounds: the plan and what the policy caps', () => {
  const vpaAction: Action = {
    kind: 'vpa_policy',
    title: 'Raise the VPA floor',
    vpaPolicy: { vpaName: 'auth-vpa', container: 'auth', minAllowedBytes: GI },
  };
  const seen = { ...SNAPSHOT, vpa: { name: 'auth-vpa', generation: 4, bounds: { maxAllowed: '4Gi' } } };

  it('plans the bounds from those the VPA had at planning, keeping an untouched maxAllowed', () => {
    const plan = buildPlan(buildDiagnosis({ cause: 'limit_too_low', actions: [vpaAction] }), seen, META);
    assert.ok(plan && planOffers(plan, 'vpa_policy'));
    assert.deepEqual(plan.vpaPolicy, {
      vpa: 'auth-vpa',
      container: 'auth',
      from: { maxAllowed: '4Gi' },
      to: { minAllowed: '1Gi', maxAllowed: '4Gi' },
    });
    assert.equal(vpaBoundLimit(plan), '1Gi', 'a maxAllowed the change leaves alone is not capped');
    const raised = { ...vpaAction, vpaPolicy: { ...vpaAction.vpaPolicy!, maxAllowedBytes: 2 * GI } };
    const withMax = buildPlan(buildDiagnosis({ cause: 'limit_too_low', actions: [raised] }), SNAPSHOT, META);
    assert.equal(withMax, undefined, 'no plan when the VPA could not be read at planning');
  });

  it('never plans it where a bigger request is the wrong fix', () => {
    for (const cause of ['memory_leak', 'node_pressure'] as Cause[])
      assert.equal(buildPlan(buildDiagnosis({ cause, actions: [vpaAction] }), seen, META), undefined, cause);
  });

  it("sets only the container's memory bounds in the list, copying the * entry for a new entry", () => {
    const policies = [
      { containerName: '*', controlledValues: 'RequestsOnly', minAllowed: { cpu: '100m' } },
      { containerName: 'proxy', mode: 'Off' },
    ];
    const next = withBounds(policies, 'auth', { minAllowed: '1Gi' });
    assert.deepEqual(next, [
      ...policies,
      { containerName: 'auth', controlledValues: 'RequestsOnly', minAllowed: { cpu: '100m', memory: '1Gi' } },
    ]);
    assert.deepEqual(policies[0], {
      containerName: '*',
      controlledValues: 'RequestsOnly',
      minAllowed: { cpu: '100m' },
    });
    const again = withBounds(next, 'auth', { maxAllowed: '2Gi' });
    assert.deepEqual(again[2], {
      containerName: 'auth',
      controlledValues: 'RequestsOnly',
      minAllowed: { cpu: '100m' },
      maxAllowed: { memory: '2Gi' },
    });
    const only = boundsOnly(2, false);
    assert.ok(only('spec.resourcePolicy.containerPolicies[2].minAllowed.memory'));
    assert.ok(!only('spec.resourcePolicy.containerPolicies[2].minAllowed.cpu'));
    assert.ok(!only('spec.resourcePolicy.containerPolicies[1].minAllowed.memory'));
    assert.ok(!only('spec.updatePolicy.updateMode'));
  });
});
