/**
 * Alerts end to end, as an SRE meets them: alerts are posted to a real Alertmanager 0.25 (its
 * /api/v2/alerts), which groups them and delivers them with the shipped receiver configuration
 * (bearer token from a file, send_resolved) to the real `oom-bot start` binary; a real Redis
 * holds queues and incidents; the fake Slack records what the channel shows.
 *
 * - one OOM alert: exactly one diagnosis thread; another pod: the root's counter; `/oom` for the
 *   workload: answered in the incident's thread; resolved: the root says so; a re-fire: the same
 *   thread again;
 * - a storm of 1,000 alerts over 50 workloads in bursts: 50 threads, every alert counted, no
 *   duplicate posts; the same storm with the bot SIGKILLed and restarted in the middle;
 * - Redis stopped while Alertmanager sends: 503, Alertmanager retries, the alert arrives once
 *   Redis is back.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { createAlertIncidentStore } from '../../src/incidents/alert-incidents.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { freePort } from '../stack/ports.ts';
import { type StoppableServer, startAlertmanager } from '../stack/prometheus.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { multiWorkloadScenario } from '../support/multi-workload-scenario.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'e2e-signing-secret-alerts-0123';
const TOKEN = 'e2e-alertmanager-token-0123456789';
const OOM_CHANNEL = 'C0OOMALERTS';
const SHIPPED_RECEIVER = resolve(import.meta.dirname, '../../manifests/alerts/alertmanager-receiver.yaml');

// ---------------------------------------------------------------------------------------------
// Helpers

interface AmAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The shipped alertmanager.yml snippet, pointed at the bot, with test-sized timings. */
async function alertmanagerConfig(botUrl: string, tokenFile: string, groupBy: string[]): Promise<string> {
  const config = parse(await readFile(SHIPPED_RECEIVER, 'utf8'));
  const route = config.route.routes[0];
  Object.assign(route, { group_by: groupBy, group_wait: '1s', group_interval: '2s', repeat_interval: '1h' });
  const webhook = config.receivers.find((r: { name: string }) => r.name === 'oom-bot').webhook_configs[0];
  webhook.url = `${botUrl}/alertmanager`;
  webhook.http_config.authorization.credentials_file = tokenFile;
  return stringify(config);
}

async function postAlerts(am: StoppableServer, alerts: AmAlert[]): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  assert.equal(res.status, 200, `Alertmanager refused the alerts: ${await res.text()}`);
}

function tokenFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oom-bot-am-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, TOKEN);
  return file;
}

