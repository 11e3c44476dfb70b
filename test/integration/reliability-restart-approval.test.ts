/**
 * Reliability: the bot restarts while an approval is pending (the real binary, a real
 * kube-apiserver and Prometheus holding the seed incident, a real Redis, the fake Slack).
 *
 * `/oom auth-service` posts the diagnosis with its Apply button; the bot is SIGKILLed and started
 * again; a click from someone who is not an approver is refused and consumes nothing; then the
 * approver's Apply, sent to the new process, patches the Deployment exactly once; a second
 * approver, the same signed click replayed, and a click after another restart are all told it was
 * already used, and the Deployment's generation does not move again. The plan, its expiry and its
 * consumption live in Redis, not in the process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { stringify } from 'yaml';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { report, sleep } from '../reliability/intensity.ts';
import { writeScenario } from '../scenarios/generator.ts';
import { freePort } from '../stack/ports.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import {
  FAKE_SLACK_DEFAULTS as D,
  type FakeSlack,
  type SlackCall,
  startFakeSlack,
} from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { seedIncidentEndingNow } from '../support/live-seed.ts';
import { simulateRollout } from '../support/remediation-fixtures.ts';
import { blockActionsBody, postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'restart-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const APPROVER = 'U0APPROVER1';
const APPROVER2 = 'U0APPROVER2';
const STRANGER = 'U0STRANGER1';
const CHANNEL = 'C0RESTART01';

const text = (c: SlackCall) => JSON.stringify(c.args);

describe('reliability: the bot restarts while an approval is pending', function () {
  this.timeout(240_000);
  const prefix = `oom-rel-restart-${process.pid}-${Date.now()}`;
  let stack: Stack | undefined;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  let env: Record<string, string>;
  let port: number;
  let planId = '';
  let rootTs = '';
  const restarts: string[] = [];

  const apps = () => (stack as Stack).kube.kubeConfig.makeApiClient(AppsV1Api);
  const generation = async () =>
    (await apps().readNamespacedDeployment({ name: 'auth-service', namespace: 'prod' })).metadata
      ?.generation ?? 0;
  const clickBody = (user: string) =>
    blockActionsBody({
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: D.teamId },
      channel: { id: CHANNEL, name: 'restart' },
      message: { type: 'message', ts: rootTs, text: 'OOM', blocks: [] },
      action: { action_id: ACTION_IDS.apply, block_id: 'oom_actions', value: planId },
    });
  const restart = async (signal: NodeJS.Signals) => {
    await bot.stop(signal);
    restarts.push(signal);
    bot = await startBot({ args: ['start'], env, port });
  };
  const ephemeral = (user: string, pattern: RegExp) =>
    slack.waitFor(
      (c) => c.method === 'chat.postEphemeral' && c.args.user === user && pattern.test(text(c)),
      HANG_MS,
    );

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-restart-'));
    await writeScenario(dir, seedIncidentEndingNow());
    stack = await startStack({ scenarioDir: dir });
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      stringify({
        version: 1,
        approvers: { users: [APPROVER, APPROVER2] },
        defaults: { actions: ['preview', 'apply', 'rollback'], maxMemoryLimit: '8Gi' },
      }),
    );
    slack = await startFakeSlack();
    port = await freePort();
    env = {
      SLACK_BOT_TOKEN: 'xoxb-restart-token-abcdef',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      KUBECONFIG: stack.kube.kubeconfigPath,
      PROMETHEUS_URL: stack.prometheus?.url as string,
      APPROVAL_POLICY_FILE: policy,
      ROLLOUT_TIMEOUT_SECONDS: '30',
      SLACK_MIN_INTERVAL_MS: '50',
      LOG_LEVEL: 'info',
    };
    bot = await startBot({ args: ['start'], env, port });
  });

  after(async function () {
    await bot?.stop();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await stack?.stop({ keepLogs: failed || undefined });
    for (const name of ['diagnose', 'remediate']) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('posts the diagnosis with an Apply button', async () => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: CHANNEL,
        response_url: slack.responseUrl('restart'),
      }),
    );
    assert.match(res.body, /Diagnosing `auth-service`/);
    const root = await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.channel === CHANNEL && text(c).includes(ACTION_IDS.apply),
      HANG_MS,
    );
    rootTs = String(root.args.ts);
    planId =
      new RegExp(`"action_id":"${ACTION_IDS.apply}","value":"([A-Za-z0-9_-]{22})"`).exec(text(root))?.[1] ??
      '';
    assert.ok(planId, 'the Apply button carries a plan id');
    assert.equal(await generation(), 1);
  });

  it('after a SIGKILL and a restart: a non-approver is refused, the approver’s Apply patches once', async () => {
    await restart('SIGKILL');
    assert.equal((await postSigned(`${bot.url}/slack/events`, SECRET, clickBody(STRANGER))).status, 200);
    await ephemeral(STRANGER, /is not an approver/);
    assert.equal(await generation(), 1, 'the refused click changed nothing');

    const rollout = simulateRollout((stack as Stack).kube.kubeConfig, 'prod', 'auth-service', 1, 60_000);
    const signed = clickBody(APPROVER);
    const now = Math.floor(Date.now() / 1000);
    assert.equal(
      (await postSigned(`${bot.url}/slack/events`, SECRET, signed, { timestamp: now })).status,
      200,
    );
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === rootTs &&
        /\*Applied\* by <@U0APPROVER1>/.test(text(c)),
      HANG_MS,
    );
    await rollout;
    assert.equal(await generation(), 2, 'patched once');
    const d = await apps().readNamespacedDeployment({ name: 'auth-service', namespace: 'prod' });
    const limit = d.spec?.template.spec?.containers.find((c) => c.name === 'auth')?.resources?.limits?.memory;
    assert.notEqual(limit, '512Mi', 'the new limit is in place');

    // the very same signed request, replayed within Slack's 5-minute window: refused as a replay
    // (the (timestamp, signature) is remembered in Redis across the restart), nothing applied again
    assert.equal(
      (await postSigned(`${bot.url}/slack/events`, SECRET, signed, { timestamp: now })).status,
      401,
    );
    // the approver clicking again (a new request) is told the approval was used
    await postSigned(`${bot.url}/slack/events`, SECRET, clickBody(APPROVER));
    await ephemeral(APPROVER, /already used: you clicked Apply/);
    assert.equal(await generation(), 2, 'still patched once');
    // another approver
    await postSigned(`${bot.url}/slack/events`, SECRET, clickBody(APPROVER2));
    await ephemeral(APPROVER2, /already used: <@U0APPROVER1> clicked Apply/);
  });

  it('after another restart (SIGTERM), the used approval stays used', async () => {
    await restart('SIGTERM');
    const seen = slack.calls('chat.postEphemeral').filter((c) => c.args.user === APPROVER2).length;
    await postSigned(`${bot.url}/slack/events`, SECRET, clickBody(APPROVER2));
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postEphemeral' &&
        c.args.user === APPROVER2 &&
        slack.calls('chat.postEphemeral').filter((x) => x.args.user === APPROVER2).length > seen,
      HANG_MS,
    );
    await sleep(1000);
    assert.equal(await generation(), 2, 'no second patch');
    const applied = slack
      .calls('chat.postMessage')
      .filter((c) => c.args.thread_ts === rootTs && /\*Applied\* by/.test(text(c)));
    const clicks = slack.calls('chat.postEphemeral').length;
    report('restart-approval', {
      restarts,
      clicks: 5,
      refused: clicks,
      patches: (await generation()) - 1,
      applied: applied.length,
    });
    assert.equal(applied.length, 1, 'one Applied message');
  });
});
