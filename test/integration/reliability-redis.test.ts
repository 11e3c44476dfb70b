/**
 * Reliability: Redis stops and comes back (the real binary on a private redis-server, fake Slack).
 *
 * While Redis is down: every `/oom` is answered at once with "temporarily unavailable" (nothing
 * was started), the Alertmanager webhook answers 503 with Retry-After (Alertmanager re-sends), an
 * Apply click is told the queue does not answer and that the button still works, /readyz says 503,
 * /healthz 200, and the process stays up. Once Redis is back (empty, as a restarted Redis without
 * persistence is), the same process answers again: readiness, `/oom` with a full thread, the
 * webhook with a new incident, without a restart. That Alertmanager's own retry then delivers the
 * alert is shown with a real Alertmanager in alertmanager.test.ts ("Redis stopped while
 * Alertmanager sends").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUE_DOWN_TEXT } from '../../src/remediation/slack-actions.ts';
import { UNAVAILABLE_TEXT } from '../../src/slack-app.ts';
import { intensity, report, sleep, waitUntil } from '../reliability/intensity.ts';
import { type PrivateRedis, startPrivateRedis } from '../reliability/redis-server.ts';
import { duplicates, transcript } from '../reliability/transcript.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { blockActionsBody, postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'redis-outage-signing-secret-0123';
const TOKEN = 'redis-outage-alertmanager-token-0123';
const OOM_CHANNEL = 'C0REDISALRT';

const isRoot = (channel: string) => (c: SlackCall) =>
  c.method === 'chat.postMessage' && c.ok && c.args.channel === channel && !c.args.thread_ts;

function alertPayload(pod: string): string {
  const now = Date.now();
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="KubeContainerOOMKilled"}-${pod}`,
    status: 'firing',
    receiver: 'oom-bot',
    groupLabels: { alertname: 'KubeContainerOOMKilled' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.invalid',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'KubeContainerOOMKilled', namespace: 'prod', pod, container: 'auth' },
        annotations: {},
        startsAt: new Date(now - 10_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: Buffer.from(pod).toString('hex').slice(0, 16),
      },
    ],
  });
}

describe('reliability: Redis stops and comes back', function () {
  this.timeout(180_000);
  let redis: PrivateRedis;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  const prefix = `oom-rel-redis-${process.pid}`;

  const oom = (channel: string, id: string) =>
    postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(id),
      }),
    );
  const webhook = (pod: string) =>
    fetch(`${bot.url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: alertPayload(pod),
    });

  before(async () => {
    redis = await startPrivateRedis();
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-redis-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-redis-outage-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        ALERTMANAGER_TOKEN: TOKEN,
        OOM_CHANNEL,
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await slack?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('before: /oom is diagnosed', async () => {
    assert.equal((await oom('C0REDISBEF1', 'before')).status, 200);
    await slack.waitFor(isRoot('C0REDISBEF1'), HANG_MS);
  });

  const attempts = intensity(5, 25);
  const outcomes = { slash: 0, unavailable: 0, webhook: 0, webhook503: 0, clicks: 0, clickQueueDown: 0 };

  it(`while Redis is down: ${attempts} /oom answered "temporarily unavailable", the webhook 503, a click told to retry, the process up`, async () => {
    await redis.stop();
    await waitUntil(
      '/readyz to fail',
      HANG_MS,
      async () => (await fetch(`${bot.url}/readyz`)).status === 503,
    );
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200, 'alive, only not ready');
    const seen = slack.calls().length;
    for (let i = 0; i < attempts; i++) {
      const res = await oom(`C0REDISDOWN${i}`, `down-${i}`);
      outcomes.slash += 1;
      assert.equal(res.status, 200);
      const body = res.json as { response_type?: string; text?: string };
      assert.equal(body.response_type, 'ephemeral');
      assert.equal(body.text, UNAVAILABLE_TEXT);
      outcomes.unavailable += 1;

      const hook = await webhook(`auth-service-7d9f8b6c5d-down${i}`);
      outcomes.webhook += 1;
      assert.equal(hook.status, 503);
      assert.equal(hook.headers.get('retry-after'), '5');
      assert.match(await hook.text(), /not accepted, retry/);
      outcomes.webhook503 += 1;
    }
    // an Apply click: the plan cannot be read, the clicker is told nothing changed and to retry
    const click = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      blockActionsBody({
        action: { action_id: 'oom_apply', block_id: 'oom_actions', value: 'A'.repeat(22) },
      }),
    );
    outcomes.clicks += 1;
    assert.equal(click.status, 200);
    await slack.waitFor(
      (c) => c.method === 'chat.postEphemeral' && JSON.stringify(c.args).includes(QUEUE_DOWN_TEXT),
      HANG_MS,
    );
    outcomes.clickQueueDown += 1;
    assert.equal(bot.child.exitCode, null, 'the process is still running');
    assert.equal(
      slack
        .calls()
        .slice(seen)
        .filter((c) => c.method === 'chat.postMessage').length,
      0,
      'nothing was started',
    );
  });

  it('once Redis is back: ready again, /oom diagnosed and a new alert accepted, without a restart', async () => {
    const pid = bot.child.pid;
    await redis.start();
    await waitUntil(
      '/readyz to recover',
      HANG_MS,
      async () => (await fetch(`${bot.url}/readyz`)).status === 200,
    );
    const res = await oom('C0REDISAFT1', 'after');
    assert.match(res.body, /Diagnosing `auth-service`/);
    await slack.waitFor(isRoot('C0REDISAFT1'), HANG_MS);
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === 'C0REDISAFT1',
      HANG_MS,
    );
    const hook = await webhook('auth-service-7d9f8b6c5d-after');
    assert.equal(hook.status, 202);
    await slack.waitFor(isRoot(OOM_CHANNEL), HANG_MS);
    assert.equal(bot.child.pid, pid);
    assert.equal(bot.child.exitCode, null);
    report('redis-outage', { ...outcomes, recoveredWithoutRestart: true });
  });
});

describe('reliability: Redis stops in the middle of a diagnosis and comes back with its data', function () {
  this.timeout(180_000);
  let redis: PrivateRedis;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  let reference: string[] = [];

  const oom = async (channel: string) => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(channel),
      }),
    );
    assert.match(res.body, /Diagnosing `auth-service`/);
  };
  const finished = (channel: string) =>
    slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.ok && c.args.channel_id === channel,
      120_000,
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-redis-mid-'));
    redis = await startPrivateRedis({ persistDir: dir });
    slack = await startFakeSlack();
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-redis-mid-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: 'oom-rel-redis-mid',
        // posts spaced so that Redis can be stopped between two of them; a lost lock comes back fast
        SLACK_MIN_INTERVAL_MS: '800',
        JOB_LOCK_MS: '2000',
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await slack?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a clean run gives the reference thread', async () => {
    await oom('C0REDISMREF');
    await finished('C0REDISMREF');
    reference = transcript(slack, 'C0REDISMREF');
    assert.ok(reference.length >= 6);
  });

  it('stopped after the root, back 3 s later: the same thread, each message once, in order', async () => {
    const channel = 'C0REDISMID1';
    await oom(channel);
    await slack.waitFor(isRoot(channel), HANG_MS);
    await redis.stop();
    await sleep(3000);
    await redis.start();
    await finished(channel);
    await sleep(2000);
    const seen = transcript(slack, channel);
    report('redis-outage-mid-diagnosis', {
      outageMs: 3000,
      messages: seen.length,
      duplicates: duplicates(seen),
      missing: reference.filter((l) => !seen.includes(l)).length,
      processUp: bot.child.exitCode === null,
    });
    assert.deepEqual(seen, reference);
  });
});
