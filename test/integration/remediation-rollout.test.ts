// An Argo Rollout's memory fix on a real kube-apiserver that serves the Argo Rollouts CRD (the test
// stack's test/stack/crds), run as the bot's own ServiceAccount under the project's RBAC and
// admission policy (manifests/rbac.yaml, manifests/admission-policy.yaml): a pod of the Rollout's
// ReplicaSet resolves to the Rollout; the approved Apply dry-runs first, then sends a JSON merge
// patch guarded by the resourceVersion it read, and the Rollout the apiserver stores differs in
// exactly that container's memory and the oom-bot/* audit annotations; a concurrent edit between
// the read and the patch is refused (409) and survives; Roll back restores the template; and the
// admission policy refuses the bot's token any other change of the Rollout (its image).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { Diagnosis, Target } from '../../src/domain/types.ts';
import { OomBotError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import type { RemediateJobData } from '../../src/queues/payloads.ts';
import { createRemediationCluster, type RemediationCluster } from '../../src/remediation/cluster.ts';
import { buildPlan, snapshotOf } from '../../src/remediation/plan.ts';
import { createPlanStore, newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateDeps, RemediateResult } from '../../src/remediation/remediate-steps.ts';
import { resolveTarget } from '../../src/sources/cluster.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import type { KubeObject } from '../../src/sources/ports.ts';
import { installRolloutCrd, ROLLOUT_API } from '../stack/crds.ts';
import { type KubeStack, kubeConfigWithToken, requestServiceAccountToken, startKube } from '../stack/kube.ts';
import { buildDiagnosis, GI } from '../support/diagnosis-builder.ts';
import {
  applyFile,
  DEFAULT_GUARD,
  freshNamespace,
  MERGE,
  RBAC_FILE,
  recordingPoster,
  testPolicy,
  testSigner,
} from '../support/remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMISSION_FILE = new URL('../../manifests/admission-policy.yaml', import.meta.url);
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const NAME = 'checkout';

/** The Rollout as a team writes it: the app, an istio-proxy sidecar, a canary strategy. */
function rolloutBody(name: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, labels: { app: name }, annotations: { team: 'payments' } },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'sidecar.istio.io/inject': 'true' } },
        spec: {
          containers: [
            {
              name,
              image: 'registry.example/checkout:3.2.1',
              args: ['--port=8080'],
              env: [{ name: 'GOMEMLIMIT', value: '400MiB' }],
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: {
                limits: { cpu: '1', memory: '512Mi' },
                requests: { cpu: '250m', memory: '256Mi' },
              },
            },
            {
              name: 'istio-proxy',
              image: 'istio/proxyv2:1.24',
              args: ['proxy', 'sidecar'],
              resources: { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } },
            },
          ],
        },
      },
      strategy: { canary: { maxSurge: '25%', steps: [{ setWeight: 20 }, { pause: { duration: '5m' } }] } },
    },
  };
}

type Call = { dryRun: boolean; patch: object; readVersion?: string };

