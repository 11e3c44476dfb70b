// Memory patches beyond Deployments, against a real kube-apiserver and Redis, through the signed
// plan, the worker's policy and namespace checks and the remediation job: a CronJob's plan
// changes exactly that container's memory in its jobTemplate (dry run first, a resourceVersion
// precondition, the audit annotations); an init container's plan changes initContainers only;
// a bare Pod gets no memory plan and no Apply button.
import assert from 'node:assert/strict';
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type V1PodSpec } from '@kubernetes/client-node';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { Diagnosis, Target } from '../../src/domain/types.ts';
import { OomBotError } from '../../src/errors.ts';
import type { RemediationCluster } from '../../src/remediation/cluster.ts';
import { memoryPatchFor } from '../../src/remediation/patch.ts';
import { buildPlan, planOffers, snapshotOf } from '../../src/remediation/plan.ts';
import { newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import { createPlanner } from '../../src/remediation/planner.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateDeps } from '../../src/remediation/remediate-steps.ts';
import { renderRoot } from '../../src/render/blocks/diagnosis.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { buildDiagnosis, buildTarget, GI } from '../support/diagnosis-builder.ts';
import { freshNamespace, testPolicy } from '../support/remediation-fixtures.ts';
import { remediationHarness, useRemediationStack } from '../support/remediation-harness.ts';

const ALICE = 'U0ALICE001';

const POD_SPEC: V1PodSpec = {
  restartPolicy: 'Never',
  initContainers: [
    { name: 'migrate', image: 'migrate:1', resources: { limits: { memory: '128Mi' } } },
    {
      name: 'log-shipper',
      image: 'shipper:1',
      restartPolicy: 'Always',
      resources: { limits: { memory: '64Mi' } },
    },
  ],
  containers: [
    {
      name: 'report',
      image: 'report:1',
      resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } },
    },
  ],
};

