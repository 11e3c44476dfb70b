// Approved remediation against a real kube-apiserver (fresh namespace per test), through the
// remediation job as the worker runs it: the patch changes exactly the target container, the dry
// run persists nothing, a concurrent edit and drift are refused, rollback restores, RBAC refusals
// read clearly, GitOps workloads are left alone, the VPA and HPA are created as shown, the rollout
// is watched and the kills are verified.
import assert from 'node:assert/strict';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1Container,
} from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { VpaSpec, VpaUpdateMode } from '../../src/domain/action-types.ts';
import { OomBotError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import type { DiagnoseJobData, RemediateJobData } from '../../src/queues/payloads.ts';
import { createRemediationCluster, type RemediationCluster } from '../../src/remediation/cluster.ts';
import { diffObjects, memoryPatch, unexpectedChanges } from '../../src/remediation/patch.ts';
import { buildPlan, snapshotOf } from '../../src/remediation/plan.ts';
import { createPlanStore, newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateDeps, RemediateResult } from '../../src/remediation/remediate-steps.ts';
import { type KubeStack, kubeConfigWithToken, requestServiceAccountToken, startKube } from '../stack/kube.ts';
import {
  buildDiagnosis,
  buildRecommendation,
  buildTarget,
  GI,
  MI,
  patchActionFor,
} from '../support/diagnosis-builder.ts';
import {
  applyFile,
  createDeployment,
  createOomKilledPod,
  DEFAULT_GUARD,
  freshNamespace,
  installVpaCrd,
  RBAC_FILE,
  recordingPoster,
  STRATEGIC,
  simulateRollout,
  testPolicy,
  testSigner,
} from '../support/remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const APPROVER = 'U0APPROVER1';
const NAME = 'auth-service';

function container(obj: { spec?: { template?: { spec?: { containers?: V1Container[] } } } }, name: string) {
  return obj.spec?.template?.spec?.containers?.find((c) => c.name === name);
}

describe('approved remediation against a real kube-apiserver', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let admin: KubeConfig;
  let adminCluster: RemediationCluster;
  let redis: Redis;
  let plans: PlanStore;
  const prefix = `oom-rem-test-${process.pid}-${Date.now()}`;
  const logger = createLogger({ level: 'silent', secrets: [] });

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    kube = await startKube();
    admin = kube.kubeConfig;
    adminCluster = createRemediationCluster(admin, 'test');
    await installVpaCrd(admin);
    await applyFile(admin, RBAC_FILE);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    plans = createPlanStore(redis, prefix, testSigner());
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  interface Harness {
    deps: RemediateDeps;
    poster: ReturnType<typeof recordingPoster>;
    verifies: Array<{ data: RemediateJobData; delayMs: number }>;
    diagnoses: DiagnoseJobData[];
  }

  function harness(overrides: Partial<RemediateDeps> = {}, cluster = adminCluster): Harness {
    const poster = recordingPoster();
    const verifies: Harness['verifies'] = [];
    const diagnoses: DiagnoseJobData[] = [];
    return {
      poster,
      verifies,
      diagnoses,
      deps: {
        plans,
        policy: testPolicy([APPROVER, 'U0SECOND']),
        guard: DEFAULT_GUARD,
        clusterFor: () => cluster,
        slack: poster,
        logger,
        now: () => Date.now() / 1000,
        dryRunOnly: false,
        rolloutTimeoutMs: 20_000,
        rolloutPollMs: 50,
        verifySeconds: 900,
        buttonTtlSeconds: 1800,
        scheduleVerify: async (data, delayMs) => {
          verifies.push({ data, delayMs });
        },
        enqueueDiagnosis: async (data) => {
          diagnoses.push(data);
          return 'diag-1';
        },
        ...overrides,
      },
    };
  }

  /** The plan the diagnosis of `ns/auth-service` stores: 512Mi → 2Gi / 1Gi, a VPA, an HPA. */
  async function planFor(ns: string, vpaMode: VpaUpdateMode = 'Off'): Promise<RemediationPlan> {
    const target = { namespace: ns, kind: 'Deployment' as const, name: NAME };
    const live = await adminCluster.readWorkload(target);
    const diagnosis = buildDiagnosis({
      target: buildTarget({ namespace: ns, workload: { kind: 'Deployment', name: NAME } }),
      recommendation: buildRecommendation({
        memoryLimitBytes: 2 * GI,
        memoryRequestBytes: GI,
        memoryLimit: '2Gi',
        memoryRequest: '1Gi',
      }),
      actions: [
        {
          kind: 'patch_memory_limit',
          title: 'Raise auth',
          memoryPatch: { container: 'auth', limitBytes: 2 * GI, requestBytes: GI },
        },
        { kind: 'scale_out', title: 'Scale out', hpa: { minReplicas: 6, maxReplicas: 12, cpuPercent: 70 } },
        {
          kind: 'create_vpa',
          title: 'VPA',
          vpa: {
            updateMode: vpaMode,
            containerPolicies: [{ containerName: 'auth', controlledResources: ['memory'] }],
          },
        },
      ],
    });
    const now = Math.floor(Date.now() / 1000);
    const plan = buildPlan(diagnosis, snapshotOf(live, 'auth'), {
      id: newRecordId(),
      incidentId: `inc-${ns}`,
      channel: 'C0FAKECHAN1',
      messageTs: '1800000000.000001',
      threadTs: '1800000000.000001',
      requester: 'U0REQUESTER',
      now,
      ttlSeconds: 1800,
    });
    assert.ok(plan);
    await plans.savePlan(plan);
    return plan;
  }

  /** What the web handler does before it enqueues: consume the approval atomically. */
  async function run(
    h: Harness,
    recordId: string,
    action: RemediationAction,
    user = APPROVER,
  ): Promise<RemediateResult> {
    if (action !== 'preview') {
      const kind = action === 'rollback' ? 'change' : 'plan';
      const consumed = await plans.consume(kind, recordId, action, user, Date.now() / 1000);
      assert.equal(consumed.status, 'ok');
    }
    return processRemediate(
      {
        id: `job-${action}`,
        data: { kind: 'execute', action, recordId, user, clickedAt: Date.now() / 1000 },
      },
      h.deps,
    );
  }

  async function readDeployment(ns: string) {
    return admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns });
  }

  it('Apply changes exactly the target container: the sidecar and every other field are intact, the workload is annotated', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const before = await adminCluster.readWorkload({ namespace: ns, kind: 'Deployment', name: NAME });
    const plan = await planFor(ns);
    const h = harness();
    const rollout = simulateRollout(admin, ns, NAME, before.metadata?.generation ?? 1);
    assert.equal(await run(h, plan.id, 'apply'), 'applied');
    await rollout;

    const after = await adminCluster.readWorkload({ namespace: ns, kind: 'Deployment', name: NAME });
    const auth = container(after, 'auth');
    assert.deepEqual(auth?.resources, {
      limits: { cpu: '1', memory: '2Gi' },
      requests: { cpu: '250m', memory: '1Gi' },
    });
    assert.deepEqual(auth?.env, container(before, 'auth')?.env);
    assert.equal(auth?.image, container(before, 'auth')?.image);
    assert.deepEqual(
      container(after, 'istio-proxy'),
      container(before, 'istio-proxy'),
      'the sidecar is untouched',
    );
    assert.deepEqual(
      unexpectedChanges(diffObjects(before, after), 'auth'),
      [],
      'nothing else in the spec moved',
    );
    assert.equal(after.spec.replicas, before.spec.replicas);
    assert.equal(after.metadata?.generation, (before.metadata?.generation ?? 0) + 1);

    const a = after.metadata?.annotations ?? {};
    assert.equal(a['oom-bot/previous-memory'], 'limit=512Mi request=256Mi');
    assert.equal(a['oom-bot/new-memory'], 'limit=2Gi request=1Gi');
    assert.equal(a['oom-bot/approved-by'], APPROVER);
    assert.equal(a['oom-bot/incident'], plan.incidentId);
    assert.equal(a['oom-bot/container'], 'auth');
    assert.match(a['oom-bot/applied-at'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const texts = h.poster.texts();
    assert.match(texts[0] as string, new RegExp(`<@${APPROVER}> approved \\*Apply\\* at .* UTC`));
    assert.match(texts[1] as string, /\*Applied\* by .*memory limit 512Mi → 2Gi, request 256Mi → 1Gi/);
    assert.match(texts[1] as string, /"action_id":"oom_rollback","value":"[A-Za-z0-9_-]{22}"/);
    assert.match(texts[2] as string, /\*Rolled out\*.*2 of 2 pods updated and available/);
    assert.ok(
      h.poster.posts.every((p) => p.threadTs === plan.threadTs),
      'every line goes to the incident thread',
    );
    assert.equal(h.verifies.length, 1, 'the verification window is scheduled');
    assert.equal(h.verifies[0]?.delayMs, 900_000);
  });

  it('patches a StatefulSet the same way and watches its rollout to the new revision', async () => {
    const ns = await freshNamespace(admin);
    const apps = admin.makeApiClient(AppsV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'ledger' },
        spec: {
          serviceName: 'ledger',
          replicas: 2,
          selector: { matchLabels: { app: 'ledger' } },
          template: {
            metadata: { labels: { app: 'ledger' } },
            spec: {
              containers: [
                { name: 'ledger', image: 'ledger:1', resources: { limits: { memory: '1Gi' } } },
                { name: 'log-shipper', image: 'fluent-bit:3', resources: { limits: { memory: '64Mi' } } },
              ],
            },
          },
        },
      },
    });
    const target = { namespace: ns, kind: 'StatefulSet' as const, name: 'ledger' };
    const before = await adminCluster.readWorkload(target);
    const proposal = {
      target: buildTarget({ namespace: ns, workload: { kind: 'StatefulSet', name: 'ledger' } }),
      container: 'ledger',
      recommendation: buildRecommendation({
        container: 'ledger',
        memoryLimitBytes: 2 * GI,
        memoryRequestBytes: 1536 * MI,
        memoryLimit: '2Gi',
        memoryRequest: '1536Mi',
      }),
    };
    const diagnosis = buildDiagnosis({ ...proposal, actions: [patchActionFor(proposal.recommendation)] });
    const plan = buildPlan(diagnosis, snapshotOf(before, 'ledger'), {
      id: newRecordId(),
      incidentId: 'inc-sts',
      channel: 'C1',
      messageTs: '1.1',
      threadTs: '1.1',
      now: Math.floor(Date.now() / 1000),
      ttlSeconds: 1800,
    });
    assert.ok(plan);
    await plans.savePlan(plan);
    // the StatefulSet controller's part: once the new generation is there, report it rolled out
    const controller = (async () => {
      for (;;) {
        const s = await apps.readNamespacedStatefulSet({ name: 'ledger', namespace: ns });
        if ((s.metadata?.generation ?? 0) > 1) {
          await apps.replaceNamespacedStatefulSetStatus({
            name: 'ledger',
            namespace: ns,
            body: {
              ...s,
              status: {
                observedGeneration: s.metadata?.generation,
                replicas: 2,
                readyReplicas: 2,
                updatedReplicas: 2,
                availableReplicas: 2,
                currentRevision: 'ledger-2',
                updateRevision: 'ledger-2',
              },
            },
          });
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const h = harness();
    assert.equal(await run(h, plan.id, 'apply'), 'applied');
    await controller;
    const after = await adminCluster.readWorkload(target);
    assert.deepEqual(container(after, 'ledger')?.resources, {
      limits: { memory: '2Gi' },
      requests: { memory: '1536Mi' },
    });
    assert.deepEqual(container(after, 'log-shipper'), container(before, 'log-shipper'));
    assert.match(
      h.poster.texts().at(-1) as string,
      /\*Rolled out\*: statefulset\/ledger .*2 of 2 pods updated and ready/,
    );
  });

  it('Preview runs the server-side dry run (dryRun=All) and persists nothing', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const before = await readDeployment(ns);
    const plan = await planFor(ns);
    const h = harness();
    assert.equal(await run(h, plan.id, 'preview', 'U0ANYONE'), 'previewed');
    const after = await readDeployment(ns);
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'nothing was written');
    assert.deepEqual(after.spec, before.spec);
    assert.equal(after.metadata?.annotations?.['oom-bot/change-id'], undefined);
    const preview = h.poster.texts().at(-1) as string;
    assert.match(preview, /Preview\* for <@U0ANYONE>/);
    assert.match(preview, /- spec.template.spec.containers\[auth\].resources.limits.memory: \\"512Mi\\"/);
    assert.match(preview, /\+ spec.template.spec.containers\[auth\].resources.limits.memory: \\"2Gi\\"/);
    assert.doesNotMatch(preview, /istio-proxy/, 'the sidecar is not in the diff');
  });

  it('a concurrent edit between the read and the patch is refused by the precondition, not overwritten', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    // someone edits the workload right after the bot's read and dry run, before its patch
    const racing: RemediationCluster = {
      ...adminCluster,
      async patchWorkload(ref, patch, options) {
        if (!options.dryRun) {
          await admin.makeApiClient(AppsV1Api).patchNamespacedDeployment(
            {
              name: NAME,
              namespace: ns,
              body: {
                spec: {
                  template: { spec: { containers: [{ name: 'istio-proxy', image: 'istio/proxyv2:1.25' }] } },
                },
              },
            },
            STRATEGIC,
          );
        }
        return adminCluster.patchWorkload(ref, patch, options);
      },
    };
    const h = harness({}, racing);
    assert.equal(await run(h, plan.id, 'apply'), 'failed');
    const after = await readDeployment(ns);
    assert.equal(container(after, 'istio-proxy')?.image, 'istio/proxyv2:1.25', 'the other edit stands');
    assert.equal(container(after, 'auth')?.resources?.limits?.memory, '512Mi', 'the bot wrote nothing');
    const last = h.poster.texts().at(-1) as string;
    assert.match(
      last,
      /Not applied\*: deployment\/auth-service was changed by someone else .* nothing was overwritten/,
    );
    assert.match(last, /oom_rediagnose/, 'Re-diagnose is offered');

    // the precondition itself: a patch carrying a stale resourceVersion gets 409
    await assert.rejects(
      adminCluster.patchWorkload(
        { namespace: ns, kind: 'Deployment', name: NAME },
        memoryPatch('auth', { limit: '1Gi' }, { resourceVersion: plan.snapshot.resourceVersion }),
        { dryRun: false },
      ),
      (error: unknown) => error instanceof OomBotError && error.code === 'conflict',
    );
  });

  it('drift since the diagnosis (resources or generation) is refused, and Re-diagnose offered', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    await admin.makeApiClient(AppsV1Api).patchNamespacedDeployment(
      {
        name: NAME,
        namespace: ns,
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'auth', resources: { limits: { memory: '768Mi' } } }] },
            },
          },
        },
      },
      STRATEGIC,
    );
    const h = harness();
    assert.equal(await run(h, plan.id, 'apply'), 'refused');
    const text = h.poster.texts().at(-1) as string;
    assert.match(text, /Not applied\*: deployment\/auth-service in .* changed since the diagnosis/);
    assert.match(text, /generation moved from 1 to 2/);
    assert.match(text, /container auth now has limit 768Mi, request 256Mi, not limit 512Mi, request 256Mi/);
    assert.match(text, /oom_rediagnose/);
    const after = await readDeployment(ns);
    assert.equal(container(after, 'auth')?.resources?.limits?.memory, '768Mi');
    assert.equal(after.metadata?.annotations?.['oom-bot/change-id'], undefined);
  });

  it('Rollback restores the previous values (an unset request included) through the same safe path', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns, { memory: { limit: '512Mi' } });
    const original = await adminCluster.readWorkload({ namespace: ns, kind: 'Deployment', name: NAME });
    const plan = await planFor(ns);
    const h = harness();
    const rollout = simulateRollout(admin, ns, NAME, 1);
    assert.equal(await run(h, plan.id, 'apply'), 'applied');
    await rollout;
    const changeId = h.verifies[0]?.data.recordId as string;
    const change = await plans.getChange(changeId);
    assert.deepEqual(change?.previous, { limit: '512Mi' });
    assert.deepEqual(change?.applied, { limit: '2Gi', request: '1Gi' });
    assert.equal(
      change?.messageTs,
      h.poster.posts[1]?.ts,
      'the Rollback button lives on the "Applied" message',
    );

    const back = simulateRollout(admin, ns, NAME, 2);
    assert.equal(await run(h, changeId, 'rollback', 'U0SECOND'), 'rolled_back');
    await back;
    const after = await adminCluster.readWorkload({ namespace: ns, kind: 'Deployment', name: NAME });
    assert.deepEqual(container(after, 'auth')?.resources, container(original, 'auth')?.resources);
    assert.deepEqual(container(after, 'istio-proxy'), container(original, 'istio-proxy'));
    assert.deepEqual(unexpectedChanges(diffObjects(original, after), 'auth'), []);
    assert.equal(after.metadata?.annotations?.['oom-bot/action'], 'rollback');
    assert.equal(after.metadata?.annotations?.['oom-bot/approved-by'], 'U0SECOND');
    assert.equal(after.metadata?.annotations?.['oom-bot/previous-memory'], 'limit=2Gi request=1Gi');
    const texts = h.poster.texts();
    assert.ok(texts.some((t) => /<@U0SECOND> approved \*Rollback\*/.test(t)));
    assert.ok(
      texts.some((t) =>
        /\*Rolled back\* by <@U0SECOND>.*memory limit 2Gi → 512Mi, request 1Gi → unset/.test(t),
      ),
    );

    // a second rollback of the same change is refused at consumption
    const again = await plans.consume('change', changeId, 'rollback', APPROVER, Date.now() / 1000);
    assert.equal(again.status, 'used');
  });

  it('a patch refused by RBAC becomes a clear message, and nothing changes', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const core = admin.makeApiClient(CoreV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-only' },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-only' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const token = await requestServiceAccountToken(admin, ns, 'reader', 600);
    const reader = createRemediationCluster(kubeConfigWithToken((kube as KubeStack).server, token, 'reader'));
    const h = harness({}, reader);
    assert.equal(await run(h, plan.id, 'apply'), 'failed');
    const text = h.poster.texts().at(-1) as string;
    assert.match(
      text,
      new RegExp(
        `Apply failed\\*: the bot's service account may not dry-run patch deployment/auth-service in ${ns} \\(403 Forbidden: User \\\\"system:serviceaccount:${ns}:reader\\\\" cannot patch resource \\\\"deployments\\\\"`,
      ),
    );
    assert.equal(container(await readDeployment(ns), 'auth')?.resources?.limits?.memory, '512Mi');
  });

  it("creates the VPA and the HPA exactly as shown, with the bot's own RBAC (manifests/rbac.yaml)", async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const token = await requestServiceAccountToken(admin, 'oom-bot', 'oom-bot', 600);
    const bot = createRemediationCluster(kubeConfigWithToken((kube as KubeStack).server, token, 'oom-bot'));
    const h = harness({}, bot);
    assert.equal(await run(h, plan.id, 'create_vpa'), 'created');
    assert.equal(await run(h, plan.id, 'scale_out'), 'created');

    const vpa = (await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'autoscaling.k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'verticalpodautoscalers',
      name: NAME,
    })) as {
      spec: unknown;
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    const shown = plan.vpa as VpaSpec;
    assert.deepEqual(
      {
        mode: (vpa.spec as { updatePolicy: unknown }).updatePolicy,
        policies: (vpa.spec as { resourcePolicy: unknown }).resourcePolicy,
      },
      { mode: { updateMode: shown.updateMode }, policies: { containerPolicies: shown.containerPolicies } },
      'the VPA is the one the diagnosis showed',
    );
    assert.deepEqual(vpa.spec, {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
      updatePolicy: { updateMode: 'Off' },
      resourcePolicy: { containerPolicies: [{ containerName: 'auth', controlledResources: ['memory'] }] },
    });
    assert.equal(vpa.metadata.labels['app.kubernetes.io/managed-by'], 'oom-bot');
    assert.equal(vpa.metadata.annotations['oom-bot/approved-by'], APPROVER);

    const hpa = await admin
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name: NAME, namespace: ns });
    assert.deepEqual(
      { min: hpa.spec?.minReplicas, max: hpa.spec?.maxReplicas, target: hpa.spec?.scaleTargetRef.name },
      { min: 6, max: 12, target: NAME },
      'the HPA is `kubectl autoscale --min=6 --max=12` as shown',
    );
    assert.equal(hpa.spec?.metrics?.[0]?.resource?.target.averageUtilization, 70);
    const texts = h.poster.texts();
    assert.ok(texts.some((t) => /VPA created\*/.test(t) && /updateMode: "?Off"?/.test(t)));
    assert.ok(texts.some((t) => /HPA created\*/.test(t) && /minReplicas: 6/.test(t)));

    // an object of that name already there is never replaced
    const second = await planFor(ns);
    assert.equal(await run(h, second.id, 'scale_out'), 'failed');
    assert.match(
      h.poster.texts().at(-1) as string,
      /an HPA named auth-service already exists in .*; the bot does not replace it/,
    );
  });

  it('refuses a VPA in a mode that evicts pods', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns, 'Recreate');
    const h = harness();
    assert.equal(await run(h, plan.id, 'create_vpa'), 'failed');
    assert.match(h.poster.texts().at(-1) as string, /only creates VPAs in Off or Initial mode/);
    const list = (await admin.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'autoscaling.k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'verticalpodautoscalers',
    })) as { items: unknown[] };
    assert.equal(list.items.length, 0);
  });

  it('does not patch a workload managed by Argo CD or Flux: says so and offers the YAML patch to commit', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns, {
      labels: {
        'kustomize.toolkit.fluxcd.io/name': 'apps',
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      },
    });
    const before = await readDeployment(ns);
    const plan = await planFor(ns);
    const h = harness();
    assert.equal(await run(h, plan.id, 'apply'), 'refused');
    const text = h.poster.texts().at(-1) as string;
    assert.match(text, /managed by \*Flux\* \(label kustomize.toolkit.fluxcd.io\/name\)/);
    assert.match(text, /kind: Deployment\\nmetadata:\\n {2}name: auth-service/);
    assert.match(text, /- name: auth\\n {10}resources:\\n {12}limits:\\n {14}memory: 2Gi/);
    assert.equal((await readDeployment(ns)).metadata?.resourceVersion, before.metadata?.resourceVersion);
  });

  it('in the global dry-run mode, never writes', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const before = await readDeployment(ns);
    const plan = await planFor(ns);
    const h = harness({ dryRunOnly: true });
    assert.equal(await run(h, plan.id, 'apply'), 'dry_run');
    assert.equal(await run(h, plan.id, 'create_vpa'), 'dry_run');
    assert.equal(await run(h, plan.id, 'scale_out'), 'dry_run');
    assert.equal((await readDeployment(ns)).metadata?.resourceVersion, before.metadata?.resourceVersion);
    const hpas = await admin
      .makeApiClient(AutoscalingV2Api)
      .listNamespacedHorizontalPodAutoscaler({ namespace: ns });
    assert.equal(hpas.items.length, 0);
    const texts = h.poster.texts();
    assert.match(texts[0] as string, /dry-run mode: nothing will be written/);
    assert.match(texts[1] as string, /Dry-run mode\* \(DRY_RUN_ONLY\).*nothing was written/);
    assert.equal(h.verifies.length, 0);
  });

  it('reports a rollout that does not finish in time as stuck, and starts no verification', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const h = harness({ rolloutTimeoutMs: 1500 });
    assert.equal(await run(h, plan.id, 'apply'), 'applied');
    const text = h.poster.texts().at(-1) as string;
    assert.match(
      text,
      /Rollout stuck\*: deployment\/auth-service .*: waiting for the controller to see generation 2/,
    );
    assert.match(text, /kubectl -n .* rollout status deployment\/auth-service/);
    assert.equal(h.verifies.length, 0);
  });

  it('verifies: no new OOM kill gives "verified"; another kill gives "still OOMing" and a fresh diagnosis', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const h = harness();
    const rollout = simulateRollout(admin, ns, NAME, 1);
    assert.equal(await run(h, plan.id, 'apply'), 'applied');
    await rollout;
    const verify = h.verifies[0]?.data as RemediateJobData;
    // a kill from before the change does not count
    await createOomKilledPod(admin, ns, NAME, new Date(Date.now() - 3600_000));
    assert.equal(await processRemediate({ id: 'v1', data: verify }, h.deps), 'verified');
    assert.match(h.poster.texts().at(-1) as string, /\*Verified\*: no OOM kill of container `auth`/);

    await createOomKilledPod(admin, ns, NAME, new Date(Date.now() + 2000));
    assert.equal(await processRemediate({ id: 'v2', data: verify }, h.deps), 'still_ooming');
    assert.match(
      h.poster.texts().at(-1) as string,
      /\*Still OOMing\*: 1 OOM kill\(s\) of container `auth` since the change/,
    );
    assert.deepEqual(
      h.diagnoses.map((d) => [d.request, d.reply, d.trigger]),
      [[{ name: NAME, namespace: ns }, { channel: plan.channel, threadTs: plan.threadTs }, 'verification']],
    );
  });
});
