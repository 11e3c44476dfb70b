/**
 * Alert storm: 1,000 alerts (50 workloads × 10 pods × {OOMKilled, CrashLoop after OOM}) posted to
 * a real Alertmanager 0.25 in 10 bursts of 100, grouped and delivered with the shipped receiver
 * configuration (group_wait 1 s, group_interval 2 s) to `oom-bot serve`; `oom-bot worker` diagnoses
 * against the real kube-apiserver and Prometheus, at production settings (4 jobs at once, Slack's
 * pace of one message per second per channel), into 5 channels (one per namespace, CHANNEL_ROUTES).
 *
 * Figures: the time until every incident has its root message, until every root shows its verdict
 * and its 20 alerts; the most Slack messages in any 1 s per channel (Slack's pace: 1); the peak RSS
 * of the web and worker processes. Baseline: the floor Slack's pace sets, (messages in the busiest
 * channel - 1) × 1 s.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { createAlertIncidentStore } from '../src/incidents/alert-incidents.ts';
import { freePort } from '../test/stack/ports.ts';
import { type StoppableServer, startAlertmanager } from '../test/stack/prometheus.ts';
import { type SlackCall, startFakeSlack } from '../test/support/fake-slack.ts';
import { type AmAlert, oomAlert } from './lib/alerts.ts';
import {
  botEnv,
  clearPrefix,
  type Measured,
  REDIS_URL,
  runPrefix,
  startWeb,
  startWorker,
  WEBHOOK_TOKEN,
} from './lib/processes.ts';
import { sampleRss } from './lib/rss.ts';
import { type BenchStack, WORKLOADS } from './lib/stack.ts';
import { fmt, fmtMiB, fmtRatio, fmtSpread, maxInWindow } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const SHIPPED_RECEIVER = resolve(import.meta.dirname, '../manifests/alerts/alertmanager-receiver.yaml');
const NAMESPACES = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e'];
const channelOf = (ns: string) => `C0STORM${ns.slice(-1).toUpperCase()}`;
const ROUTES = NAMESPACES.map((ns) => `namespace=${ns}:${channelOf(ns)}`).join(',');
const SLACK_PACE_MS = 1000;
const CONCURRENCY = Number(process.env.BENCH_STORM_CONCURRENCY ?? 16);
const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'files.completeUploadExternal']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alertmanagerConfig(botUrl: string, tokenFile: string): string {
  const config = parse(readFileSync(SHIPPED_RECEIVER, 'utf8'));
  const route = config.route.routes[0];
  Object.assign(route, {
    group_by: ['namespace', 'alertname'],
    group_wait: '1s',
    group_interval: '2s',
    repeat_interval: '1h',
  });
  const webhook = config.receivers.find((r: { name: string }) => r.name === 'oom-bot').webhook_configs[0];
  webhook.url = `${botUrl}/alertmanager`;
  webhook.http_config.authorization.credentials_file = tokenFile;
  return stringify(config);
}

/** 20 alerts per workload, shuffled deterministically into 10 bursts of 100. */
function stormBursts(stack: BenchStack, nowMs: number): AmAlert[][] {
  const alerts: AmAlert[] = [];
  stack.workloads.forEach((w, wi) => {
    for (let p = 0; p < 10; p++)
      for (const crashLoop of [false, true])
        alerts.push(oomAlert({ ...w, workloadIndex: wi, podIndex: p, crashLoop, nowMs }));
  });
  const order = alerts.map((a, i) => ({ a, k: (i * 7919) % 1009 })).sort((x, y) => x.k - y.k);
  const bursts: AmAlert[][] = [];
  for (let i = 0; i < order.length; i += 100) bursts.push(order.slice(i, i + 100).map((x) => x.a));
  return bursts;
}