describe('memory patches of CronJobs, init containers and bare Pods on a real kube-apiserver', function () {
  this.timeout(120_000);
  const stack = useRemediationStack('oom-kinds');
  let admin: KubeConfig;
  let cluster: RemediationCluster;
  let plans: PlanStore;

  before(() => {
    ({ admin, cluster, plans } = stack);
  });

  function harness(overrides: Partial<RemediateDeps> = {}) {
    return remediationHarness(stack, { policy: testPolicy([ALICE]), overrides });
  }

  function diagnosisOf(target: Target, container: string): Diagnosis {
    return buildDiagnosis({
      target,
      container,
      actions: [
        {
          kind: 'patch_memory_limit',
          title: `Raise ${container}`,
          memoryPatch: { container, limitBytes: GI, requestBytes: GI / 2 },
        },
      ],
    });
  }

  /** The signed plan the diagnose worker would store, approved by Alice. */
  async function approvedPlan(target: Target, container: string): Promise<RemediationPlan> {
    const holder = target.podTemplate;
    assert.ok(holder);
    const live = await cluster.readWorkload({
      namespace: target.namespace,
      kind: holder.kind,
      name: holder.name,
    });
    const now = Math.floor(Date.now() / 1000);
    const plan = buildPlan(diagnosisOf(target, container), snapshotOf(live, container), {
      id: newRecordId(),
      incidentId: `inc-${newRecordId()}`,
      channel: 'C0KINDS001',
      messageTs: '1800000000.000001',
      threadTs: '1800000000.000001',
      now,
      ttlSeconds: 1800,
    });
    assert.ok(plan?.memory, 'a memory plan');
    await plans.savePlan(plan);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    return plan;
  }

  const applyJob = (plan: RemediationPlan) => ({
    id: `job-${plan.id}`,
    data: {
      kind: 'execute' as const,
      action: 'apply' as RemediationAction,
      recordId: plan.id,
      user: ALICE,
      clickedAt: Date.now() / 1000,
    },
  });

  async function createCronJob(ns: string) {
    return admin.makeApiClient(BatchV1Api).createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: POD_SPEC } } } },
      },
    });
  }
  const readCronJob = (ns: string) =>
    admin.makeApiClient(BatchV1Api).readNamespacedCronJob({ name: 'nightly', namespace: ns });
  const cronTarget = (ns: string) =>
    buildTarget({ namespace: ns, workload: { kind: 'CronJob', name: 'nightly' }, selector: {} });

  it("applies a CronJob's plan to that container in spec.jobTemplate: dry run first, audited, nothing else moved", async () => {
    const ns = await freshNamespace(admin, 'kinds');
    await createCronJob(ns);
    const target = cronTarget(ns);
    assert.deepEqual(target.podTemplate, {
      kind: 'CronJob',
      name: 'nightly',
      path: 'spec.jobTemplate.spec.template',
    });
    const before = await readCronJob(ns);

    // the dry-run-only worker persists nothing and says so
    const dry = harness({ dryRunOnly: true });
    assert.equal(await processRemediate(applyJob(await approvedPlan(target, 'report')), dry.deps), 'dry_run');
    assert.equal((await readCronJob(ns)).metadata?.resourceVersion, before.metadata?.resourceVersion);
    assert.match(dry.poster.texts().join('\n'), /jobTemplate\.spec\.template\.spec\.containers\[report\]/);

    const h = harness();
    const plan = await approvedPlan(target, 'report');
    assert.deepEqual(plan.target, { namespace: ns, kind: 'CronJob', name: 'nightly' });
    assert.equal(await processRemediate(applyJob(plan), h.deps), 'applied');

    const after = await readCronJob(ns);
    const pod = after.spec?.jobTemplate.spec?.template.spec;
    const report = pod?.containers[0]?.resources;
    assert.deepEqual([report?.limits?.memory, report?.requests?.memory], ['1Gi', '512Mi']);
    assert.deepEqual(pod?.initContainers, before.spec?.jobTemplate.spec?.template.spec?.initContainers);
    assert.equal(after.spec?.schedule, '0 3 * * *');
    assert.equal(after.metadata?.annotations?.['oom-bot/approved-by'], ALICE);
    assert.equal(after.metadata?.annotations?.['oom-bot/container'], 'report');
    assert.equal(after.metadata?.annotations?.['oom-bot/previous-memory'], 'limit=512Mi request=256Mi');
    assert.match(h.poster.texts().join('\n'), /next Job the CronJob starts uses the new memory/);
    assert.equal(h.verifies.length, 1, 'the verification is scheduled');
  });

  it('refuses a CronJob patch made against a stale read (resourceVersion precondition): the other edit stays', async () => {
    const ns = await freshNamespace(admin, 'kinds');
    await createCronJob(ns);
    const ref = { namespace: ns, kind: 'CronJob' as const, name: 'nightly' };
    const stale = await cluster.readWorkload(ref);
    await admin.makeApiClient(BatchV1Api).patchNamespacedCronJob({
      name: 'nightly',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/schedule', value: '0 4 * * *' }],
    });
    const { patch } = memoryPatchFor(
      stale,
      'report',
      { limit: '2Gi' },
      {
        resourceVersion: stale.metadata?.resourceVersion,
      },
    );
    await assert.rejects(cluster.patchWorkload(ref, patch, { dryRun: false }), (e: unknown) => {
      assert.ok(e instanceof OomBotError);
      assert.equal(e.code, 'conflict');
      return true;
    });
    const now = await readCronJob(ns);
    assert.equal(now.spec?.schedule, '0 4 * * *');
    assert.equal(
      now.spec?.jobTemplate.spec?.template.spec?.containers[0]?.resources?.limits?.memory,
      '512Mi',
    );
  });

  it('patches an init container under initContainers only; the app containers and the sidecar stay as they were', async () => {
    const ns = await freshNamespace(admin, 'kinds');
    const apps = admin.makeApiClient(AppsV1Api);
    const { restartPolicy: _never, ...spec } = POD_SPEC;
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'reports' },
        spec: {
          selector: { matchLabels: { app: 'reports' } },
          template: { metadata: { labels: { app: 'reports' } }, spec },
        },
      },
    });
    const before = await apps.readNamespacedDeployment({ name: 'reports', namespace: ns });
    const target = buildTarget({ namespace: ns, workload: { kind: 'Deployment', name: 'reports' } });
    const h = harness();

    assert.equal(await processRemediate(applyJob(await approvedPlan(target, 'migrate')), h.deps), 'applied');

    const after = await apps.readNamespacedDeployment({ name: 'reports', namespace: ns });
    const pod = after.spec?.template.spec;
    assert.deepEqual(pod?.containers, before.spec?.template.spec?.containers, 'containers unchanged');
    assert.deepEqual(
      pod?.initContainers?.map((c) => [c.name, c.image, c.restartPolicy, c.resources?.limits?.memory]),
      [
        ['migrate', 'migrate:1', undefined, '1Gi'],
        ['log-shipper', 'shipper:1', 'Always', '64Mi'],
      ],
    );
    assert.equal(after.metadata?.annotations?.['oom-bot/container'], 'migrate');
  });

  it('gives a bare Pod no memory plan and no Apply button, only the advice', async () => {
    const ns = await freshNamespace(admin, 'kinds');
    const { restartPolicy: _never, ...spec } = POD_SPEC;
    await admin.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'memory-demo' }, spec },
    });
    const target = buildTarget({
      namespace: ns,
      workload: { kind: 'Pod', name: 'memory-demo' },
      selector: {},
    });
    assert.equal(target.podTemplate, undefined);
    const diagnosis = diagnosisOf(target, 'report');
    const planner = createPlanner({ plans, ttlSeconds: 1800 });
    const planId = await planner(diagnosis, {
      incidentId: 'inc-pod',
      channel: 'C0KINDS001',
      messageTs: '1800000000.000002',
      threadTs: '1800000000.000002',
      lister: createKubernetesLister(admin),
    });
    assert.equal(planId, undefined, 'no plan: nothing a button could do');

    // with a VPA on offer the plan exists, but it still offers no Apply and the message shows none
    const withVpa = buildDiagnosis({
      ...diagnosis,
      actions: [
        ...diagnosis.actions,
        { kind: 'create_vpa', title: 'VPA', vpa: { updateMode: 'Off', containerPolicies: [] } },
      ],
    });
    const plan = buildPlan(withVpa, undefined, {
      id: newRecordId(),
      incidentId: 'inc-pod',
      channel: 'C0KINDS001',
      messageTs: '1',
      threadTs: '1',
      now: 0,
      ttlSeconds: 60,
    });
    assert.ok(plan);
    assert.equal(planOffers(plan, 'apply'), false);
    const root = JSON.stringify(renderRoot(withVpa, { incidentId: 'inc-pod', planId: plan.id }));
    assert.doesNotMatch(root, /"Apply"/);
    assert.match(root, /Create VPA/);
  });
});
