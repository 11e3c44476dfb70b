/**
 * Socket Mode end to end: the real `oom-bot start` with SLACK_APP_TOKEN, the fake Slack's
 * `apps.connections.open` answering with the `ws://` URL of a local stand-in for Slack's Socket
 * Mode, which sends the envelopes of the fixture corpus (test/fixtures/slack/socket-mode).
 *
 * On a scenario's files: a slash command, a button click and an event arrive as envelopes and are
 * acknowledged by envelope_id; `/oom` gets its answer in the ack and its diagnosis in the channel;
 * Re-diagnose posts again in the thread; a `disconnect` makes the app reconnect and go on working.
 *
 * On a real kube-apiserver and Prometheus holding the seed incident: `/oom`, then an approver's
 * Apply click, both over Socket Mode, patch exactly the container's memory of the live Deployment,
 * audited in the thread and on the object; the Rollback click on the "Applied" message restores it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { createPlanStore } from '../../src/remediation/plan-store.ts';
import { createSigner } from '../../src/remediation/signing.ts';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { seedIncidentEndingNow } from '../support/live-seed.ts';
import { simulateRollout, TEST_SIGNING_KEY } from '../support/remediation-fixtures.ts';
import {
  appMentionEnvelope,
  blockActionsEnvelope,
  readSocketFixture,
  slashCommandEnvelope,
} from '../support/socket-mode-fixtures.ts';
import { type SocketModeServer, startSocketModeServer } from '../support/socket-mode-server.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP_TOKEN = 'xapp-1-A0FAKEAPP01-socket-mode-token';

const isRootIn = (channel: string) => (c: SlackCall) =>
  c.method === 'chat.postMessage' && !c.args.thread_ts && c.args.channel === channel;
const text = (c: SlackCall) => JSON.stringify(c.args);

/** The value of the first button with `actionId` in a message's blocks. */
function buttonValue(blocks: unknown[] | undefined, actionId: string): string | undefined {
  for (const block of blocks ?? []) {
    const elements = (block as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? [];
    const button = elements.find((e) => e.action_id === actionId);
    if (button?.value) return button.value;
  }
  return undefined;
}

async function obliterate(prefix: string): Promise<void> {
  for (const name of ['diagnose', 'remediate']) {
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

describe('Socket Mode end to end (real binary, real Redis, fake Slack, a Socket Mode stand-in)', function () {
  this.timeout(300_000);
  const prefix = `oom-socket-${process.pid}-${Date.now()}`;
  let socket: SocketModeServer;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;

  const oom = (channel: string, id: string) =>
    socket.send(
      slashCommandEnvelope({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(id),
      }),
      HANG_MS,
    );

  before(async () => {
    socket = await startSocketModeServer();
    slack = await startFakeSlack({ socketModeUrl: () => socket.nextUrl() });
    dir = mkdtempSync(join(tmpdir(), 'oom-socket-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-socket-mode-token-abcdef',
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'info',
      },
    });
    await socket.waitForConnections(1, HANG_MS);
  });

  after(async () => {
    const exit = await bot?.stop();
    await socket?.close();
    await slack?.close();
    await obliterate(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(exit, 0, 'the bot exits 0 on SIGTERM');
  });

  it('opens its connection through apps.connections.open with the app token', () => {
    const open = slack.calls('apps.connections.open');
    assert.ok(open.length >= 1);
    assert.equal(open[0]?.token, APP_TOKEN);
  });

  it('/oom: acknowledged by envelope_id with the answer, then the diagnosis in the channel', async () => {
    const channel = 'C0SOCKET001';
    const ack = await oom(channel, 'socket-oom');
    assert.match(String(ack.payload?.text), /Diagnosing `auth-service` in `prod`/);
    assert.equal(ack.payload?.response_type, 'ephemeral');
    await slack.waitFor(isRootIn(channel));
    await slack.waitFor((c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel);
  });

  it('a Re-diagnose click (block_actions) is acknowledged and diagnoses again in the thread', async () => {
    const channel = 'C0SOCKET001';
    // the root is updated in place with the verdict: its ts is the one the updates name
    const update = await slack.waitFor((c) => c.method === 'chat.update' && c.args.channel === channel);
    const ts = String(update.args.ts);
    const message = slack.message(channel, ts);
    const incidentId = buttonValue(message?.blocks, ACTION_IDS.rediagnose);
    assert.ok(incidentId, `a Re-diagnose button on the root: ${JSON.stringify(message?.blocks)}`);
    const before = slack.calls('chat.postMessage').length;
    const ack = await socket.send(
      blockActionsEnvelope({
        channel: { id: channel, name: 'ops' },
        message: { ts, blocks: message?.blocks ?? [] },
        response_url: slack.responseUrl('socket-click'),
        action: { action_id: ACTION_IDS.rediagnose, value: incidentId },
      }),
      HANG_MS,
    );
    assert.ok(ack.envelope_id);
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === channel &&
        c.args.thread_ts === ts &&
        slack.calls('chat.postMessage').indexOf(c) >= before,
    );
  });

  it('an event envelope is acknowledged by envelope_id and posts nothing', async () => {
    const before = slack.calls().length;
    const ack = await socket.send(appMentionEnvelope('C0SOCKET002'), HANG_MS);
    assert.ok(ack.envelope_id);
    assert.deepEqual(
      slack
        .calls()
        .slice(before)
        // The previous test's re-diagnosis may still be updating its own thread; only this
        // event's channel must stay silent.
        .filter((c) => c.method.startsWith('chat.') && c.args.channel === 'C0SOCKET002'),
      [],
    );
  });

  it('a disconnect message: the app opens a new connection and goes on answering', async () => {
    const opened = slack.calls('apps.connections.open').length;
    const connections = socket.connections();
    assert.equal(readSocketFixture<{ reason: string }>('disconnect').reason, 'refresh_requested');
    socket.disconnect();
    await socket.waitForConnections(connections + 1, HANG_MS);
    assert.ok(slack.calls('apps.connections.open').length > opened, 'a new URL was asked for');
    const channel = 'C0SOCKET003';
    const ack = await oom(channel, 'socket-after-reconnect');
    assert.match(String(ack.payload?.text), /Diagnosing `auth-service`/);
    await slack.waitFor(isRootIn(channel));
  });
});

describe('Socket Mode: /oom, Apply and Rollback on a real kube-apiserver (real binary, real Prometheus)', function () {
  this.timeout(300_000);
  const prefix = `oom-socket-apply-${process.pid}-${Date.now()}`;
  const APPROVER = 'U0SOCKAPPR1';
  const CHANNEL = 'C0SOCKAPPLY';
  let stack: Stack | undefined;
  let socket: SocketModeServer;
  let slack: FakeSlack;
  let bot: BotProcess;
  let redis: Redis;
  let dir: string;

  const apps = () => (stack as Stack).kube.kubeConfig.makeApiClient(AppsV1Api);
  const readDeployment = () => apps().readNamespacedDeployment({ name: 'auth-service', namespace: 'prod' });
  const plans = () => createPlanStore(redis, prefix, createSigner(TEST_SIGNING_KEY));
  const inThread = (rootTs: string, pattern: RegExp) => (c: SlackCall) =>
    c.method === 'chat.postMessage' &&
    c.args.channel === CHANNEL &&
    c.args.thread_ts === rootTs &&
    pattern.test(text(c));
  const approver = { id: APPROVER, username: 'sre.lead' };

  /** The Deployment as JSON, with the app container's memory and the oom-bot/* annotations taken out. */
  function untouched(d: V1Deployment) {
    const copy = JSON.parse(JSON.stringify(d));
    const app = copy.spec.template.spec.containers.find((c: { name: string }) => c.name === 'auth');
    delete app.resources.limits.memory;
    delete app.resources.requests.memory;
    const annotations = Object.fromEntries(
      Object.entries(copy.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('oom-bot/')),
    );
    return { spec: copy.spec, labels: copy.metadata.labels, annotations };
  }
  const authMemory = (d: V1Deployment) => {
    const r = d.spec?.template.spec?.containers.find((c) => c.name === 'auth')?.resources;
    return { limit: r?.limits?.memory, request: r?.requests?.memory };
  };

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-socket-apply-'));
    await writeScenario(dir, seedIncidentEndingNow());
    stack = await startStack({ scenarioDir: dir });
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      stringify({
        version: 1,
        approvers: { users: [APPROVER] },
        defaults: { actions: ['preview', 'apply', 'rollback'], maxMemoryLimit: '8Gi' },
      }),
    );
    socket = await startSocketModeServer();
    slack = await startFakeSlack({ socketModeUrl: () => socket.nextUrl() });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    bot = await startBot({
      args: ['start'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-socket-apply-token-abcdef',
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        KUBECONFIG: stack.kube.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheus?.url as string,
        APPROVAL_POLICY_FILE: policy,
        APPROVAL_SIGNING_KEY: TEST_SIGNING_KEY,
        ROLLOUT_TIMEOUT_SECONDS: '60',
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
    await socket.waitForConnections(1, HANG_MS);
  });

  after(async function () {
    const exit = await bot?.stop();
    await socket?.close();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await stack?.stop({ keepLogs: failed || undefined });
    await obliterate(prefix);
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (failed && bot) process.stderr.write(`bot log:\n${bot.logs().slice(-4000)}\n`);
    assert.equal(exit, 0, 'the bot exits 0 on SIGTERM');
  });

  it('an approver’s Apply click patches exactly the container’s memory, audited; the Rollback click restores it', async () => {
    const original = await readDeployment();
    const ack = await socket.send(
      slashCommandEnvelope({
        text: 'auth-service -n prod',
        channel_id: CHANNEL,
        response_url: slack.responseUrl('socket-apply-oom'),
      }),
      HANG_MS,
    );
    assert.match(String(ack.payload?.text), /Diagnosing `auth-service` in `prod`/);
    const root = await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.channel === CHANNEL && text(c).includes(ACTION_IDS.apply),
      HANG_MS,
    );
    const rootTs = String(root.args.ts);
    const blocks = root.args.blocks as unknown[];
    const planId = buttonValue(blocks, ACTION_IDS.apply);
    assert.ok(planId, 'the Apply button carries a plan id');
    const plan = await plans().getPlan(planId);
    assert.ok(plan?.memory, 'a memory plan is stored for the button');
    assert.deepEqual(authMemory(original), plan.memory.from);

    // Apply, clicked by the approver over the WebSocket
    const generation = original.metadata?.generation ?? 0;
    const rollout = simulateRollout(
      (stack as Stack).kube.kubeConfig,
      'prod',
      'auth-service',
      generation,
      60_000,
    );
    const applyAck = await socket.send(
      blockActionsEnvelope({
        user: approver,
        channel: { id: CHANNEL, name: 'socket-apply' },
        message: { ts: rootTs, blocks },
        response_url: slack.responseUrl('socket-apply-click'),
        action: { action_id: ACTION_IDS.apply, value: planId },
      }),
      HANG_MS,
    );
    assert.ok(applyAck.envelope_id, 'the click is acknowledged by its envelope_id');
    await slack.waitFor(inThread(rootTs, new RegExp(`<@${APPROVER}> approved \\*Apply\\*`)), HANG_MS);
    const applied = await slack.waitFor(
      inThread(rootTs, new RegExp(`\\*Applied\\* by <@${APPROVER}>`)),
      HANG_MS,
    );
    await rollout;
    await slack.waitFor(inThread(rootTs, /\*Rolled out\*/), HANG_MS);

    const patched = await readDeployment();
    assert.deepEqual(authMemory(patched), plan.memory.to, 'the live Deployment has the planned memory');
    assert.deepEqual(untouched(patched), untouched(original), 'and nothing else moved');
    assert.equal(patched.metadata?.generation, generation + 1, 'patched once');
    const audit = patched.metadata?.annotations ?? {};
    assert.equal(audit['oom-bot/action'], 'apply');
    assert.equal(audit['oom-bot/approved-by'], APPROVER);
    assert.equal(audit['oom-bot/container'], 'auth');
    assert.equal(
      audit['oom-bot/previous-memory'],
      `limit=${plan.memory.from.limit ?? 'unset'} request=${plan.memory.from.request ?? 'unset'}`,
    );
    assert.equal(audit['oom-bot/incident'], plan.incidentId);

    // Rollback, clicked on the "Applied" message in the thread
    const changeId = buttonValue(applied.args.blocks as unknown[], ACTION_IDS.rollback);
    assert.ok(changeId, 'the Applied message carries a Rollback button');
    const change = await plans().getChange(changeId);
    assert.ok(change?.messageTs, 'the change knows the message its button is on');
    const back = simulateRollout(
      (stack as Stack).kube.kubeConfig,
      'prod',
      'auth-service',
      generation + 1,
      60_000,
    );
    const rollbackAck = await socket.send(
      blockActionsEnvelope({
        user: approver,
        channel: { id: CHANNEL, name: 'socket-apply' },
        message: { ts: change.messageTs, thread_ts: rootTs, blocks: applied.args.blocks as unknown[] },
        response_url: slack.responseUrl('socket-rollback-click'),
        action: { action_id: ACTION_IDS.rollback, value: changeId },
      }),
      HANG_MS,
    );
    assert.ok(rollbackAck.envelope_id);
    await slack.waitFor(inThread(rootTs, new RegExp(`\\*Rolled back\\* by <@${APPROVER}>`)), HANG_MS);
    await back;
    const restored = await readDeployment();
    assert.deepEqual(authMemory(restored), authMemory(original), 'the memory is what it was');
    assert.deepEqual(restored.spec, original.spec, 'the whole spec is what it was');
    assert.equal(restored.metadata?.annotations?.['oom-bot/action'], 'rollback');
    assert.equal(restored.metadata?.annotations?.['oom-bot/approved-by'], APPROVER);
  });
});
