// The remediation worker does not trust Redis, against the real Redis and kube-apiserver: a plan
// and approval written by hand are refused and audited, a signed plan the policy no longer allows
// is refused at execution, the two-person rule needs two distinct signed approvals, Dismiss
// revokes a plan, the namespace guard and the replica ceiling hold — and the Deployment is
// unchanged each time a job is refused.
import assert from 'node:assert/strict';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { RemediateJobData } from '../../src/queues/payloads.ts';
import type { RemediationCluster } from '../../src/remediation/cluster.ts';
import { buildPlan, snapshotOf } from '../../src/remediation/plan.ts';
import { newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import type { ApprovalPolicy } from '../../src/remediation/policy.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateDeps } from '../../src/remediation/remediate-steps.ts';
import { buildDiagnosis, buildTarget, GI } from '../support/diagnosis-builder.ts';
import { createDeployment, freshNamespace, testPolicy } from '../support/remediation-fixtures.ts';
import { remediationHarness, useRemediationStack } from '../support/remediation-harness.ts';

const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const NAME = 'auth-service';

describe('trust boundary: the remediation worker against forged and stale records', function () {
  this.timeout(120_000);
  const stack = useRemediationStack('oom-trust');
  const prefix = stack.prefix;
  let admin: KubeConfig;
  let cluster: RemediationCluster;
  let redis: Redis;
  let plans: PlanStore;

  before(() => {
    ({ admin, cluster, redis, plans } = stack);
  });

  function harness(policy: ApprovalPolicy, overrides: Partial<RemediateDeps> = {}) {
    return remediationHarness(stack, { policy, logLevel: 'info', overrides });
  }

  function job(
    action: RemediationAction,
    recordId: string,
    user: string,
  ): { id: string; data: RemediateJobData } {
    return {
      id: `job-${action}`,
      data: { kind: 'execute', action, recordId, user, clickedAt: Date.now() / 1000 },
    };
  }

  async function memoryOf(namespace: string, name: string): Promise<string | undefined> {
    const d = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
    return d.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
  }

  /** A signed plan for `namespace/name`, as the diagnose worker stores it: 512Mi → 2Gi, HPA 2–`maxReplicas`. */
  async function signedPlan(
    namespace: string,
    name = NAME,
    maxReplicas = 6,
    clusterName?: string,
  ): Promise<RemediationPlan> {
    const live = await cluster.readWorkload({ namespace, kind: 'Deployment', name });
    const diagnosis = buildDiagnosis({
      target: buildTarget({ namespace, workload: { kind: 'Deployment', name } }),
      actions: [
        {
          kind: 'patch_memory_limit',
          title: 'Raise auth',
          memoryPatch: { container: 'auth', limitBytes: 2 * GI, requestBytes: GI },
        },
        { kind: 'scale_out', title: 'Scale out', hpa: { minReplicas: 2, maxReplicas, cpuPercent: 70 } },
      ],
    });
    const now = Math.floor(Date.now() / 1000);
    const plan = buildPlan(diagnosis, snapshotOf(live, 'auth'), {
      id: newRecordId(),
      incidentId: `inc-${namespace}-${newRecordId()}`,
      channel: 'C0TRUST001',
      messageTs: '1800000000.000001',
      threadTs: '1800000000.000001',
      now,
      ttlSeconds: 1800,
      ...(clusterName ? { cluster: clusterName } : {}),
    });
    assert.ok(plan);
    await plans.savePlan(plan);
    return plan;
  }

  it('refuses and audits a plan and "used" entry written by hand for kube-system/coredns; coredns keeps 170Mi', async () => {
    await createDeployment(admin, 'kube-system', {
      name: 'coredns',
      memory: { limit: '170Mi', request: '70Mi' },
    });
    const live = await cluster.readWorkload({
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'coredns',
    });
    const id = newRecordId();
    const now = Math.floor(Date.now() / 1000);
    const forged = {
      id,
      incidentId: 'inc-forged',
      channel: 'C0TRUST001',
      messageTs: '1800000000.000009',
      threadTs: '1800000000.000009',
      target: { namespace: 'kube-system', kind: 'Deployment', name: 'coredns' },
      container: 'auth',
      cause: 'traffic_surge',
      createdAt: now,
      expiresAt: now + 1800,
      snapshot: { generation: live.metadata?.generation, memory: { limit: '170Mi', request: '70Mi' } },
      memory: { from: { limit: '170Mi', request: '70Mi' }, to: { limit: '4Mi', request: '4Mi' } },
    };
    await redis.set(`${prefix}:plan:{${id}}`, JSON.stringify(forged), 'EX', 3600);
    await redis.hset(`${prefix}:plan:{${id}}:used`, 'apply', JSON.stringify({ by: 'U0UNKNOWN1', at: now }));
    // even a policy that lets U0UNKNOWN1 apply anywhere does not make the forged record run
    const h = harness(testPolicy(['U0UNKNOWN1']));

    assert.equal(await processRemediate(job('apply', id, 'U0UNKNOWN1'), h.deps), 'refused');

    assert.equal(await memoryOf('kube-system', 'coredns'), '170Mi');
    assert.match(h.poster.texts().join('\n'), /fails signature verification/);
    assert.equal(
      h.poster.posts[0]?.threadTs,
      '1800000000.000009',
      'the note goes to the thread the record names',
    );
    assert.ok(
      h.logs.some((l) => /"audit":"record_tampered"/.test(l) && /"level":50/.test(l)),
      'an error log line',
    );
  });

  it('refuses a signed plan whose approval entry was rewritten in Redis to name another user', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    const entry = JSON.parse((await redis.hget(`${prefix}:plan:{${plan.id}}:used`, 'apply')) as string);
    await redis.hset(`${prefix}:plan:{${plan.id}}:used`, 'apply', JSON.stringify({ ...entry, by: BOB }));
    const h = harness(testPolicy([ALICE, BOB]));

    assert.equal(await processRemediate(job('apply', plan.id, BOB), h.deps), 'refused');

    assert.equal(await memoryOf(ns, NAME), '512Mi');
    assert.match(h.poster.texts().join('\n'), /invalid signature/);
  });

  it('refuses and audits a Rollback whose change record was rewritten in Redis; the workload keeps its memory', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    assert.equal(
      await processRemediate(job('apply', plan.id, ALICE), harness(testPolicy([ALICE])).deps),
      'applied',
    );
    assert.equal(await memoryOf(ns, NAME), '2Gi');
    const live = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns });
    const changeId = live.metadata?.annotations?.['oom-bot/change-id'];
    assert.ok(changeId, 'the applied change names its record');
    // approved, then, before the worker runs it, someone who can write Redis makes the Rollback
    // "restore" 4Mi, keeping the old signature
    assert.equal(
      (await plans.consume('change', changeId, 'rollback', ALICE, Date.now() / 1000)).status,
      'ok',
    );
    const changeKey = `${prefix}:change:{${changeId}}`;
    const record = JSON.parse((await redis.get(changeKey)) ?? '{}');
    record.previous = { limit: '4Mi', request: '4Mi' };
    await redis.set(changeKey, JSON.stringify(record), 'KEEPTTL');
    // a click on the rewritten record is refused too
    assert.equal(
      (await plans.consume('change', changeId, 'rollback', BOB, Date.now() / 1000)).status,
      'tampered',
    );
    const h = harness(testPolicy([ALICE]));

    assert.equal(await processRemediate(job('rollback', changeId, ALICE), h.deps), 'refused');

    assert.equal(await memoryOf(ns, NAME), '2Gi');
    assert.match(h.poster.texts().join('\n'), /change record in Redis fails signature verification/);
    assert.ok(h.logs.some((l) => /"audit":"record_tampered"/.test(l) && /"level":50/.test(l)));
  });

  it('refuses a correctly signed and approved plan that the policy no longer allows at execution time', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    // the worker's policy: Alice was removed from the approvers after she clicked
    const h = harness(testPolicy([BOB]));

    assert.equal(await processRemediate(job('apply', plan.id, ALICE), h.deps), 'refused');

    assert.equal(await memoryOf(ns, NAME), '512Mi');
    assert.match(
      h.poster.texts().join('\n'),
      /no longer allows it at execution time: <@U0ALICE001> is not an approver/,
    );
  });

  it('refuses writes in a namespace DENY_NAMESPACES closes, even when the policy allows them', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    const h = harness(testPolicy([ALICE]), {
      guard: { write: ['*'], deny: ['kube-*', `${ns.slice(0, 6)}*`] },
    });

    assert.equal(await processRemediate(job('apply', plan.id, ALICE), h.deps), 'refused');

    assert.equal(await memoryOf(ns, NAME), '512Mi');
    assert.match(
      h.poster.texts().join('\n'),
      /closed to writes by the bot \(DENY_NAMESPACES pattern trust-\*\)/,
    );
  });

  it("refuses signed, approved writes in kube-system and the bot's namespace by default, and outside WRITE_NAMESPACES", async () => {
    await admin
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'oom-bot' } } })
      .catch((error: { code?: number }) => {
        if (error.code !== 409) throw error; // another test made it already
      });
    const other = await freshNamespace(admin, 'trust');
    const cases: Array<[string, Partial<RemediateDeps>, RegExp]> = [
      ['kube-system', {}, /closed to writes by the bot \(DENY_NAMESPACES pattern kube-\*\)/],
      ['oom-bot', {}, /closed to writes by the bot \(DENY_NAMESPACES pattern oom-bot\)/],
      [other, { guard: { write: ['shop'], deny: ['kube-*'] } }, /is not in WRITE_NAMESPACES \(shop\)/],
    ];
    for (const [ns, overrides, reason] of cases) {
      await createDeployment(admin, ns);
      const plan = await signedPlan(ns);
      assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
      // the policy allows every namespace: only the worker's guard stands in the way
      const h = harness(testPolicy([ALICE]), overrides);

      assert.equal(await processRemediate(job('apply', plan.id, ALICE), h.deps), 'refused', ns);

      assert.equal(await memoryOf(ns, NAME), '512Mi', ns);
      assert.match(h.poster.texts().join('\n'), reason);
    }
  });

  it('holds a plan to the policy rule of its cluster at execution, and names the cluster in the approval note', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    // writes on the prod-* clusters are previews only; elsewhere the defaults allow Apply
    const policy = testPolicy([ALICE], {
      namespaces: [{ match: '*', cluster: 'prod-*', actions: ['preview'] }],
    });
    const prod = await signedPlan(ns, NAME, 6, 'prod-east');
    assert.equal((await plans.consume('plan', prod.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    const refused = harness(policy);
    assert.equal(await processRemediate(job('apply', prod.id, ALICE), refused.deps), 'refused');
    assert.equal(await memoryOf(ns, NAME), '512Mi');
    assert.match(
      refused.poster.texts().join('\n'),
      /of cluster prod-east by namespace rule \* \(cluster prod-\*\)/,
    );

    const staging = await signedPlan(ns, NAME, 6, 'staging-eu');
    assert.equal((await plans.consume('plan', staging.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    const applied = harness(policy);
    assert.equal(await processRemediate(job('apply', staging.id, ALICE), applied.deps), 'applied');
    assert.equal(await memoryOf(ns, NAME), '2Gi');
    assert.match(applied.poster.texts().join('\n'), /approved \*Apply\*.*on cluster staging-eu/);
  });

  it('under the two-person rule: one approver twice does not count twice; a second, different approver applies', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    const policy = testPolicy([ALICE, BOB], { namespaces: [{ match: 'trust-*', twoPersonRule: true }] });
    const h = harness(policy);

    assert.equal(
      (await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000, 2)).status,
      'first',
    );
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000, 2)).status, 'same');
    // a job enqueued by hand after the first approval alone is refused
    assert.equal(await processRemediate(job('apply', plan.id, ALICE), h.deps), 'refused');
    assert.equal(await memoryOf(ns, NAME), '512Mi');

    assert.equal((await plans.consume('plan', plan.id, 'apply', BOB, Date.now() / 1000, 2)).status, 'ok');
    assert.equal(await processRemediate(job('apply', plan.id, BOB), h.deps), 'applied');
    assert.equal(await memoryOf(ns, NAME), '2Gi');
  });

  it('under the two-person rule, a forged first approval does not make a single approver enough', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    const policy = testPolicy([ALICE, BOB], { namespaces: [{ match: 'trust-*', twoPersonRule: true }] });
    await redis.hset(`${prefix}:plan:{${plan.id}}:used`, 'first:apply', JSON.stringify({ by: ALICE, at: 1 }));
    assert.equal((await plans.consume('plan', plan.id, 'apply', BOB, Date.now() / 1000, 2)).status, 'ok');

    assert.equal(await processRemediate(job('apply', plan.id, BOB), harness(policy).deps), 'refused');
    assert.equal(await memoryOf(ns, NAME), '512Mi');
  });

  it('Dismiss revokes the plan: a later click is refused and a job already queued does nothing', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns);
    assert.equal((await plans.consume('plan', plan.id, 'apply', ALICE, Date.now() / 1000)).status, 'ok');
    assert.equal(await plans.revokeIncident(plan.incidentId, BOB, Date.now() / 1000), 1);

    const click = await plans.consume('plan', plan.id, 'scale_out', ALICE, Date.now() / 1000);
    assert.equal(click.status, 'revoked');
    const h = harness(testPolicy([ALICE]));
    assert.equal(await processRemediate(job('apply', plan.id, ALICE), h.deps), 'refused');
    assert.equal(await memoryOf(ns, NAME), '512Mi');
    assert.match(h.poster.texts().join('\n'), /dismissed by <@U0BOB00001>/);
  });

  it('refuses a Scale out above the policy replica ceiling at execution; no HPA is created', async () => {
    const ns = await freshNamespace(admin, 'trust');
    await createDeployment(admin, ns);
    const plan = await signedPlan(ns, NAME, 50);
    assert.equal((await plans.consume('plan', plan.id, 'scale_out', ALICE, Date.now() / 1000)).status, 'ok');
    const h = harness(testPolicy([ALICE]));

    assert.equal(await processRemediate(job('scale_out', plan.id, ALICE), h.deps), 'refused');
    assert.match(h.poster.texts().join('\n'), /50 replicas is above the ceiling of 20/);
    const hpas = await admin
      .makeApiClient(AutoscalingV2Api)
      .listNamespacedHorizontalPodAutoscaler({ namespace: ns });
    assert.equal(hpas.items.length, 0);
  });
});