/** The worker's own view of its V8 heap (prom-client's default metrics on its /metrics), at its peak. */
function sampleHeap(url: string): { stop(): { used: number; total: number } } {
  const peak = { used: 0, total: 0 };
  const read = (text: string, name: string) =>
    Number(new RegExp(`^oom_bot_nodejs_heap_size_${name}_bytes (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const timer = setInterval(() => {
    fetch(url)
      .then((r) => r.text())
      .then((text) => {
        peak.used = Math.max(peak.used, read(text, 'used'));
        peak.total = Math.max(peak.total, read(text, 'total'));
      })
      .catch(() => undefined);
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return { ...peak };
    },
  };
}

const folded = (blocks: unknown) =>
  Number(/:repeat: (\d+) alerts? folded into this incident/.exec(JSON.stringify(blocks ?? ''))?.[1] ?? 0);

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const stack = await ctx.stack();
  const slack = await startFakeSlack();
  const prefix = runPrefix('storm');
  const started: Measured[] = [];
  let am: StoppableServer | undefined;
  const redis = new Redis(REDIS_URL);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'oom-bench-am-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, WEBHOOK_TOKEN);
    const port = await freePort();
    am = await startAlertmanager({ configYaml: alertmanagerConfig(`http://127.0.0.1:${port}`, tokenFile) });
    const env = botEnv({
      prefix,
      slackApiUrl: slack.apiUrl,
      extra: {
        ALERTMANAGER_TOKEN: WEBHOOK_TOKEN,
        OOM_CHANNEL: 'C0STORMDEFAULT',
        CHANNEL_ROUTES: ROUTES,
        WORKER_CONCURRENCY: String(CONCURRENCY),
        // the storm measures 50 threads at Slack's pace, not the per-channel cap on new incidents
        ALERT_MAX_NEW_INCIDENTS: '100',
        KUBECONFIG: stack.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheusUrl,
      },
    });
    const web = await startWeb(env, port);
    started.push(web);
    const worker = await startWorker(env);
    started.push(worker);
    await sleep(3000);
    const webRss = sampleRss(web.pid);
    const workerRss = sampleRss(worker.pid);
    const heap = sampleHeap(`${worker.url}/metrics`);
    const store = createAlertIncidentStore(redis, prefix);
    const t0 = Date.now();
    for (const burst of stormBursts(stack, t0)) {
      const res = await fetch(`${am.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(burst),
      });
      if (res.status !== 200) throw new Error(`Alertmanager refused alerts: ${await res.text()}`);
      await sleep(300);
    }
    ctx.log('storm: 1,000 alerts posted to Alertmanager; waiting for every incident');
    const isRoot = (c: SlackCall) => c.method === 'chat.postMessage' && c.ok && !c.args.thread_ts;
    let allRootsAt = 0;
    let allVerdictsAt = 0;
    const deadline = t0 + 600_000;
    for (;;) {
      const calls = slack.calls();
      if (!allRootsAt && calls.filter(isRoot).length >= WORKLOADS.length) allRootsAt = Date.now();
      const states = await Promise.all(
        stack.workloads.map((w) => store.get(`/${w.namespace}/${w.workload}/${w.container}`)),
      );
      const messages = states.map((s) => (s?.rootTs ? slack.message(s.channel, s.rootTs) : undefined));
      const verdicts = messages.filter((m) => JSON.stringify(m?.blocks ?? '').includes('oom_verdict')).length;
      if (!allVerdictsAt && verdicts === WORKLOADS.length) allVerdictsAt = Date.now();
      const counted =
        states.every((s) => s?.alerts === 20) && messages.every((m) => folded(m?.blocks) === 20);
      if (allVerdictsAt && counted) break;
      if (Date.now() > deadline)
        throw new Error(
          `storm not settled in 600 s: ${verdicts} verdicts, ${calls.filter(isRoot).length} roots`,
        );
      await sleep(200);
    }
    const doneAt = Date.now();
    const peakWeb = webRss.stop();
    const peakWorker = workerRss.stop();
    const heapPeak = heap.stop();
    // what the channels saw, up to the moment everything was shown
    const messages = slack.calls().filter((c) => MESSAGE_METHODS.has(c.method) && c.at <= doneAt);
    const byChannel = new Map<string, number[]>();
    for (const c of messages) {
      const channel = String(c.args.channel ?? c.args.channel_id ?? '');
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), c.at]);
    }
    const maxPerSecond = Math.max(
      ...[...byChannel.values()].map((times) => maxInWindow(times, SLACK_PACE_MS)),
    );
    const busiest = Math.max(...[...byChannel.values()].map((t) => t.length));
    const paceFloorMs = (busiest - 1) * SLACK_PACE_MS;
    const rateLimited = slack.calls().filter((c) => c.error === 'ratelimited').length;
    const roots = slack.calls().filter(isRoot).length;
    return {
      figures: {
        allRootsS: (allRootsAt - t0) / 1000,
        allVerdictsS: (allVerdictsAt - t0) / 1000,
        allDoneS: (doneAt - t0) / 1000,
        paceFloorS: paceFloorMs / 1000,
        ratioPace: (doneAt - t0) / paceFloorMs,
        maxPerSecond,
        busiest,
        channels: byChannel.size,
        roots,
        rateLimited,
        webPeakRss: peakWeb.rss,
        webHwm: peakWeb.hwm,
        workerPeakRss: peakWorker.rss,
        workerHwm: peakWorker.hwm,
        workerHeapUsed: heapPeak.used,
        workerHeapTotal: heapPeak.total,
      },
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await am?.stop();
    await slack.close();
    redis.disconnect();
    await clearPrefix(prefix);
  }
}

function render(agg: Aggregate): string {
  const f = (name: string) => agg.figure(name);
  const s = (name: string) => fmtSpread(f(name), (v) => fmt(v, 's'));
  return [
    '1,000 OOM alerts (50 workloads × 10 pods × 2 alert names) posted to a real Alertmanager 0.25 in 10 bursts of 100, ' +
      'delivered with the shipped receiver configuration (group_wait 1 s, group_interval 2 s) to `oom-bot serve`; one `oom-bot worker` ' +
      `(WORKER_CONCURRENCY=${CONCURRENCY}) diagnoses from the real kube-apiserver and Prometheus and posts at Slack's pace (1 message/s per channel) into ` +
      `5 channels. Time from the first burst. Median over ${agg.runs} run(s), range in brackets.`,
    '',
    table(
      ['', 'value'],
      [
        ['every incident has its root message', s('allRootsS')],
        ['every root shows its verdict', s('allVerdictsS')],
        ['every root shows its verdict and all 20 of its alerts (done)', s('allDoneS')],
        ["Slack's pace floor: (messages in the busiest channel − 1) × 1 s (baseline)", s('paceFloorS')],
        ['**done / pace floor**', `**${fmtSpread(f('ratioPace'), fmtRatio)}**`],
        ['root messages (one per incident)', fmtSpread(f('roots'), (v) => fmt(v))],
        ['messages in the busiest channel until done', fmtSpread(f('busiest'), (v) => fmt(v))],
        [
          "**most Slack messages in any 1 s, per channel** (Slack's pace: 1)",
          `**${fmtSpread(f('maxPerSecond'), (v) => fmt(v))}**`,
        ],
        ['answers 429 from Slack', fmtSpread(f('rateLimited'), (v) => fmt(v))],
        ['peak RSS, web (`serve`), sampled every 100 ms', fmtSpread(f('webPeakRss'), fmtMiB)],
        ['peak RSS, worker, sampled every 100 ms', fmtSpread(f('workerPeakRss'), fmtMiB)],
        [
          "worker's V8 heap at its peak (used / reserved, from its /metrics every 1 s)",
          `${fmtSpread(f('workerHeapUsed'), fmtMiB)} / ${fmtSpread(f('workerHeapTotal'), fmtMiB)}`,
        ],
      ],
    ),
  ].join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  const f = (name: string) => agg.figure(name);
  return [
    {
      id: 'storm-time',
      label: "Alert storm (1,000 alerts, 50 incidents): done / Slack's pace floor",
      value: `${fmtRatio(f('ratioPace').median)} (all roots ${fmt(f('allRootsS').median, 's')}, all verdicts and counters ${fmt(f('allDoneS').median, 's')})`,
    },
    {
      id: 'storm-pace',
      label: 'Most Slack messages in any 1 s per channel',
      value: `${fmt(f('maxPerSecond').max)} (worst run)`,
      goal: "≤ 1 (Slack's pace)",
      met: f('maxPerSecond').max <= 1,
    },
  ];
}

export const stormSuite: Suite = {
  name: 'storm',
  title: 'Alert storm through the real Alertmanager',
  runs: (quick) => (quick ? 1 : 2),
  runOnce,
  render,
  headlines,
};
