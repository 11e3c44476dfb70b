/**
 * Alert storm: 1,000 alerts (50 workloads × 10 pods × {OOMKilled, CrashLoop after OOM}) posted to
 * a real Alertmanager 0.25 in 10 bursts of 100, grouped and delivered with the shipped receiver
 * configuration (group_wait 1 s, group_interval 2 s) to `oom-bot serve`; `oom-bot worker` diagnoses
 * against the real kube-apiserver and Prometheus, at production settings (WORKER_CONCURRENCY at its
 * default, Slack's documented limits per method), into 5 channels (one per namespace, CHANNEL_ROUTES).
 *
 * Figures: the time until every incident has its root message, until every root shows its verdict,
 * and its 20 alerts, until every thread is delivered (details and chart); per Web API method, the most calls in any 1 s in one channel and in any 60 s
 * for the workspace; the peak RSS of the web and worker processes. Baseline, from the same run: the
 * floor Slack's limits set for all the calls the storm made, the larger of (messages posted in the busiest
 * channel - 1) × 1 s and chat.update's Tier 3 (50 a minute: ⌊(updates - 1) / 50⌋ × 60 s).
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
/** Unset: the worker's default WORKER_CONCURRENCY. */
const CONCURRENCY = process.env.BENCH_STORM_CONCURRENCY;
/** Methods that put a message into a channel (Slack's one-per-second pace applies to them). */
const POSTING_METHODS = new Set(['chat.postMessage', 'files.completeUploadExternal']);
/** Per method: Slack's documented limit per channel per second and per workspace per minute. */
const METHOD_LIMITS: Record<string, { perSecondInChannel?: number; perMinute: number }> = {
  'chat.postMessage': { perSecondInChannel: 1, perMinute: Number.POSITIVE_INFINITY },
  'chat.update': { perMinute: 50 },
  'files.getUploadURLExternal': { perMinute: 100 },
  'files.completeUploadExternal': { perSecondInChannel: 1, perMinute: 100 },
  'conversations.history': { perMinute: 50 },
  'conversations.replies': { perMinute: 50 },
};
const UPDATE_TIER_PER_MINUTE = 50;
/** Delivery is over once Slack heard nothing for this long. */
const QUIET_MS = 5000;
const methodKey = (m: string) => m.replace(/\./g, '_');
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
        ...(CONCURRENCY ? { WORKER_CONCURRENCY: CONCURRENCY } : {}),
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
    // the threads' details and charts follow the verdicts: wait until Slack hears nothing more
    const lastCallAt = () => Math.max(0, ...slack.calls().map((c) => c.at));
    while (Date.now() - lastCallAt() < QUIET_MS && Date.now() < deadline) await sleep(500);
    const deliveredAt = lastCallAt();
    const peakWeb = webRss.stop();
    const peakWorker = workerRss.stop();
    const heapPeak = heap.stop();
    // everything Slack was asked for the storm
    const calls = slack.calls();
    const channelOfCall = (c: SlackCall) => String(c.args.channel ?? c.args.channel_id ?? '');
    const perMethod: Record<string, number> = {};
    let limitsKept = true;
    for (const [method, limit] of Object.entries(METHOD_LIMITS)) {
      const of = calls.filter((c) => c.method === method);
      const byChannel = new Map<string, number[]>();
      for (const c of of) byChannel.set(channelOfCall(c), [...(byChannel.get(channelOfCall(c)) ?? []), c.at]);
      const perSecond = Math.max(0, ...[...byChannel.values()].map((t) => maxInWindow(t, 1000)));
      const perMinute = maxInWindow(
        of.map((c) => c.at),
        60_000,
      );
      perMethod[`${methodKey(method)}_calls`] = of.length;
      perMethod[`${methodKey(method)}_perSecondInChannel`] = perSecond;
      perMethod[`${methodKey(method)}_perMinute`] = perMinute;
      if (limit.perSecondInChannel !== undefined && perSecond > limit.perSecondInChannel) limitsKept = false;
      if (perMinute > limit.perMinute) limitsKept = false;
    }
    const posted = new Map<string, number[]>();
    for (const c of calls.filter((c) => POSTING_METHODS.has(c.method))) {
      posted.set(channelOfCall(c), [...(posted.get(channelOfCall(c)) ?? []), c.at]);
    }
    const maxPerSecond = Math.max(...[...posted.values()].map((times) => maxInWindow(times, SLACK_PACE_MS)));
    const busiest = Math.max(...[...posted.values()].map((t) => t.length));
    const updates = calls.filter((c) => c.method === 'chat.update').length;
    const postFloorMs = (busiest - 1) * SLACK_PACE_MS;
    const updateFloorMs = Math.floor(Math.max(0, updates - 1) / UPDATE_TIER_PER_MINUTE) * 60_000;
    const paceFloorMs = Math.max(postFloorMs, updateFloorMs);
    const rateLimited = slack.calls().filter((c) => c.error === 'ratelimited').length;
    const roots = slack.calls().filter(isRoot).length;
    return {
      figures: {
        allRootsS: (allRootsAt - t0) / 1000,
        allVerdictsS: (allVerdictsAt - t0) / 1000,
        allDoneS: (doneAt - t0) / 1000,
        allDeliveredS: (deliveredAt - t0) / 1000,
        ratioDelivered: (deliveredAt - t0) / paceFloorMs,
        paceFloorS: paceFloorMs / 1000,
        postFloorS: postFloorMs / 1000,
        updateFloorS: updateFloorMs / 1000,
        ratioPace: (doneAt - t0) / paceFloorMs,
        ratioVerdicts: (allVerdictsAt - t0) / paceFloorMs,
        maxPerSecond,
        busiest,
        updates,
        limitsKept: limitsKept ? 1 : 0,
        ...perMethod,
        channels: posted.size,
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

const WORKER_RSS_GOAL = 250 * 1024 * 1024;

function render(agg: Aggregate): string {
  const f = (name: string) => agg.figure(name);
  const s = (name: string) => fmtSpread(f(name), (v) => fmt(v, 's'));
  const n = (name: string) => fmtSpread(f(name), (v) => fmt(v));
  const limitText = (l: { perSecondInChannel?: number; perMinute: number }) =>
    [
      l.perSecondInChannel !== undefined ? `${l.perSecondInChannel}/s per channel` : '',
      Number.isFinite(l.perMinute) ? `${l.perMinute}/min (workspace)` : '',
    ]
      .filter(Boolean)
      .join(', ');
  return [
    '1,000 OOM alerts (50 workloads × 10 pods × 2 alert names) posted to a real Alertmanager 0.25 in 10 bursts of 100, ' +
      'delivered with the shipped receiver configuration (group_wait 1 s, group_interval 2 s) to `oom-bot serve`; one `oom-bot worker` ' +
      `(WORKER_CONCURRENCY=${CONCURRENCY ?? 'default, 4'}) diagnoses from the real kube-apiserver and Prometheus and posts into 5 channels at Slack's ` +
      'documented limits per method (posts 1/s per channel, `chat.update` 50/min for the workspace). Time from the first burst. ' +
      `Median over ${agg.runs} run(s), range in brackets.`,
    '',
    table(
      ['', 'value'],
      [
        ['every incident has its root message', s('allRootsS')],
        ['every root shows its verdict', s('allVerdictsS')],
        ['every root shows its verdict and all 20 of its alerts (done)', s('allDoneS')],
        ['every thread delivered (details and chart; Slack quiet for 5 s after)', s('allDeliveredS')],
        ['posting floor: (messages posted in the busiest channel − 1) × 1 s', s('postFloorS')],
        ['`chat.update` floor: ⌊(updates − 1) / 50⌋ × 60 s', s('updateFloorS')],
        ["**Slack's pace floor** (the larger; baseline, same run)", s('paceFloorS')],
        ['**all verdicts / pace floor** (goal ≤ 1.1x)', `**${fmtSpread(f('ratioVerdicts'), fmtRatio)}**`],
        ['done / pace floor', fmtSpread(f('ratioPace'), fmtRatio)],
        ['everything delivered / pace floor', fmtSpread(f('ratioDelivered'), fmtRatio)],
        ['root messages (one per incident)', n('roots')],
        ['messages posted in the busiest channel', n('busiest')],
        ['`chat.update` calls (all channels)', n('updates')],
        ['answers 429 from Slack', n('rateLimited')],
        ['peak RSS, web (`serve`), sampled every 100 ms', fmtSpread(f('webPeakRss'), fmtMiB)],
        [
          '**peak RSS, worker**, sampled every 100 ms (goal ≤ 250 MiB)',
          `**${fmtSpread(f('workerPeakRss'), fmtMiB)}**`,
        ],
        [
          "worker's V8 heap at its peak (used / reserved, from its /metrics every 1 s)",
          `${fmtSpread(f('workerHeapUsed'), fmtMiB)} / ${fmtSpread(f('workerHeapTotal'), fmtMiB)}`,
        ],
      ],
    ),
    '',
    "Per Web API method, over the whole storm: the most calls in any 1 s in one channel and in any 60 s for the workspace (worst run), against Slack's documented limit.",
    '',
    table(
      ['method', 'calls', 'most in 1 s, one channel', 'most in 60 s, workspace', "Slack's limit"],
      Object.entries(METHOD_LIMITS).map(([method, limit]) => {
        const k = methodKey(method);
        return [
          `\`${method}\``,
          fmt(f(`${k}_calls`).median),
          fmt(f(`${k}_perSecondInChannel`).max),
          fmt(f(`${k}_perMinute`).max),
          limitText(limit),
        ];
      }),
    ),
  ].join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  const f = (name: string) => agg.figure(name);
  return [
    {
      id: 'storm-time',
      label:
        "Alert storm (1,000 alerts, 50 incidents, default concurrency): all verdicts / Slack's pace floor",
      value: `${fmtRatio(f('ratioVerdicts').max)} worst run (all roots ${fmt(f('allRootsS').median, 's')}, verdicts ${fmt(f('allVerdictsS').median, 's')}, everything delivered ${fmt(f('allDeliveredS').median, 's')} = ${fmtRatio(f('ratioDelivered').median)}; floor ${fmt(f('paceFloorS').median, 's')})`,
      goal: '≤ 1.1x',
      met: f('ratioVerdicts').max <= 1.1,
    },
    {
      id: 'storm-pace',
      label: "Slack's limits per method (posts 1/s per channel, chat.update 50/min, files 100/min)",
      value: `${f('limitsKept').min === 1 ? 'kept' : 'exceeded'} (posts: ${fmt(f('maxPerSecond').max)}/s per channel; chat.update: ${fmt(f('chat_update_perMinute').max)}/min)`,
      goal: 'kept for every method',
      met: f('limitsKept').min === 1,
    },
    {
      id: 'storm-rss',
      label: 'Worker peak RSS under the storm (default concurrency)',
      value: fmtMiB(f('workerPeakRss').max),
      goal: '≤ 250 MiB',
      met: f('workerPeakRss').max <= WORKER_RSS_GOAL,
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
