// Button clicks as Slack sends them (signed block_actions) through the real Bolt app, a real
// Redis and BullMQ worker, and a real kube-apiserver: a diagnosis stores a plan and shows the
// buttons; an approver's Apply patches once, is audited, rolled out and verified, and Rollback
// restores; a double click or two approvers at once give exactly one patch; and an unauthorised
// clicker, an expired button, a replayed or tampered value, and the requester approving their own
// change under the two-person rule are each refused, privately and in the thread.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import bolt, { type App } from '@slack/bolt';
import { type Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.ts';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import { createIncidentStore } from '../../src/incidents/store.ts';
import { processDiagnose } from '../../src/jobs/diagnose-processor.ts';
import { createLogger } from '../../src/logger.ts';
import type { DiagnoseJobData, RemediateJobData } from '../../src/queues/payloads.ts';
import { createRemediateQueue, enqueueRemediation, REMEDIATE_QUEUE } from '../../src/queues/queues.ts';
import { createRemediationCluster, type RemediationCluster } from '../../src/remediation/cluster.ts';
import { buildPlan, snapshotOf } from '../../src/remediation/plan.ts';
import { createPlanStore, newRecordId, type PlanStore } from '../../src/remediation/plan-store.ts';
import { createPlanner } from '../../src/remediation/planner.ts';
import { type ApprovalPolicy, DEFAULT_POLICY, parsePolicy } from '../../src/remediation/policy.ts';
import { processRemediate } from '../../src/remediation/remediate-processor.ts';
import type { RemediationActionDeps } from '../../src/remediation/slack-actions.ts';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { createSlackPoster } from '../../src/slack/poster.ts';
import { createSlackApp } from '../../src/slack-app.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { readScenario } from '../../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';
import { freePort } from '../stack/ports.ts';
import { buildDiagnosis, buildRecommendation, buildTarget, GI } from '../support/diagnosis-builder.ts';
import {
  FAKE_SLACK_DEFAULTS as D,
  type FakeSlack,
  type SlackCall,
  startFakeSlack,
} from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import {
  createDeployment,
  DEFAULT_GUARD,
  freshNamespace,
  simulateRollout,
  TEST_SIGNING_KEY,
  testSigner,
} from '../support/remediation-fixtures.ts';
import { blockActionsBody, postSigned } from '../support/slack-requests.ts';

const SECRET = 'clicks-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const APPROVER = 'U0APPROVER1';
const APPROVER2 = 'U0APPROVER2';
const REQUESTER = 'U0REQUESTER';
const STRANGER = 'U0STRANGER1';
const NAME = 'auth-service';
const MESSAGE_TS = '1800000000.000100';

const POLICY: ApprovalPolicy = parsePolicy(
  {
    version: 1,
    approvers: { users: [APPROVER, APPROVER2, REQUESTER] },
    defaults: { actions: ['preview', 'apply', 'create_vpa', 'scale_out', 'rollback'], maxMemoryLimit: '8Gi' },
    namespaces: [{ match: 'prod-*', twoPersonRule: true, actions: ['preview', 'apply', 'rollback'] }],
  },
  'test policy',
);

const text = (c: SlackCall) => JSON.stringify(c.args);

interface BotUnderTest {
  app: App;
  url: string;
}

describe('remediation buttons through the real Bolt app', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let admin: KubeConfig;
  let cluster: RemediationCluster;
  let slack: FakeSlack;
  let redis: Redis;
  let workerRedis: Redis;
  let plans: PlanStore;
  let queue: Queue<RemediateJobData>;
  let worker: Worker<RemediateJobData>;
  const bots: BotUnderTest[] = [];
  let bot: BotUnderTest;
  const diagnoses: DiagnoseJobData[] = [];
  const prefix = `oom-clicks-${process.pid}-${Date.now()}`;
  const logger = createLogger({ level: 'silent', secrets: [] });

  async function startBot(
    policy: ApprovalPolicy,
    extra: Partial<RemediationActionDeps> = {},
  ): Promise<BotUnderTest> {
    const port = await freePort();
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: 'xoxb-clicks-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        QUEUE_PREFIX: prefix,
        APPROVAL_SIGNING_KEY: TEST_SIGNING_KEY,
      },
      { mode: 'serve' },
    );
    const app = createSlackApp({
      config,
      logger,
      incidents: createIncidentStore(redis, prefix),
      enqueue: async () => 'unused',
      checkReady: async () => undefined,
      botIds: { botId: D.botId, botUserId: D.botUserId },
      remediation: { plans, policy, logger, enqueue: (data) => enqueueRemediation(queue, data), ...extra },
    });
    await app.start();
    const started = { app, url: `http://127.0.0.1:${port}/slack/events` };
    bots.push(started);
    return started;
  }

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    [kube, slack] = await Promise.all([startKube(), startFakeSlack()]);
    admin = kube.kubeConfig;
    cluster = createRemediationCluster(admin, 'test');
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    workerRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    plans = createPlanStore(redis, prefix, testSigner());
    queue = createRemediateQueue(redis, prefix);
    const client = new bolt.webApi.WebClient('xoxb-clicks-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const poster = createSlackPoster(client, { minIntervalMs: 0 });
    worker = new Worker<RemediateJobData>(
      REMEDIATE_QUEUE,
      (job) =>
        processRemediate(job, {
          plans,
          policy: POLICY,
          guard: DEFAULT_GUARD,
          clusterFor: () => cluster,
          slack: poster,
          logger,
          now: () => Date.now() / 1000,
          dryRunOnly: false,
          rolloutTimeoutMs: 20_000,
          rolloutPollMs: 50,
          verifySeconds: 1,
          buttonTtlSeconds: 1800,
          scheduleVerify: async (data, delayMs) => {
            await enqueueRemediation(queue, data, { delayMs });
          },
          enqueueDiagnosis: async (data) => {
            diagnoses.push(data);
            return 'diag';
          },
        }),
      { connection: workerRedis, prefix, concurrency: 4 },
    );
    bot = await startBot(POLICY);
  });

  after(async function () {
    for (const b of bots) await b.app.stop();
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    workerRedis?.disconnect();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  /** A stored plan for ns/auth-service, as the diagnosis of `/oom` by REQUESTER leaves it. */
  async function planFor(
    ns: string,
    overrides: { now?: number; ttlSeconds?: number; messageTs?: string } = {},
  ): Promise<RemediationPlan> {
    const live = await cluster.readWorkload({ namespace: ns, kind: 'Deployment', name: NAME });
    const diagnosis = buildDiagnosis({
      target: buildTarget({ namespace: ns, workload: { kind: 'Deployment', name: NAME } }),
      recommendation: buildRecommendation({
        memoryLimitBytes: 2 * GI,
        memoryRequestBytes: GI,
        memoryLimit: '2Gi',
        memoryRequest: '1Gi',
      }),
    });
    const plan = buildPlan(diagnosis, snapshotOf(live, 'auth'), {
      id: newRecordId(),
      incidentId: `inc-${ns}`,
      channel: D.channelId,
      messageTs: overrides.messageTs ?? MESSAGE_TS,
      threadTs: overrides.messageTs ?? MESSAGE_TS,
      requester: REQUESTER,
      now: overrides.now ?? Math.floor(Date.now() / 1000),
      ttlSeconds: overrides.ttlSeconds ?? 1800,
    });
    assert.ok(plan);
    await plans.savePlan(plan);
    return plan;
  }

  function click(
    actionId: string,
    value: string,
    user: string,
    messageTs = MESSAGE_TS,
    target: BotUnderTest = bot,
  ): ReturnType<typeof postSigned> {
    return postSigned(
      target.url,
      SECRET,
      blockActionsBody({
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: D.teamId },
        message: { type: 'message', ts: messageTs, text: 'OOM', blocks: [] },
        action: { action_id: actionId, block_id: 'oom_actions', value },
      }),
    );
  }

  async function generation(ns: string): Promise<number> {
    const d = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns });
    return d.metadata?.generation ?? 0;
  }

  async function memoryOf(ns: string): Promise<unknown> {
    const d = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: ns });
    return JSON.parse(
      JSON.stringify(d.spec?.template.spec?.containers.find((c) => c.name === 'auth')?.resources),
    );
  }

  it('a diagnosis stores a plan and shows Apply, Preview, Create VPA and Scale out; Apply patches the live workload', async () => {
    // the seed incident: its objects in the apiserver, its metrics from the files
    const dir = await mkdtemp(join(tmpdir(), 'oom-seed-'));
    await writeScenario(dir, seedIncident());
    const scenario = await readScenario(dir);
    await loadClusterYaml(admin, await readFile(join(dir, 'cluster.yaml'), 'utf8'));
    const client = new bolt.webApi.WebClient('xoxb-clicks-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const job = {
      id: 'diag-seed',
      data: {
        request: { name: 'auth-service', namespace: 'prod' },
        reply: { channel: D.channelId, userId: REQUESTER },
        trigger: 'slash_command',
        requestedAt: scenario.at,
      } as DiagnoseJobData,
      attemptsMade: 0,
      opts: { attempts: 1 },
      updateData: async () => undefined,
    };
    const result = await processDiagnose(job, {
      sourcesFor: () => ({ cluster: createKubernetesLister(admin), metrics: scenario.metrics }),
      now: () => scenario.at,
      slack: createSlackPoster(client, { minIntervalMs: 0 }),
      incidents: createIncidentStore(redis, prefix),
      logger,
      createPlan: createPlanner({ plans, ttlSeconds: 1800 }),
    });
    assert.equal(result?.cause, 'traffic_surge');
    const root = slack
      .calls('chat.update')
      .filter((c) => text(c).includes('oom_apply'))
      .at(-1) as SlackCall;
    assert.ok(root, 'the root message carries Apply');
    const buttons =
      (
        root.args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>
      ).find((b) => b.type === 'actions')?.elements ?? [];
    const planId = buttons.find((b) => b.action_id === ACTION_IDS.apply)?.value as string;
    assert.deepEqual(
      buttons.map((b) => b.action_id),
      [
        ACTION_IDS.apply,
        ACTION_IDS.preview,
        ACTION_IDS.createVpa,
        ACTION_IDS.scaleOut,
        ACTION_IDS.rediagnose,
        ACTION_IDS.dismiss,
      ],
    );
    for (const b of buttons.slice(0, 4))
      assert.equal(b.value, planId, 'the buttons carry only the opaque plan id');
    const plan = await plans.getPlan(planId);
    assert.ok(plan);
    assert.equal(plan.requester, REQUESTER);
    assert.deepEqual(plan.snapshot.memory, { limit: '512Mi', request: '256Mi' });

    const before = await generation('prod');
    const rollout = simulateRollout(admin, 'prod', NAME, before);
    const res = await click(ACTION_IDS.apply, planId, APPROVER, String(root.args.ts));
    assert.equal(res.status, 200);
    await slack.waitFor((c) => c.method === 'chat.postMessage' && /Rolled out/.test(text(c)), HANG_MS);
    await rollout;
    const memory = (await memoryOf('prod')) as { limits: { memory: string }; requests: { memory: string } };
    assert.equal(memory.limits.memory, plan.memory?.to.limit);
    assert.equal(memory.requests.memory, plan.memory?.to.request);
    assert.equal(await generation('prod'), before + 1);
  });

  it("an approver's Apply is audited, patched once, rolled out and verified; Rollback restores", async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const rollout = simulateRollout(admin, ns, NAME, 1);
    const res = await click(ACTION_IDS.apply, plan.id, APPROVER);
    assert.equal(res.status, 200, 'acknowledged at once');
    const inThread = (pattern: RegExp) => (c: SlackCall) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === MESSAGE_TS &&
      pattern.test(text(c)) &&
      text(c).includes(ns);
    await slack.waitFor(
      inThread(
        new RegExp(`<@${APPROVER}> approved \\*Apply\\* at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC`),
      ),
      HANG_MS,
    );
    const applied = await slack.waitFor(inThread(/\*Applied\* by/), HANG_MS);
    await rollout;
    await slack.waitFor(inThread(/\*Rolled out\*/), HANG_MS);
    await slack.waitFor(inThread(/\*Verified\*/), HANG_MS);
    assert.deepEqual(await memoryOf(ns), {
      limits: { cpu: '1', memory: '2Gi' },
      requests: { cpu: '250m', memory: '1Gi' },
    });

    const rollbackId = /"action_id":"oom_rollback","value":"([A-Za-z0-9_-]{22})"/.exec(
      text(applied),
    )?.[1] as string;
    const change = await plans.getChange(rollbackId);
    assert.ok(change?.messageTs);
    const back = simulateRollout(admin, ns, NAME, 2);
    await click(ACTION_IDS.rollback, rollbackId, APPROVER2, change.messageTs);
    await slack.waitFor(inThread(/\*Rolled back\* by <@U0APPROVER2>/), HANG_MS);
    await back;
    assert.deepEqual(await memoryOf(ns), {
      limits: { cpu: '1', memory: '512Mi' },
      requests: { cpu: '250m', memory: '256Mi' },
    });
  });

  it('a double click and two approvers at once give exactly one patch', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const rollout = simulateRollout(admin, ns, NAME, 1);
    const seen = slack.calls().length;
    const clicks = await Promise.all([
      click(ACTION_IDS.apply, plan.id, APPROVER),
      click(ACTION_IDS.apply, plan.id, APPROVER),
      click(ACTION_IDS.apply, plan.id, APPROVER2),
      click(ACTION_IDS.apply, plan.id, APPROVER2),
    ]);
    assert.deepEqual(
      clicks.map((c) => c.status),
      [200, 200, 200, 200],
    );
    await rollout;
    const forNs = (c: SlackCall) => text(c).includes(ns) || text(c).includes(plan.id);
    await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && /Rolled out/.test(text(c)) && forNs(c),
      HANG_MS,
    );
    const refusals = slack
      .calls()
      .slice(seen)
      .filter((c) => c.method === 'chat.postEphemeral')
      .filter((c) => /already used: (you|<@U0APPROVER[12]>) clicked Apply/.test(text(c)));
    assert.equal(refusals.length, 3, 'the three other clicks are told it was already used');
    const applied = slack.calls('chat.postMessage').filter((c) => /\*Applied\* by/.test(text(c)) && forNs(c));
    assert.equal(applied.length, 1, 'one Applied message');
    assert.equal(await generation(ns), 2, 'exactly one patch');
  });

  describe('refusals: an ephemeral answer to the clicker, a line in the thread, nothing changed', () => {
    async function expectRefused(
      ns: string,
      send: () => Promise<unknown>,
      user: string,
      reason: RegExp,
      options: { rediagnose?: boolean; threadTs?: string } = {},
    ): Promise<void> {
      const before = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: NAME, namespace: ns });
      const seen = slack.calls().length;
      await send();
      const ephemeral = await slack.waitFor(
        (c) => c.method === 'chat.postEphemeral' && c.args.user === user && reason.test(text(c)),
        HANG_MS,
      );
      assert.match(text(ephemeral), /was refused: .*Nothing was changed/);
      assert.equal(text(ephemeral).includes('oom_rediagnose'), Boolean(options.rediagnose));
      const audit = await slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.args.thread_ts === (options.threadTs ?? MESSAGE_TS) &&
          new RegExp(`<@${user}> clicked \\*[A-Za-z ]+\\* at .* UTC: refused`).test(text(c)) &&
          reason.test(text(c)),
        HANG_MS,
      );
      assert.ok(audit);
      await new Promise((r) => setTimeout(r, 300));
      const after = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: NAME, namespace: ns });
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'nothing was written');
      const approved = slack
        .calls()
        .slice(seen)
        .filter((c) => /approved \*/.test(text(c)));
      assert.deepEqual(approved, [], 'no job ran');
    }

    it('an unauthorised clicker', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, STRANGER),
        STRANGER,
        /<@U0STRANGER1> is not an approver for namespace/,
      );
    });

    it('30 clicks by a non-approver: 30 private refusals, one note in the thread', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      const seen = slack.calls().length;
      for (let i = 0; i < 30; i++) await click(ACTION_IDS.apply, plan.id, STRANGER);
      const mine = (c: SlackCall) => c.args.user === STRANGER || text(c).includes(`<@${STRANGER}> clicked`);
      await slack.waitFor(
        () =>
          slack
            .calls()
            .slice(seen)
            .filter((c) => c.method === 'chat.postEphemeral' && mine(c)).length === 30,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 300));
      const notes = slack
        .calls()
        .slice(seen)
        .filter((c) => c.method === 'chat.postMessage' && mine(c));
      assert.equal(notes.length, 1, 'one refusal note per user and plan');
    });

    it('an expired button (and Re-diagnose is offered)', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns, { now: Math.floor(Date.now() / 1000) - 3600, ttlSeconds: 1800 });
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, APPROVER),
        APPROVER,
        /this button expired at \d{4}-\d\d-\d\d/,
        {
          rediagnose: true,
        },
      );
    });

    it('a replayed button value', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      assert.equal(
        (await plans.consume('plan', plan.id, 'apply', APPROVER2, Date.now() / 1000)).status,
        'ok',
      );
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, APPROVER),
        APPROVER,
        /already used: <@U0APPROVER2> clicked Apply at/,
      );
    });

    it('a tampered button value: altered, malformed, or copied onto another message', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      const altered = `${plan.id.slice(0, -1)}${plan.id.endsWith('A') ? 'B' : 'A'}`;
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, altered, APPROVER),
        APPROVER,
        /does not match anything oom-bot issued/,
      );
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, `${plan.id}"}`, APPROVER),
        APPROVER,
        /value is not one oom-bot issued/,
      );
      const other = '1800000000.009999';
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, APPROVER, other),
        APPROVER,
        /belongs to another message/,
        {
          threadTs: other,
        },
      );
      // a plan id on the Rollback button is not a change id
      await expectRefused(
        ns,
        () => click(ACTION_IDS.rollback, plan.id, APPROVER),
        APPROVER,
        /does not match anything oom-bot issued/,
      );
    });

    it('one approver alone under the two-person rule, even clicking twice: "1 of 2", then a second approver runs it', async () => {
      const ns = await freshNamespace(admin, 'prod');
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      await click(ACTION_IDS.apply, plan.id, REQUESTER);
      await slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' && /1 of 2 approvals: <@U0REQUESTER> approved Apply/.test(text(c)),
        5000,
      );
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, REQUESTER),
        REQUESTER,
        /you already gave the first approval/,
      );
      assert.equal(await generation(ns), 1, 'one approver changed nothing');
      const rollout = simulateRollout(admin, ns, NAME, 1);
      await click(ACTION_IDS.apply, plan.id, APPROVER);
      await rollout;
      assert.equal(await generation(ns), 2);
    });

    it('an action the namespace rule does not allow', async () => {
      const ns = await freshNamespace(admin, 'prod');
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      await expectRefused(
        ns,
        () => click(ACTION_IDS.createVpa, plan.id, APPROVER),
        APPROVER,
        /Create VPA is not allowed in namespace prod-/,
      );
    });

    it('any approval when no policy file is configured', async () => {
      const ns = await freshNamespace(admin);
      await createDeployment(admin, ns);
      const plan = await planFor(ns);
      const unconfigured = await startBot(DEFAULT_POLICY);
      await expectRefused(
        ns,
        () => click(ACTION_IDS.apply, plan.id, APPROVER, MESSAGE_TS, unconfigured),
        APPROVER,
        /Apply is not allowed .* No approval policy is configured/,
      );
    });
  });

  it('Preview by anyone posts the dry-run diff in the thread and writes nothing', async () => {
    const ns = await freshNamespace(admin);
    await createDeployment(admin, ns);
    const plan = await planFor(ns);
    const before = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: NAME, namespace: ns });
    await click(ACTION_IDS.preview, plan.id, STRANGER);
    const preview = await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        /Preview\* for <@U0STRANGER1>/.test(text(c)) &&
        text(c).includes(ns),
      HANG_MS,
    );
    assert.match(
      text(preview),
      /\+ spec.template.spec.containers\[auth\].resources.limits.memory: \\"2Gi\\"/,
    );
    const after = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: NAME, namespace: ns });
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
  });
});
