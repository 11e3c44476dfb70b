/**
 * One authenticated Alertmanager delivery of 10,000 OOM alerts, each for a different workload,
 * through the real webhook of the real binary (`oom-bot start`, real Redis, fake Slack): the
 * channel's cap (ALERT_MAX_NEW_INCIDENTS, default 20 per ALERT_WINDOW_SECONDS) opens at most 20
 * incidents and queues at most 20 diagnoses; the rest are held, and one summary message says how
 * many, listing them in its thread. A second delivery of more alerts updates the same summary.
 * Alerts with labels past the bounds are refused, not placed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { report, waitUntil } from '../reliability/intensity.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';

const TOKEN = 'flood-alertmanager-token-0123456789';
const CHANNEL = 'C0FLOOD001';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ALERTS = 10_000;

function delivery(from: number, count: number, extraLabels: Record<string, string> = {}): string {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  return JSON.stringify({
    version: '4',
    groupKey: `flood-${from}`,
    status: 'firing',
    receiver: 'oom-bot',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.invalid',
    truncatedAlerts: 0,
    alerts: Array.from({ length: count }, (_, i) => ({
      status: 'firing',
      labels: {
        alertname: 'KubeContainerOOMKilled',
        namespace: 'shop',
        pod: `svc-${from + i}-5d8f7-x2k9p`,
        container: 'app',
        deployment: `svc-${from + i}`,
        ...extraLabels,
      },
      annotations: {},
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: (from + i).toString(16).padStart(16, '0'),
    })),
  });
}

describe('alert intake: one delivery of 10,000 alerts', function () {
  this.timeout(240_000);
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  const prefix = `oom-flood-${process.pid}-${Date.now()}`;

  const jobCount = async (name: string) => {
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
    try {
      const c = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'prioritized',
      );
      return Object.values(c).reduce((a, b) => a + b, 0);
    } finally {
      await queue.close();
    }
  };
  const post = (body: string) =>
    fetch(`${bot.url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    });
  const summaries = () =>
    slack
      .calls('chat.postMessage')
      .filter(
        (c) =>
          c.ok && c.args.channel === CHANNEL && !c.args.thread_ts && /held back/.test(String(c.args.text)),
      );

  before(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-flood-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-flood-token-abcdef',
        SLACK_SIGNING_SECRET: 'flood-signing-secret-0123456789',
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        ALERTMANAGER_TOKEN: TOKEN,
        OOM_CHANNEL: CHANNEL,
        WEBHOOK_MAX_BYTES: String(16 * 1024 * 1024),
        SLACK_MIN_INTERVAL_MS: '0',
        LOG_LEVEL: 'warn',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await slack?.close();
    for (const name of ['diagnose', 'incident-updates', 'alert-held-summary']) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens at most 20 incidents, queues at most 20 diagnoses, and posts one summary listing the rest', async () => {
    const res = await post(delivery(0, ALERTS));
    const summary = (await res.json()) as { opened: number; held: number; diagnoses: number };
    assert.equal(res.status, 202);
    assert.equal(summary.opened, 20);
    assert.equal(summary.diagnoses, 20);
    assert.equal(summary.held, ALERTS - 20);
    assert.equal(await jobCount('diagnose'), 20);
    // one summary, and its thread lists every held incident
    await waitUntil('the held incidents listed', 120_000, () => {
      if (summaries().length === 0) return undefined;
      const listed = slack
        .calls('chat.postMessage')
        .filter(
          (c) =>
            c.ok && c.args.channel === CHANNEL && c.args.thread_ts && String(c.args.text).startsWith('• '),
        )
        .map((c) => String(c.args.text).split('\n').length)
        .reduce((a, b) => a + b, 0);
      return listed === ALERTS - 20 ? true : undefined;
    });
    assert.equal(summaries().length, 1);
    assert.match(String(summaries()[0]?.args.text), /9980 more OOM incidents held back/);

    // a later delivery in the same window: still 20 diagnoses, the same summary counts on
    const more = await post(delivery(ALERTS, 5));
    assert.equal(more.status, 202);
    const second = (await more.json()) as { opened: number; held: number; diagnoses: number };
    assert.deepEqual([second.opened, second.diagnoses, second.held], [0, 0, 5]);
    await waitUntil('the summary updated', 60_000, () =>
      slack.calls('chat.update').some((c) => /9985 more/.test(String(c.args.text))) ? true : undefined,
    );
    assert.equal(summaries().length, 1);
    report('alert-flood', { alerts: ALERTS, opened: summary.opened, held: summary.held, summaries: 1 });
  });

  it('refuses alerts whose labels pass the bounds (too long, too many)', async () => {
    const long = await post(delivery(20_000, 1, { team: 'x'.repeat(5000) }));
    const many = await post(
      delivery(20_001, 1, Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`l${i}`, 'v']))),
    );
    for (const res of [long, many]) {
      assert.equal(res.status, 202);
      const body = (await res.json()) as {
        unroutable: Array<{ reason: string }>;
        opened: number;
        held: number;
      };
      assert.equal(body.opened, 0);
      assert.equal(body.held, 0);
      assert.match(body.unroutable[0]?.reason ?? '', /at most/);
    }
  });
});
