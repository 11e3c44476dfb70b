// Changes that an autoscaler would otherwise undo, against a real kube-apiserver with the VPA CRD
// and Redis, through the planner, the signed plan, the worker's checks and the remediation job:
// Set VPA bounds patches exactly the container's entry in the VPA's resourcePolicy, audited and
// verified, and its Rollback restores the list; a spec edit since the plan and a concurrent edit
// between the bot's read and its write are refused; a non-approver is refused, one approval is not
// enough under the two-person rule, dry-run mode writes nothing; Create VPA never adds a second VPA; Apply moves an HPA's memory target with the request and Rollback moves it back.
import assert from 'node:assert/strict';
import { AppsV1Api, AutoscalingV2Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { Action } from '../../src/domain/action-types.ts';
import type { Diagnosis } from '../../src/domain/types.ts';
import type { RemediateJobData } from '../../src/queues/payloads.ts';
import type { RemediationCluster } from '../../src/remediation/cluster.ts';
import { planOffers } from '../../src/remediation/plan.ts';
import type { PlanStore } from '../../src/remediation/plan-store.ts';
import { createPlanner } from '../../src/remediation/planner.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateResult } from '../../src/remediation/remediate-steps.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { buildDiagnosis, buildTarget, GI } from '../support/diagnosis-builder.ts';
import {
  createDeployment,
  freshNamespace,
  installVpaCrd,
  MERGE,
  simulateRollout,
  testPolicy,
} from '../support/remediation-fixtures.ts';
import { remediationHarness, useRemediationStack } from '../support/remediation-harness.ts';

const ALICE = 'U0ALICE001';
const MALLORY = 'U0MALLORY1';
const NAME = 'auth-service';
const VPA = { group: 'autoscaling.k8s.io', version: 'v1', plural: 'verticalpodautoscalers' } as const;

// biome-ignore lint/suspicious/noExplicitAny: VPA objects are open-ended JSON
type Json = any;

describe('changes an autoscaler would undo, on a real kube-apiserver with the VPA CRD', function () {
  this.timeout(120_000);
  const stack = useRemediationStack('oom-autoscalers');
  let admin: KubeConfig;
  let plans: PlanStore;

  before(async () => {
    ({ admin, plans } = stack);
    await installVpaCrd(admin);
  });

  const custom = () => admin.makeApiClient(CustomObjectsApi);
  const readVpa = (ns: string, name = NAME): Promise<Json> =>
    custom().getNamespacedCustomObject({ ...VPA, namespace: ns, name });

  /** A VPA in Auto mode over the Deployment: a `*` entry and one for the sidecar, none for `auth` unless given. */
  async function createVpa(ns: string, auth?: Json): Promise<Json> {
    const policies: Json[] = [
      { containerName: '*', controlledValues: 'RequestsAndLimits', minAllowed: { cpu: '100m' } },
      { containerName: 'istio-proxy', mode: 'Off' },
      ...(auth ? [{ containerName: 'auth', ...auth }] : []),
    ];
    return custom().createNamespacedCustomObject({
      ...VPA,
      namespace: ns,
      body: {
        apiVersion: 'autoscaling.k8s.io/v1',
        kind: 'VerticalPodAutoscaler',
        metadata: { name: NAME },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
          updatePolicy: { updateMode: 'Auto' },
          resourcePolicy: { containerPolicies: policies },
        },
      },
    });
  }

  function diagnosisOf(ns: string, extra: Action[] = [], patch = true): Diagnosis {
    return buildDiagnosis({
      target: buildTarget({ namespace: ns, workload: { kind: 'Deployment', name: NAME } }),
      container: 'auth',
      cause: 'limit_too_low',
      actions: [
        ...(patch
          ? [
              {
                kind: 'patch_memory_limit' as const,
                title: 'Raise auth',
                memoryPatch: { container: 'auth', limitBytes: 2 * GI, requestBytes: GI },
              },
            ]
          : []),
        ...extra,
      ],
    });
  }

  const vpaAction: Action = {
    kind: 'vpa_policy',
    title: 'Raise the VPA floor',
    vpaPolicy: { vpaName: NAME, container: 'auth', minAllowedBytes: GI, maxAllowedBytes: 2 * GI },
  };

  /** The plan the diagnose worker stores: the planner reads the workload and the VPA. */
  async function plan(d: Diagnosis): Promise<RemediationPlan> {
    const planner = createPlanner({ plans, ttlSeconds: 1800 });
    const id = await planner(d, {
      incidentId: `inc-${d.target.namespace}`,
      channel: 'C0AUTOSCAL',
      messageTs: '1800000000.000001',
      threadTs: '1800000000.000001',
      lister: createKubernetesLister(admin),
    });
    assert.ok(id, 'a plan is stored');
    const loaded = await plans.loadPlan(id);
    assert.equal(loaded.status, 'ok');
    return (loaded as { record: RemediationPlan }).record;
  }

  async function run(
    deps: Parameters<typeof processRemediate>[1],
    recordId: string,
    action: RemediationAction,
    user = ALICE,
  ): Promise<RemediateResult> {
    const kind = action === 'rollback' ? 'change' : 'plan';
    assert.equal((await plans.consume(kind, recordId, action, user, Date.now() / 1000)).status, 'ok');
    const data: RemediateJobData = { kind: 'execute', action, recordId, user, clickedAt: Date.now() / 1000 };
    return processRemediate({ id: `job-${action}`, data }, deps);
  }

  const harness = (cluster?: RemediationCluster) =>
    remediationHarness(stack, { policy: testPolicy([ALICE]), ...(cluster ? { cluster } : {}) });

  it("approved: sets exactly the container's bounds in the VPA, audited and verified; Rollback restores the list", async () => {
    const ns = await freshNamespace(admin, 'vpa');
    await createDeployment(admin, ns);
    await createVpa(ns, { minAllowed: { memory: '256Mi', cpu: '50m' }, maxAllowed: { memory: '1Gi' } });
    const before = await readVpa(ns);
    const deployment = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: NAME, namespace: ns });
    const p = await plan(diagnosisOf(ns, [vpaAction], false));
    assert.ok(planOffers(p, 'vpa_policy'));
    assert.deepEqual(p.vpaPolicy?.from, { minAllowed: '256Mi', maxAllowed: '1Gi' });
    assert.deepEqual(p.vpaPolicy?.to, { minAllowed: '1Gi', maxAllowed: '2Gi' });
    const h = harness();

    assert.equal(await run(h.deps, p.id, 'vpa_policy'), 'applied');

    const after = await readVpa(ns);
    const policies = after.spec.resourcePolicy.containerPolicies;
    assert.deepEqual(policies, [
      before.spec.resourcePolicy.containerPolicies[0],
      before.spec.resourcePolicy.containerPolicies[1],
      { containerName: 'auth', minAllowed: { memory: '1Gi', cpu: '50m' }, maxAllowed: { memory: '2Gi' } },
    ]);
    assert.deepEqual(after.spec.updatePolicy, before.spec.updatePolicy, 'the mode is untouched');
    const notes = after.metadata.annotations;
    assert.equal(notes['oom-bot/approved-by'], ALICE);
    assert.equal(notes['oom-bot/action'], 'vpa_policy');
    assert.equal(notes['oom-bot/container'], 'auth');
    assert.equal(notes['oom-bot/incident'], `inc-${ns}`);
    assert.match(notes['oom-bot/previous-bounds'], /minAllowed.memory=256Mi maxAllowed.memory=1Gi/);
    const unchanged = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.equal(
      unchanged.metadata?.generation,
      deployment.metadata?.generation,
      'the Deployment is untouched',
    );
    const thread = h.poster.texts().join('\n');
    assert.match(thread, /approved \*Set VPA bounds\*/);
    assert.match(thread, /VPA bounds set/);
    assert.match(thread, /containerPolicies\[2\]\.minAllowed\.memory/, 'the diff is shown');
    assert.equal(h.verifies[0]?.data.action, 'vpa_policy', 'the verification is scheduled');
    const changeId = notes['oom-bot/change-id'];

    const back = harness();
    assert.equal(await run(back.deps, changeId, 'rollback'), 'rolled_back');
    const restored = await readVpa(ns);
    assert.deepEqual(
      restored.spec.resourcePolicy.containerPolicies,
      before.spec.resourcePolicy.containerPolicies,
    );
    assert.equal(restored.metadata.annotations['oom-bot/action'], 'rollback');
  });

  it('adds an entry for a container the `*` entry governed, copied from it; Rollback removes it again', async () => {
    const ns = await freshNamespace(admin, 'vpa');
    await createDeployment(admin, ns);
    await createVpa(ns);
    const before = await readVpa(ns);
    const p = await plan(
      diagnosisOf(
        ns,
        [{ ...vpaAction, vpaPolicy: { vpaName: NAME, container: 'auth', minAllowedBytes: GI } }],
        false,
      ),
    );
    assert.deepEqual(p.vpaPolicy?.from, {});

    assert.equal(await run(harness().deps, p.id, 'vpa_policy'), 'applied');
    const after = await readVpa(ns);
    assert.deepEqual(after.spec.resourcePolicy.containerPolicies.at(-1), {
      containerName: 'auth',
      controlledValues: 'RequestsAndLimits',
      minAllowed: { cpu: '100m', memory: '1Gi' },
    });
    assert.equal(after.spec.resourcePolicy.containerPolicies.length, 3);

    assert.equal(
      await run(harness().deps, after.metadata.annotations['oom-bot/change-id'], 'rollback'),
      'rolled_back',
    );
    assert.deepEqual(
      (await readVpa(ns)).spec.resourcePolicy.containerPolicies,
      before.spec.resourcePolicy.containerPolicies,
    );
  });

  it("refuses a VPA edited since the plan, and a concurrent edit between the bot's read and its patch (stale resourceVersion)", async () => {
    const ns = await freshNamespace(admin, 'vpa');
    await createDeployment(admin, ns);
    await createVpa(ns, { minAllowed: { memory: '256Mi' } });
    const edited = await plan(diagnosisOf(ns, [vpaAction], false));
    // a person lowers the floor after the diagnosis: the plan no longer fits
    await custom().patchNamespacedCustomObject(
      {
        ...VPA,
        namespace: ns,
        name: NAME,
        body: { spec: { updatePolicy: { updateMode: 'Initial' } } },
      },
      MERGE,
    );
    const h = harness();
    assert.equal(await run(h.deps, edited.id, 'vpa_policy'), 'refused');
    assert.match(h.poster.texts().join('\n'), /its generation moved from 1 to 2/);
    assert.equal((await readVpa(ns)).spec.resourcePolicy.containerPolicies[2].minAllowed.memory, '256Mi');

    // a fresh plan, and someone writes the VPA between the bot's read and its patch
    const fresh = await plan(diagnosisOf(ns, [vpaAction], false));
    const racing: RemediationCluster = {
      ...stack.cluster,
      async readVpa(namespace, name) {
        const read = await stack.cluster.readVpa?.(namespace, name);
        await custom().patchNamespacedCustomObject(
          { ...VPA, namespace, name, body: { metadata: { labels: { team: 'payments' } } } },
          MERGE,
        );
        return read as Json;
      },
    };
    const raced = harness(racing);
    assert.equal(await run(raced.deps, fresh.id, 'vpa_policy'), 'failed');
    assert.match(
      raced.poster.texts().join('\n'),
      /changed by someone else between the bot's read and its patch/,
    );
    const now = await readVpa(ns);
    assert.equal(
      now.spec.resourcePolicy.containerPolicies[2].minAllowed.memory,
      '256Mi',
      'nothing overwritten',
    );
    assert.equal(now.metadata.annotations?.['oom-bot/change-id'], undefined);
  });

  it('refuses a non-approver at execution, and Create VPA beside an existing VPA', async () => {
    const ns = await freshNamespace(admin, 'vpa');
    await createDeployment(admin, ns);
    await createVpa(ns, { minAllowed: { memory: '256Mi' } });
    const p = await plan(diagnosisOf(ns, [vpaAction], false));
    const h = harness();
    assert.equal(await run(h.deps, p.id, 'vpa_policy', MALLORY), 'refused');
    assert.match(h.poster.texts().join('\n'), /<@U0MALLORY1> is not an approver/);
    assert.equal((await readVpa(ns)).spec.resourcePolicy.containerPolicies[2].minAllowed.memory, '256Mi');

    // a Create VPA plan (as an old message could carry) is refused: one VPA already controls it
    const create = await plan(
      diagnosisOf(ns, [
        {
          kind: 'create_vpa',
          title: 'Add a VPA',
          vpa: {
            updateMode: 'Off',
            containerPolicies: [{ containerName: 'auth', controlledResources: ['memory'] }],
          },
        },
      ]),
    );
    const second = harness();
    assert.equal(await run(second.deps, create.id, 'create_vpa'), 'failed');
    assert.match(
      second.poster.texts().join('\n'),
      /already controls deployment\/auth-service; the bot never adds a second VPA/,
    );
    const list = (await custom().listNamespacedCustomObject({ ...VPA, namespace: ns })) as {
      items: unknown[];
    };
    assert.equal(list.items.length, 1);
  });

  it('holds Set VPA bounds to the two-person rule, and to dry-run mode', async () => {
    const ns = await freshNamespace(admin, 'vpa');
    await createDeployment(admin, ns);
    await createVpa(ns, { minAllowed: { memory: '256Mi' } });
    const floor = async () => (await readVpa(ns)).spec.resourcePolicy.containerPolicies[2].minAllowed.memory;

    const dry = await plan(diagnosisOf(ns, [vpaAction], false));
    const dryRun = remediationHarness(stack, {
      policy: testPolicy([ALICE]),
      overrides: { dryRunOnly: true },
    });
    assert.equal(await run(dryRun.deps, dry.id, 'vpa_policy'), 'dry_run');
    assert.match(dryRun.poster.texts().join('\n'), /Dry-run mode/);
    assert.equal(await floor(), '256Mi', 'nothing written in dry-run mode');

    const p = await plan(diagnosisOf(ns, [vpaAction], false));
    const policy = testPolicy([ALICE, MALLORY], { namespaces: [{ match: 'vpa-*', twoPersonRule: true }] });
    const deps = remediationHarness(stack, { policy }).deps;
    assert.equal(
      (await plans.consume('plan', p.id, 'vpa_policy', ALICE, Date.now() / 1000, 2)).status,
      'first',
    );
    const alone: RemediateJobData = {
      kind: 'execute',
      action: 'vpa_policy',
      recordId: p.id,
      user: ALICE,
      clickedAt: Date.now() / 1000,
    };
    assert.equal(await processRemediate({ id: 'job-alone', data: alone }, deps), 'refused');
    assert.equal(await floor(), '256Mi', 'one approval is not enough');
    assert.equal(
      (await plans.consume('plan', p.id, 'vpa_policy', MALLORY, Date.now() / 1000, 2)).status,
      'ok',
    );
    const second = { ...alone, user: MALLORY };
    assert.equal(await processRemediate({ id: 'job-second', data: second }, deps), 'applied');
    assert.equal(await floor(), '1Gi');
  });

  it("Apply moves an HPA's memory target with the request, and its Rollback moves it back", async () => {
    const ns = await freshNamespace(admin, 'hpa');
    const created = await createDeployment(admin, ns);
    const hpas = admin.makeApiClient(AutoscalingV2Api);
    await hpas.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: NAME },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
          minReplicas: 2,
          maxReplicas: 6,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
            },
            {
              type: 'Resource',
              resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
    });
    const d = diagnosisOf(ns);
    const patch = d.actions[0] as Action;
    patch.hpaMemoryTarget = { hpaName: NAME, metricIndex: 1, fromPercent: 80, toPercent: 20 };
    const p = await plan(d);
    assert.deepEqual(p.hpaMemoryTarget, patch.hpaMemoryTarget);
    const h = harness();
    const rolled = simulateRollout(admin, ns, NAME, created.metadata?.generation ?? 1);

    assert.equal(await run(h.deps, p.id, 'apply'), 'applied');
    await rolled;
    const target = async () =>
      (await hpas.readNamespacedHorizontalPodAutoscaler({ name: NAME, namespace: ns })).spec?.metrics?.map(
        (m) => m.resource?.target.averageUtilization,
      );
    assert.deepEqual(await target(), [70, 20], 'only the memory target moved');
    assert.match(h.poster.texts().join('\n'), /memory target 80% → 20%/);

    const changeId = (
      await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns })
    ).metadata?.annotations?.['oom-bot/change-id'] as string;
    const back = harness();
    const generation =
      (await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns })).metadata
        ?.generation ?? 1;
    const rolledBack = simulateRollout(admin, ns, NAME, generation);
    assert.equal(await run(back.deps, changeId, 'rollback'), 'rolled_back');
    await rolledBack;
    assert.deepEqual(await target(), [70, 80]);
  });
});