function botEnv(
  prefix: string,
  slack: FakeSlack,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-e2e-token-alerts',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    OOM_CHANNEL,
    ALERTMANAGER_TOKEN: TOKEN,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const isRoot = (c: SlackCall) => c.method === 'chat.postMessage' && c.ok && !c.args.thread_ts;
const text = (value: unknown) => JSON.stringify(value ?? '');

/** ":repeat: 20 alerts folded into this incident" on a message, as a number. */
function folded(message: { blocks?: unknown[] } | undefined): number | undefined {
  const m = /:repeat: (\d+) alerts? folded into this incident/.exec(text(message?.blocks));
  return m ? Number(m[1]) : undefined;
}

/** Posts that are exact repeats of an earlier one (same channel, thread and content). */
function duplicatePosts(calls: SlackCall[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const c of calls.filter((x) => x.method === 'chat.postMessage' && x.ok)) {
    const key = `${c.args.channel}|${c.args.thread_ts ?? ''}|${text(c.args.text)}|${text(c.args.blocks)}`;
    if (seen.has(key))
      dups.push(`${c.args.channel} ${c.args.thread_ts ?? '(top)'} ${String(c.args.text).slice(0, 80)}`);
    seen.add(key);
  }
  return dups;
}

// ---------------------------------------------------------------------------------------------

describe('Alertmanager → oom-bot end to end (real Alertmanager, binary, Redis; fake Slack)', function () {
  this.timeout(180_000);
  const tokenPath = tokenFile();

  describe('one incident: thread, counter, /oom in the thread, resolved, re-fired', () => {
    let slack: FakeSlack;
    let bot: BotProcess;
    let am: StoppableServer;
    const prefix = `oom-am-e2e-${process.pid}-${Date.now()}`;
    const t0 = Date.now();
    const base = {
      alertname: 'KubeContainerOOMKilled',
      namespace: 'prod',
      container: 'auth',
      severity: 'warning',
    };
    const podA = { ...base, pod: 'auth-service-7d9f8b6c5d-x2x9z' };
    const podB = { ...base, pod: 'auth-service-7d9f8b6c5d-kq2mz' };
    let rootTs = '';

    before(async () => {
      slack = await startFakeSlack();
      const dir = mkdtempSync(join(tmpdir(), 'oom-am-seed-'));
      await writeScenario(dir, seedIncident());
      const port = await freePort();
      am = await startAlertmanager({
        configYaml: await alertmanagerConfig(`http://127.0.0.1:${port}`, tokenPath, [
          'namespace',
          'alertname',
        ]),
      });
      bot = await startBot({
        args: ['start', '--scenario', dir],
        port,
        // plans expire after 3 s, so that the later steps are not held by a pending approval
        env: botEnv(prefix, slack, { SLACK_MIN_INTERVAL_MS: '50', BUTTON_TTL_MINUTES: '0.05' }),
      });
    });

    after(async () => {
      const code = await bot?.stop();
      await am?.stop();
      await slack?.close();
      await deleteKeys(REDIS_URL, prefix);
      assert.equal(code, 0, 'the bot shuts down cleanly on SIGTERM');
    });

    it('turns one OOM alert into exactly one diagnosis thread', async () => {
      await postAlerts(am, [{ labels: podA, startsAt: iso(t0 - 60_000), endsAt: iso(t0 + 600_000) }]);
      const root = await slack.waitFor((c) => isRoot(c), HANG_MS);
      assert.equal(root.args.channel, OOM_CHANNEL);
      // the root is updated in place: its ts is the one the updates name
      rootTs = await waitUntil(
        'the root ts',
        HANG_MS,
        () =>
          slack.calls('chat.update').find((c) => c.args.channel === OOM_CHANNEL)?.args.ts as
            | string
            | undefined,
      );
      await waitUntil('the verdict with its counter', HANG_MS, () => {
        const m = slack.message(OOM_CHANNEL, rootTs);
        return /traffic surge/i.test(text(m)) && folded(m) === 1 ? m : undefined;
      });
      await slack.waitFor('files.completeUploadExternal', HANG_MS);
      const thread = slack.calls('chat.postMessage').filter((c) => c.ok && c.args.thread_ts === rootTs);
      assert.ok(thread.length >= 2, `thread replies: ${thread.length}`);
      assert.match(text(thread.map((c) => c.args)), /kubectl -n prod patch deployment\/auth-service/);
      await sleep(3000); // Alertmanager keeps re-sending the group; nothing more may appear
      assert.equal(slack.calls('chat.postMessage').filter(isRoot).length, 1, 'exactly one thread');
      assert.deepEqual(duplicatePosts(slack.calls()), []);
    });

    it('counts another pod of the same workload on the root message', async () => {
      await postAlerts(am, [{ labels: podB, startsAt: iso(t0 - 30_000), endsAt: iso(t0 + 600_000) }]);
      const m = await waitUntil('the counter at 2', HANG_MS, () => {
        const msg = slack.message(OOM_CHANNEL, rootTs);
        return folded(msg) === 2 ? msg : undefined;
      });
      assert.match(text(m), /Firing: 2 of 2 alerts active · 2 pods/);
      assert.equal(slack.calls('chat.postMessage').filter(isRoot).length, 1);
    });

    it('answers /oom for the workload in the open incident’s thread', async () => {
      const postsBefore = slack.calls('chat.postMessage').length;
      const res = await postSigned(
        `${bot.url}/slack/events`,
        SECRET,
        slashCommandBody({
          text: 'auth-service -n prod',
          channel_id: 'C0ELSEWHERE',
          response_url: slack.responseUrl('in-thread'),
        }),
      );
      assert.equal(res.status, 200);
      const note = await slack.waitFor((c) => c.method === 'response_url' && c.id === 'in-thread', HANG_MS);
      assert.match(text(note.args), /Answering in the open alert incident's thread/);
      const progress = await slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.args.thread_ts === rootTs &&
          slack.calls('chat.postMessage').indexOf(c) >= postsBefore,
        HANG_MS,
      );
      assert.equal(progress.args.channel, OOM_CHANNEL);
      assert.equal(
        slack.calls('chat.postMessage').filter((c) => c.args.channel === 'C0ELSEWHERE').length,
        0,
        'nothing posted where the command was typed',
      );
      assert.equal(slack.calls('chat.postMessage').filter(isRoot).length, 1);
    });

    it('says resolved, and when, once every alert of the incident is resolved', async () => {
      const now = Date.now();
      await postAlerts(am, [
        { labels: podA, startsAt: iso(t0 - 60_000), endsAt: iso(now) },
        { labels: podB, startsAt: iso(t0 - 30_000), endsAt: iso(now) },
      ]);
      const m = await waitUntil('the resolved root', HANG_MS, () => {
        const msg = slack.message(OOM_CHANNEL, rootTs);
        return /Resolved at \d\d:\d\d UTC: all 2 alerts of this incident resolved/.test(text(msg))
          ? msg
          : undefined;
      });
      assert.equal(folded(m), 2, 'resolutions are not counted as new alerts');
    });

    it('reopens the same thread when the alert fires again within the window', async () => {
      const threadBefore = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === rootTs).length;
      const now = Date.now();
      await postAlerts(am, [{ labels: podA, startsAt: iso(now), endsAt: iso(now + 600_000) }]);
      await waitUntil('the re-fired root', HANG_MS, () => {
        const msg = slack.message(OOM_CHANNEL, rootTs);
        return /re-fired \d\d:\d\d UTC \(1 reopen\)/.test(text(msg)) && folded(msg) === 3 ? msg : undefined;
      });
      await waitUntil('a new diagnosis in the same thread', HANG_MS, () =>
        slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === rootTs).length > threadBefore + 1
          ? true
          : undefined,
      );
      assert.equal(slack.calls('chat.postMessage').filter(isRoot).length, 1, 'still one thread');
    });

    it('opens a node incident for node MemoryPressure: a root with counters, then resolved', async () => {
      const labels = { alertname: 'KubeNodeMemoryPressure', node: 'worker-1', severity: 'warning' };
      const now = Date.now();
      await postAlerts(am, [{ labels, startsAt: iso(now - 5000), endsAt: iso(now + 600_000) }]);
      const root = await slack.waitFor((c) => isRoot(c) && /node worker-1/.test(text(c.args)), HANG_MS);
      assert.equal(root.args.channel, OOM_CHANNEL);
      assert.match(text(root.args.blocks), /1 alert folded into this incident/);
      await postAlerts(am, [{ labels, startsAt: iso(now - 5000), endsAt: iso(Date.now()) }]);
      await slack.waitFor(
        (c) =>
          c.method === 'chat.update' &&
          /Resolved at/.test(text(c.args.blocks)) &&
          /worker-1/.test(text(c.args)),
        HANG_MS,
      );
      assert.equal(
        slack.calls('chat.postMessage').filter((c) => isRoot(c) && /worker-1/.test(text(c.args))).length,
        1,
      );
    });

    it('refuses bad credentials (401) and bad envelopes (400), skips an unusable alert (202)', async () => {
      const payload = JSON.stringify({
        version: '4',
        groupKey: 'g',
        status: 'firing',
        receiver: 'r',
        alerts: [{}],
      });
      const noAuth = await fetch(`${bot.url}/alertmanager`, { method: 'POST', body: payload });
      assert.equal(noAuth.status, 401);
      const bad = await fetch(`${bot.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: payload,
      });
      // one unusable alert never refuses its group (Alertmanager does not retry a 4xx): skipped, 202
      assert.equal(bad.status, 202);
      assert.equal(((await bad.json()) as { skipped: number }).skipped, 1);
      const badEnvelope = await fetch(`${bot.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: '3', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [] }),
      });
      assert.equal(badEnvelope.status, 400);
      assert.match(await badEnvelope.text(), /version/);
    });
  });

  // -------------------------------------------------------------------------------------------
  // The storm

  const WORKLOADS = Array.from({ length: 50 }, (_, i) => ({
    namespace: `team-${'abcde'[i % 5]}`,
    workload: `svc-${String(i).padStart(2, '0')}`,
  }));
  const ROUTES = 'namespace=team-a:C0TEAMA,namespace=team-b:C0TEAMB';
  /** chat.update's budget for the workspace in the storms (scaled down with the posting pace). */
  const UPDATES_PER_MINUTE = 300;
  const channelOf = (namespace: string) =>
    namespace === 'team-a' ? 'C0TEAMA' : namespace === 'team-b' ? 'C0TEAMB' : OOM_CHANNEL;
  let stormDir = '';
  let containers = new Map<string, string>();

  /** The 50-workload scenario, generated once for both storms. */
  async function ensureStormScenario(): Promise<void> {
    if (stormDir) return;
    const generated = multiWorkloadScenario(WORKLOADS, {
      at: '2026-11-24T09:30:00Z',
      windowHours: 2,
      seed: 11,
    });
    containers = generated.containers;
    const dir = mkdtempSync(join(tmpdir(), 'oom-am-storm-'));
    await writeScenario(dir, generated.scenario);
    stormDir = dir;
  }

  /** 20 alerts per workload: 10 pods × {OOMKilled, CrashLoop after OOM}, shuffled into 10 bursts of 100. */
  function stormBursts(now: number): AmAlert[][] {
    // pod-template-hash and suffix in Kubernetes' alphabet, unique per pod
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    const chars = (n: number, width: number) => {
      let out = '';
      for (let k = 0, x = n; k < width; k++, x = Math.floor(x / alphabet.length))
        out = alphabet[x % alphabet.length] + out;
      return out;
    };
    const alerts: AmAlert[] = [];
    WORKLOADS.forEach((w, wi) => {
      const container = containers.get(`${w.namespace}/${w.workload}`) ?? 'app';
      for (let p = 0; p < 10; p++) {
        const pod = `${w.workload}-${chars(wi * 7919 + 104_729, 9)}-${chars(wi * 10 + p, 5)}`;
        for (const alertname of ['KubeContainerOOMKilled', 'KubeContainerCrashLoopOOM']) {
          alerts.push({
            labels: {
              alertname,
              namespace: w.namespace,
              pod,
              container,
              severity: 'warning',
              ...(alertname === 'KubeContainerCrashLoopOOM' ? { reason: 'OOMKilled' } : {}),
            },
            startsAt: iso(now - 120_000 + p * 1000),
            endsAt: iso(now + 900_000),
          });
        }
      }
    });
    // a deterministic shuffle, so that every burst touches many workloads
    const order = alerts.map((a, i) => ({ a, k: (i * 7919) % 1009 })).sort((x, y) => x.k - y.k);
    const bursts: AmAlert[][] = [];
    for (let i = 0; i < order.length; i += 100) bursts.push(order.slice(i, i + 100).map((x) => x.a));
    return bursts;
  }

  interface StormFigures {
    alertsIn: number;
    threads: number;
    counted: number;
    duplicates: string[];
    msToAllThreads: number;
    msToAllCounted: number;
    slackCalls: number;
    deliveries: number;
  }

  /** Waits until every workload has one root showing 20 alerts; returns the figures. */
  async function settleStorm(
    slack: FakeSlack,
    prefix: string,
    started: number,
    logs: () => string,
  ): Promise<StormFigures> {
    const redis = new Redis(REDIS_URL);
    const store = createAlertIncidentStore(redis, prefix);
    let allThreadsAt = 0;
    const roots = await waitUntil('50 roots, each counting 20 alerts', 150_000, async () => {
      const posted = slack.calls('chat.postMessage').filter(isRoot);
      if (posted.length >= WORKLOADS.length && !allThreadsAt) allThreadsAt = Date.now();
      const states = await Promise.all(
        WORKLOADS.map((w) =>
          store.get(`/${w.namespace}/${w.workload}/${containers.get(`${w.namespace}/${w.workload}`)}`),
        ),
      );
      if (states.some((s) => !s?.rootTs || s.alerts !== 20)) return undefined;
      const shown = states.map((s) => folded(slack.message(s?.channel ?? '', s?.rootTs ?? '')));
      return shown.every((n) => n === 20) ? states : undefined;
    });
    const allCountedAt = Date.now();
    const posted = slack.calls('chat.postMessage').filter(isRoot);
    for (const [i, s] of roots.entries()) {
      const w = WORKLOADS[i] as { namespace: string };
      assert.equal(s?.channel, channelOf(w.namespace), 'routed by namespace');
    }
    const deliveries = (logs().match(/alertmanager webhook: accepted/g) ?? []).length;
    redis.disconnect();
    return {
      alertsIn: 1000,
      threads: posted.length,
      counted: roots.reduce((n, s) => n + (s?.alerts ?? 0), 0),
      duplicates: duplicatePosts(slack.calls()),
      msToAllThreads: (allThreadsAt || allCountedAt) - started,
      msToAllCounted: allCountedAt - started,
      slackCalls: slack.calls().length,
      deliveries,
    };
  }

  function assertStorm(f: StormFigures, slack: FakeSlack): void {
    assert.equal(f.threads, 50, 'exactly 50 threads');
    assert.equal(f.counted, 1000, 'every alert counted');
    const workloadsOfRoots = slack
      .calls('chat.postMessage')
      .filter(isRoot)
      .map((c) => /team-[a-e]\/svc-\d\d/.exec(text(c.args))?.[0]);
    assert.equal(new Set(workloadsOfRoots).size, 50, 'one root per workload');
    // the counters were coalesced: far fewer root updates than alerts
    const updates = slack.calls('chat.update').length;
    assert.ok(updates < 600, `chat.update calls: ${updates}`);
  }

  describe('a storm of 1,000 alerts over 50 workloads', () => {
    let slack: FakeSlack;
    let bot: BotProcess;
    let am: StoppableServer;
    const prefix = `oom-am-storm-${process.pid}-${Date.now()}`;

    before(async () => {
      await ensureStormScenario();
      slack = await startFakeSlack();
      const port = await freePort();
      am = await startAlertmanager({
        configYaml: await alertmanagerConfig(`http://127.0.0.1:${port}`, tokenPath, [
          'namespace',
          'alertname',
        ]),
      });
      bot = await startBot({
        args: ['start', '--scenario', stormDir],
        port,
        env: botEnv(prefix, slack, {
          SLACK_MIN_INTERVAL_MS: '20',
          SLACK_UPDATES_PER_MINUTE: String(UPDATES_PER_MINUTE),
          // every workload of the storm gets its thread; the cap itself is alert-flood.test.ts's
          ALERT_MAX_NEW_INCIDENTS: '100',
          WINDOW_HOURS: '2',
          WORKER_CONCURRENCY: '8',
          CHANNEL_ROUTES: ROUTES,
        }),
      });
    });

    after(async () => {
      await bot?.stop();
      await am?.stop();
      await slack?.close();
      await deleteKeys(REDIS_URL, prefix);
    });

    it('opens exactly 50 threads, counts every alert, and posts nothing twice', async () => {
      const started = Date.now();
      for (const burst of stormBursts(started)) {
        await postAlerts(am, burst);
        await sleep(300);
      }
      const f = await settleStorm(slack, prefix, started, () => bot.logs());
      process.stdout.write(`      storm: ${JSON.stringify({ ...f, duplicates: f.duplicates.length })}\n`);
      assertStorm(f, slack);
      assert.deepEqual(f.duplicates, [], 'no duplicate posts');
    });
  });

  describe('the same storm with the bot killed (SIGKILL) and restarted in the middle', () => {
    let slack: FakeSlack;
    let bot: BotProcess;
    let am: StoppableServer;
    const prefix = `oom-am-kill-${process.pid}-${Date.now()}`;
    let port = 0;
    const env = () =>
      botEnv(prefix, slack, {
        SLACK_MIN_INTERVAL_MS: '20',
        SLACK_UPDATES_PER_MINUTE: String(UPDATES_PER_MINUTE),
        // every workload of the storm gets its thread; the cap itself is alert-flood.test.ts's
        ALERT_MAX_NEW_INCIDENTS: '100',
        WINDOW_HOURS: '2',
        WORKER_CONCURRENCY: '8',
        CHANNEL_ROUTES: ROUTES,
      });
    const logs: string[] = [];

    before(async () => {
      await ensureStormScenario();
      slack = await startFakeSlack();
      port = await freePort();
      am = await startAlertmanager({
        configYaml: await alertmanagerConfig(`http://127.0.0.1:${port}`, tokenPath, [
          'namespace',
          'alertname',
        ]),
      });
      bot = await startBot({ args: ['start', '--scenario', stormDir], port, env: env() });
    });

    after(async () => {
      await bot?.stop();
      await am?.stop();
      await slack?.close();
      await deleteKeys(REDIS_URL, prefix);
    });

    it('loses nothing and doubles nothing', async () => {
      const started = Date.now();
      const bursts = stormBursts(started);
      for (const [i, burst] of bursts.entries()) {
        await postAlerts(am, burst);
        await sleep(300);
        if (i === 4) {
          // mid-storm: some threads posted, diagnoses and deliveries in flight
          await waitUntil('the first threads', HANG_MS, () =>
            slack.calls('chat.postMessage').filter(isRoot).length >= 5 ? true : undefined,
          );
          const rootsAtKill = slack.calls('chat.postMessage').filter(isRoot).length;
          logs.push(bot.logs());
          assert.equal(await bot.stop('SIGKILL'), 'SIGKILL');
          process.stdout.write(`      killed with ${rootsAtKill} threads posted\n`);
          bot = await startBot({ args: ['start', '--scenario', stormDir], port, env: env() });
        }
      }
      const f = await settleStorm(slack, prefix, started, () => logs.join('') + bot.logs());
      process.stdout.write(
        `      storm with kill: ${JSON.stringify({ ...f, duplicates: f.duplicates.length })}\n`,
      );
      if (f.duplicates.length > 0)
        process.stdout.write(`      duplicate thread posts: ${f.duplicates.join('; ')}\n`);
      assertStorm(f, slack);
      const roots = slack.calls('chat.postMessage').filter(isRoot);
      assert.equal(
        new Set(roots.map((c) => `${c.args.channel}|${text(c.args.text)}`)).size,
        roots.length,
        'no duplicate root posts',
      );
    });
  });

  // -------------------------------------------------------------------------------------------

  describe('Redis stopped while Alertmanager sends', () => {
    let slack: FakeSlack;
    let bot: BotProcess;
    let am: StoppableServer;
    let redis: ChildProcess | undefined;
    let redisPort = 0;
    const prefix = `oom-am-redis-${process.pid}`;

    const startRedis = async () => {
      redis = spawn(
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      const client = new Redis(`redis://127.0.0.1:${redisPort}`, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined); // refused until the server listens
      await waitUntil('redis-server', HANG_MS, async () => {
        try {
          await client.connect();
          return (await client.ping()) === 'PONG' ? true : undefined;
        } catch {
          client.disconnect();
          return undefined;
        }
      });
      client.disconnect();
    };
    const stopRedis = async () => {
      const r = redis;
      if (!r || r.exitCode !== null) return;
      const exited = new Promise((res) => r.once('exit', res));
      r.kill('SIGTERM');
      await exited;
    };

    before(async () => {
      redisPort = await freePort();
      await startRedis();
      slack = await startFakeSlack();
      const dir = mkdtempSync(join(tmpdir(), 'oom-am-redis-seed-'));
      await writeScenario(dir, seedIncident());
      const port = await freePort();
      am = await startAlertmanager({
        configYaml: await alertmanagerConfig(`http://127.0.0.1:${port}`, tokenPath, [
          'namespace',
          'alertname',
        ]),
      });
      bot = await startBot({
        args: ['start', '--scenario', dir],
        port,
        env: botEnv(prefix, slack, {
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          SLACK_MIN_INTERVAL_MS: '50',
        }),
      });
    });

    after(async () => {
      await bot?.stop();
      await am?.stop();
      await slack?.close();
      await stopRedis();
    });

    it('answers 503 while Redis is down; Alertmanager retries and the alert arrives once it is back', async () => {
      await stopRedis();
      const now = Date.now();
      await postAlerts(am, [
        {
          labels: {
            alertname: 'KubeContainerOOMKilled',
            namespace: 'prod',
            pod: 'auth-service-7d9f8b6c5d-x2x9z',
            container: 'auth',
          },
          startsAt: iso(now - 10_000),
          endsAt: iso(now + 600_000),
        },
      ]);
      await waitUntil('a 503 to Alertmanager', HANG_MS, () =>
        /alertmanager webhook: intake failed/.test(bot.logs()) ? true : undefined,
      );
      assert.equal(slack.calls('chat.postMessage').length, 0, 'nothing posted while Redis is down');
      await sleep(1500); // Alertmanager retries against the 503 meanwhile
      await startRedis();
      const root = await slack.waitFor(isRoot, HANG_MS);
      assert.equal(root.args.channel, OOM_CHANNEL);
      await waitUntil('the verdict', HANG_MS, () => {
        const ts = slack.calls('chat.update').find((c) => c.args.channel === OOM_CHANNEL)?.args.ts as
          | string
          | undefined;
        const m = ts ? slack.message(OOM_CHANNEL, ts) : undefined;
        return folded(m) === 1 ? m : undefined;
      });
      const failures = (bot.logs().match(/alertmanager webhook: intake failed/g) ?? []).length;
      process.stdout.write(`      503 answers while Redis was down: ${failures}\n`);
      await sleep(2000);
      assert.equal(
        slack.calls('chat.postMessage').filter(isRoot).length,
        1,
        'the alert arrived exactly once',
      );
    });
  });
});