describe('an Argo Rollout’s memory fix on a real kube-apiserver with the Rollout CRD', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let admin: KubeConfig;
  let bot: KubeConfig;
  let redis: Redis;
  let plans: PlanStore;
  const prefix = `oom-rollout-${process.pid}-${Date.now()}`;

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    kube = await startKube();
    admin = kube.kubeConfig;
    await installRolloutCrd(admin);
    // the bot's identity as the project ships it: its RBAC and its admission policy
    await applyFile(admin, RBAC_FILE);
    await applyFile(admin, ADMISSION_FILE);
    const token = await requestServiceAccountToken(admin, 'oom-bot', 'oom-bot', 600);
    bot = kubeConfigWithToken(kube.server, token, 'oom-bot');
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

  const custom = () => admin.makeApiClient(CustomObjectsApi);
  const readRollout = async (ns: string) =>
    (await custom().getNamespacedCustomObject({ ...ROLLOUT_API, namespace: ns, name: NAME })) as KubeObject;

  /** Plays the Argo Rollouts controller: the current generation observed and healthy. */
  async function markHealthy(ns: string): Promise<void> {
    const ro = await readRollout(ns);
    await custom().patchNamespacedCustomObjectStatus(
      {
        ...ROLLOUT_API,
        namespace: ns,
        name: NAME,
        // Argo Rollouts writes observedGeneration as a string
        body: {
          status: { observedGeneration: String(ro.metadata?.generation), phase: 'Healthy', replicas: 3 },
        },
      },
      MERGE,
    );
  }

  /** The Rollout, its ReplicaSet and one OOM-killed pod of it, as the Argo controller leaves them. */
  async function createRolloutWithPod(ns: string): Promise<string> {
    const created = (await custom().createNamespacedCustomObject({
      ...ROLLOUT_API,
      namespace: ns,
      body: rolloutBody(NAME),
    })) as KubeObject;
    await markHealthy(ns);
    const hash = randomBytes(5).toString('hex').slice(0, 9);
    const core = admin.makeApiClient(CoreV1Api);
    const rs = await admin.makeApiClient(AppsV1Api).createNamespacedReplicaSet({
      namespace: ns,
      body: {
        metadata: {
          name: `${NAME}-${hash}`,
          labels: { app: NAME, 'rollouts-pod-template-hash': hash },
          ownerReferences: [
            {
              apiVersion: 'argoproj.io/v1alpha1',
              kind: 'Rollout',
              name: NAME,
              uid: created.metadata?.uid as string,
              controller: true,
            },
          ],
        },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: NAME, 'rollouts-pod-template-hash': hash } },
          template: {
            metadata: { labels: { app: NAME, 'rollouts-pod-template-hash': hash } },
            spec: { containers: [{ name: NAME, image: 'registry.example/checkout:3.2.1' }] },
          },
        },
      },
    });
    const podName = `${NAME}-${hash}-q7x2k`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: podName,
          labels: { app: NAME, 'rollouts-pod-template-hash': hash },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: rs.metadata?.name as string,
              uid: rs.metadata?.uid as string,
              controller: true,
            },
          ],
        },
        spec: { containers: [{ name: NAME, image: 'registry.example/checkout:3.2.1' }] },
      },
    });
    return podName;
  }

  /**
   * The bot's cluster adapter (its ServiceAccount token), recording each patch it sends with the
   * resourceVersion of the read before it; `between` runs after the dry run, before the real patch.
   */
  function recordingCluster(ns: string, between?: () => Promise<void>) {
    const real = createRemediationCluster(bot, 'test');
    const calls: Call[] = [];
    let lastRead: string | undefined;
    const cluster: RemediationCluster = {
      ...real,
      async readWorkload(ref) {
        const obj = await real.readWorkload(ref);
        lastRead = obj.metadata?.resourceVersion;
        return obj;
      },
      async patchWorkload(ref, patch, options) {
        calls.push({ dryRun: options.dryRun, patch, ...(lastRead ? { readVersion: lastRead } : {}) });
        if (!options.dryRun && between) await between();
        const out = await real.patchWorkload(ref, patch, options);
        if (!options.dryRun) await markHealthy(ns);
        return out;
      },
    };
    return { cluster, calls };
  }

  function harness(cluster: RemediationCluster) {
    const poster = recordingPoster();
    const verifies: RemediateJobData[] = [];
    const deps: RemediateDeps = {
      plans,
      policy: testPolicy([ALICE, BOB]),
      guard: DEFAULT_GUARD,
      clusterFor: () => cluster,
      slack: poster,
      logger: createLogger({ level: 'silent', secrets: [], destination: new PassThrough() }),
      now: () => Date.now() / 1000,
      dryRunOnly: false,
      rolloutTimeoutMs: 20_000,
      rolloutPollMs: 50,
      verifySeconds: 900,
      buttonTtlSeconds: 1800,
      scheduleVerify: async (data) => {
        verifies.push(data);
      },
      enqueueDiagnosis: async () => 'diag',
    };
    return { deps, poster, verifies };
  }

  function diagnosisOf(target: Target): Diagnosis {
    return buildDiagnosis({
      target,
      container: NAME,
      actions: [
        {
          kind: 'patch_memory_limit',
          title: `Raise ${NAME}`,
          memoryPatch: { container: NAME, limitBytes: GI, requestBytes: GI / 2 },
        },
      ],
    });
  }

  /** The target a pod of the Rollout resolves to through ownerReferences, and its signed plan. */
  async function planForPod(ns: string, pod: string): Promise<{ target: Target; plan: RemediationPlan }> {
    const target = await resolveTarget(createKubernetesLister(admin), { name: pod, namespace: ns });
    const live = await readRollout(ns);
    const plan = buildPlan(diagnosisOf(target), snapshotOf(live, NAME), {
      id: newRecordId(),
      incidentId: `inc-${newRecordId()}`,
      channel: 'C0ROLLOUT01',
      messageTs: '1800000000.000001',
      threadTs: '1800000000.000001',
      now: Math.floor(Date.now() / 1000),
      ttlSeconds: 1800,
    });
    assert.ok(plan?.memory, 'a memory plan for the Rollout');
    await plans.savePlan(plan);
    return { target, plan };
  }

  async function run(
    deps: RemediateDeps,
    recordId: string,
    action: RemediationAction,
    user: string,
  ): Promise<RemediateResult> {
    const kind = action === 'rollback' ? 'change' : 'plan';
    assert.equal((await plans.consume(kind, recordId, action, user, Date.now() / 1000)).status, 'ok');
    return processRemediate(
      {
        id: `job-${action}`,
        data: { kind: 'execute', action, recordId, user, clickedAt: Date.now() / 1000 },
      },
      deps,
    );
  }

  /** The Rollout with only what a memory change may touch taken out: the rest must not move. */
  function untouchedParts(ro: KubeObject) {
    const copy = structuredClone(ro);
    for (const c of copy.spec.template.spec.containers) if (c.name === NAME) delete c.resources.limits.memory;
    for (const c of copy.spec.template.spec.containers)
      if (c.name === NAME) delete c.resources.requests.memory;
    const annotations = Object.fromEntries(
      Object.entries(copy.metadata?.annotations ?? {}).filter(([k]) => !k.startsWith('oom-bot/')),
    );
    return { spec: copy.spec, labels: copy.metadata?.labels, annotations };
  }

  const appMemory = (ro: KubeObject) => {
    const r = ro.spec.template.spec.containers.find((c: { name: string }) => c.name === NAME).resources;
    return { limit: r.limits?.memory, request: r.requests?.memory };
  };

  it('Apply on a Rollout-owned pod: dry run, then a merge patch at the read resourceVersion; exactly that memory changes, audited; Roll back restores', async () => {
    const ns = await freshNamespace(admin, 'ro');
    const pod = await createRolloutWithPod(ns);
    const { target, plan } = await planForPod(ns, pod);
    assert.deepEqual(target.workload, { kind: 'Rollout', name: NAME });
    assert.deepEqual(target.podTemplate, { kind: 'Rollout', name: NAME, path: 'spec.template' });
    assert.deepEqual(plan.target, { namespace: ns, kind: 'Rollout', name: NAME });
    const before = await readRollout(ns);

    const { cluster, calls } = recordingCluster(ns);
    const h = harness(cluster);
    assert.equal(await run(h.deps, plan.id, 'apply', ALICE), 'applied');

    // the dry run first, then the same merge patch for real, both at the version read
    assert.deepEqual(
      calls.map((c) => c.dryRun),
      [true, false],
    );
    assert.deepEqual(calls[1]?.patch, calls[0]?.patch);
    const sent = calls[1]?.patch as { metadata: { resourceVersion: string } };
    assert.equal(sent.metadata.resourceVersion, before.metadata?.resourceVersion);
    assert.equal(calls[1]?.readVersion, before.metadata?.resourceVersion);

    const after = await readRollout(ns);
    assert.deepEqual(appMemory(after), { limit: '1Gi', request: '512Mi' });
    assert.deepEqual(untouchedParts(after), untouchedParts(before), 'nothing but that memory moved');
    assert.equal(after.metadata?.generation, (before.metadata?.generation ?? 0) + 1);
    const a = after.metadata?.annotations ?? {};
    assert.equal(a['oom-bot/action'], 'apply');
    assert.equal(a['oom-bot/approved-by'], ALICE);
    assert.equal(a['oom-bot/container'], NAME);
    assert.equal(a['oom-bot/previous-memory'], 'limit=512Mi request=256Mi');
    assert.equal(a['oom-bot/new-memory'], 'limit=1Gi request=512Mi');
    assert.equal(a['oom-bot/incident'], plan.incidentId);
    const texts = h.poster.texts().join('\n');
    assert.match(texts, new RegExp(`<@${ALICE}> approved \\*Apply\\*`));
    assert.match(texts, /\*Applied\* by/);
    assert.match(texts, /rollout healthy/);
    assert.equal(h.verifies.length, 1, 'the verification is scheduled');

    // Roll back, by another approver: the template as it was, through the same path
    const changeId = h.verifies[0]?.recordId as string;
    const back = recordingCluster(ns);
    const h2 = harness(back.cluster);
    assert.equal(await run(h2.deps, changeId, 'rollback', BOB), 'rolled_back');
    assert.deepEqual(
      back.calls.map((c) => c.dryRun),
      [true, false],
    );
    const restored = await readRollout(ns);
    assert.deepEqual(appMemory(restored), { limit: '512Mi', request: '256Mi' });
    assert.deepEqual(restored.spec, before.spec, 'the spec is exactly what it was before Apply');
    assert.equal(restored.metadata?.annotations?.['oom-bot/action'], 'rollback');
    assert.equal(restored.metadata?.annotations?.['oom-bot/approved-by'], BOB);
  });

  it('a concurrent edit of the Rollout between the read and the patch: refused (409), the edit stays, no memory change', async () => {
    const ns = await freshNamespace(admin, 'ro');
    const pod = await createRolloutWithPod(ns);
    const { plan } = await planForPod(ns, pod);
    // someone bumps the sidecar image after the bot's dry run; a merge patch carries the whole
    // container list, so without the precondition it would put the old image back
    const { cluster, calls } = recordingCluster(ns, async () => {
      const ro = await readRollout(ns);
      const containers = structuredClone(ro.spec.template.spec.containers);
      containers[1].image = 'istio/proxyv2:1.25';
      await custom().patchNamespacedCustomObject(
        {
          ...ROLLOUT_API,
          namespace: ns,
          name: NAME,
          body: { spec: { template: { spec: { containers } } } },
        },
        MERGE,
      );
    });
    const h = harness(cluster);
    assert.equal(await run(h.deps, plan.id, 'apply', ALICE), 'failed');
    assert.deepEqual(
      calls.map((c) => c.dryRun),
      [true, false],
    );
    const after = await readRollout(ns);
    assert.equal(after.spec.template.spec.containers[1].image, 'istio/proxyv2:1.25', 'the other edit stays');
    assert.deepEqual(appMemory(after), { limit: '512Mi', request: '256Mi' });
    assert.equal(after.metadata?.annotations?.['oom-bot/change-id'], undefined);
    assert.match(h.poster.texts().join('\n'), /changed by someone else between the bot's read and its patch/);
  });

  it('the admission policy holds on the Rollout too: the bot’s token cannot change its image', async () => {
    const ns = await freshNamespace(admin, 'ro');
    await createRolloutWithPod(ns);
    const real = createRemediationCluster(bot, 'test');
    const ref = { namespace: ns, kind: 'Rollout' as const, name: NAME };
    const current = await real.readWorkload(ref);
    const containers = structuredClone(current.spec.template.spec.containers);
    containers[0].image = 'registry.example/checkout:evil';
    await assert.rejects(
      real.patchWorkload(
        ref,
        {
          metadata: { resourceVersion: current.metadata?.resourceVersion },
          spec: { template: { spec: { containers } } },
        },
        { dryRun: false },
      ),
      (e: unknown) => {
        assert.ok(e instanceof OomBotError, String(e));
        assert.match(e.message, /image, command, args, env, ports, probes and mounts must stay/);
        return true;
      },
    );
    const after = await readRollout(ns);
    assert.equal(after.spec.template.spec.containers[0].image, 'registry.example/checkout:3.2.1');
  });
});
