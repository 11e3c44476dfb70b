// The Roll back button of a deploy_regression diagnosis against a real kube-apiserver, through
// the remediation job as the worker runs it: the approved undo restores the previous
// ReplicaSet's exact pod template (minus pod-template-hash), writes the audit annotations, is
// watched and verified; a concurrent edit is refused by the resourceVersion precondition and
// nothing is overwritten; and the undo's own Rollback puts the new revision back.
import assert from 'node:assert/strict';
import { AppsV1Api, type KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import type { RemediationAction } from '../../src/contracts/remediation-actions.ts';
import type { RemediateJobData } from '../../src/queues/payloads.ts';
import type { RemediationCluster } from '../../src/remediation/cluster.ts';
import { buildPlan, snapshotOf } from '../../src/remediation/plan.ts';
import { newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediateDeps, RemediateResult } from '../../src/remediation/remediate-steps.ts';
import { buildDiagnosis, buildTarget } from '../support/diagnosis-builder.ts';
import {
  createDeployment,
  createOomKilledPod,
  freshNamespace,
  STRATEGIC,
  simulateRollout,
  testPolicy,
} from '../support/remediation-fixtures.ts';
import { remediationHarness, useRemediationStack } from '../support/remediation-harness.ts';

/** Plain JSON of a client-node model, to compare with deepEqual. */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

const APPROVER = 'U0APPROVER1';
const NAME = 'auth-service';
const OLD_IMAGE = 'registry.example/auth:1.4.2';
const NEW_IMAGE = 'registry.example/auth:1.5.0';

describe('Roll back (rollout undo) against a real kube-apiserver', function () {
  this.timeout(120_000);
  const stack = useRemediationStack('oom-undo-test');
  let admin: KubeConfig;
  let cluster: RemediationCluster;
  let plans: PlanStore;

  before(() => {
    ({ admin, cluster, plans } = stack);
  });

  function harness(on?: RemediationCluster) {
    return remediationHarness(stack, {
      policy: testPolicy([APPROVER]),
      ...(on ? { cluster: on } : {}),
      overrides: { rolloutTimeoutMs: 20_000 },
    });
  }

  async function run(
    deps: RemediateDeps,
    recordId: string,
    action: RemediationAction,
  ): Promise<RemediateResult> {
    const kind = action === 'rollback' ? 'change' : 'plan';
    assert.equal((await plans.consume(kind, recordId, action, APPROVER, Date.now() / 1000)).status, 'ok');
    const data: RemediateJobData = {
      kind: 'execute',
      action,
      recordId,
      user: APPROVER,
      clickedAt: Date.now() / 1000,
    };
    return processRemediate({ id: `job-${action}`, data }, deps);
  }

  const apps = () => admin.makeApiClient(AppsV1Api);

  /** A ReplicaSet of the Deployment as its controller would have written it. */
  async function createReplicaSet(
    ns: string,
    uid: string,
    revision: number,
    hash: string,
    template: V1PodTemplateSpec,
  ) {
    const labeled = structuredClone(template);
    labeled.metadata = {
      ...labeled.metadata,
      labels: { ...labeled.metadata?.labels, 'pod-template-hash': hash },
    };
    await apps().createNamespacedReplicaSet({
      namespace: ns,
      body: {
        metadata: {
          name: `${NAME}-${hash}`,
          labels: { app: NAME, 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/revision': String(revision) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: NAME, uid, controller: true }],
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: NAME, 'pod-template-hash': hash } },
          template: labeled,
        },
      },
    });
  }

  /** Revision 1 runs OLD_IMAGE; the rollout to revision 2 changed it to NEW_IMAGE and JAVA_TOOL_OPTIONS. */
  async function deployTwoRevisions(ns: string): Promise<V1PodTemplateSpec> {
    const created = await createDeployment(admin, ns);
    const oldTemplate = structuredClone(created.spec?.template as V1PodTemplateSpec);
    assert.equal(oldTemplate.spec?.containers[0]?.image, OLD_IMAGE, 'revision 1 runs the old image');
    await createReplicaSet(ns, created.metadata?.uid as string, 1, 'old5d8f9c', oldTemplate);
    const rollout = simulateRollout(admin, ns, NAME, created.metadata?.generation ?? 1);
    const patched = await apps().patchNamespacedDeployment(
      {
        name: NAME,
        namespace: ns,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'auth',
                    image: NEW_IMAGE,
                    env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=90' }],
                  },
                ],
              },
            },
          },
        },
      },
      STRATEGIC,
    );
    await rollout;
    await createReplicaSet(
      ns,
      created.metadata?.uid as string,
      2,
      'new7b6d4f',
      patched.spec?.template as V1PodTemplateSpec,
    );
    return oldTemplate;
  }

  async function planFor(ns: string): Promise<RemediationPlan> {
    const target = { namespace: ns, kind: 'Deployment' as const, name: NAME };
    const live = await cluster.readWorkload(target);
    const diagnosis = buildDiagnosis({
      cause: 'deploy_regression',
      target: buildTarget({ namespace: ns, workload: { kind: 'Deployment', name: NAME } }),
      container: 'auth',
      recommendation: undefined,
      actions: [
        {
          kind: 'rollback_deploy',
          title: 'Roll back to revision 1',
          rollbackTarget: {
            workload: { kind: 'Deployment', name: NAME },
            rolloutAt: Date.now() / 1000 - 3600,
            previous: { replicaSet: `${NAME}-old5d8f9c`, revision: 1, podTemplateHash: 'old5d8f9c' },
            current: { replicaSet: `${NAME}-new7b6d4f`, revision: 2 },
          },
        },
      ],
    });
    const plan = buildPlan(diagnosis, snapshotOf(live, 'auth'), {
      id: newRecordId(),
      incidentId: 'inc-undo',
      channel: 'C1',
      messageTs: '1.1',
      threadTs: '1.0',
      now: Math.floor(Date.now() / 1000),
      ttlSeconds: 3600,
    });
    assert.ok(plan?.rollout, 'the plan offers the rollout undo');
    await plans.savePlan(plan);
    return plan;
  }

  it('approved: restores the exact old template, audits, watches, verifies; its Rollback restores the new revision', async () => {
    const ns = await freshNamespace(admin, 'undo');
    const oldTemplate = await deployTwoRevisions(ns);
    const plan = await planFor(ns);
    const before = await apps().readNamespacedDeployment({ name: NAME, namespace: ns });
    const h = harness();
    const rollout = simulateRollout(admin, ns, NAME, before.metadata?.generation ?? 0);
    assert.equal(await run(h.deps, plan.id, 'rollout_undo'), 'applied');
    await rollout;

    const after = await apps().readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.deepEqual(
      plain(after.spec?.template),
      plain(oldTemplate),
      'the template is revision 1 exactly, no pod-template-hash',
    );
    const notes = after.metadata?.annotations ?? {};
    assert.equal(notes['oom-bot/action'], 'rollout_undo');
    assert.equal(notes['oom-bot/approved-by'], APPROVER);
    assert.equal(notes['oom-bot/restored-revision'], `1 (${NAME}-old5d8f9c)`);
    assert.equal(notes['oom-bot/incident'], 'inc-undo');
    const texts = h.poster.texts().join('\n');
    assert.match(texts, /approved \*Roll back\*/);
    assert.match(texts, /Rolled back\* by <@U0APPROVER1>/);
    assert.match(
      texts,
      /- spec\.template\.spec\.containers\[auth\]\.image: \\"registry\.example\/auth:1\.5\.0\\"\\n\+ spec\.template\.spec\.containers\[auth\]\.image: \\"registry\.example\/auth:1\.4\.2\\"/,
      'the diff shows the image going back',
    );

    // verification: no OOM kill since the undo
    const verify = h.verifies[0]?.data as RemediateJobData;
    assert.equal(verify.action, 'rollout_undo');
    await createOomKilledPod(admin, ns, NAME, new Date(Date.now() - 3600_000));
    assert.equal(await processRemediate({ id: 'v1', data: verify }, h.deps), 'verified');

    // the rollback of the rollback: revision 2's template comes back
    const changeId = notes['oom-bot/change-id'] as string;
    const back = simulateRollout(admin, ns, NAME, after.metadata?.generation ?? 0);
    assert.equal(await run(h.deps, changeId, 'rollback'), 'rolled_back');
    await back;
    const again = await apps().readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.deepEqual(
      plain(again.spec?.template),
      plain(before.spec?.template),
      'revision 2 template restored',
    );
    assert.equal(again.metadata?.annotations?.['oom-bot/action'], 'rollback');
    assert.match(h.poster.texts().at(-2) ?? '', /Rollback undone/);
  });

  it('a concurrent edit between the read and the write gets 409: nothing is overwritten', async () => {
    const ns = await freshNamespace(admin, 'undo');
    await deployTwoRevisions(ns);
    const plan = await planFor(ns);
    const racing: RemediationCluster = {
      ...cluster,
      async replaceWorkload(ref, obj, options) {
        if (!options.dryRun)
          await apps().patchNamespacedDeployment(
            {
              name: NAME,
              namespace: ns,
              body: { metadata: { annotations: { 'team/owner': 'someone-else' } } },
            },
            STRATEGIC,
          );
        return (cluster.replaceWorkload as NonNullable<RemediationCluster['replaceWorkload']>)(
          ref,
          obj,
          options,
        );
      },
    };
    const h = harness(racing);
    assert.equal(await run(h.deps, plan.id, 'rollout_undo'), 'failed');
    const after = await apps().readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.equal(after.metadata?.annotations?.['team/owner'], 'someone-else', 'the other edit stands');
    assert.equal(after.spec?.template?.spec?.containers?.[0]?.image, NEW_IMAGE, 'the bot wrote nothing');
    assert.equal(after.metadata?.annotations?.['oom-bot/action'], undefined);
    assert.match(h.poster.texts().at(-1) ?? '', /changed by someone else .* nothing was overwritten/);
  });

  it('refuses when the previous ReplicaSet is no longer the revision the diagnosis named', async () => {
    const ns = await freshNamespace(admin, 'undo');
    await deployTwoRevisions(ns);
    const plan = await planFor(ns);
    await apps().patchNamespacedReplicaSet(
      {
        name: `${NAME}-old5d8f9c`,
        namespace: ns,
        body: { metadata: { labels: { 'pod-template-hash': 'other' } } },
      },
      STRATEGIC,
    );
    const h = harness();
    assert.equal(await run(h.deps, plan.id, 'rollout_undo'), 'refused');
    const after = await apps().readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.equal(after.spec?.template?.spec?.containers?.[0]?.image, NEW_IMAGE);
  });
});
