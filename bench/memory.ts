/**
 * Memory: the resident set (VmRSS) of `oom-bot serve` and `oom-bot worker` (the real binary,
 * configured as in production against the real stack) when idle, 5 s after start, next to the
 * bare Bolt app (baseline: Node 24 with @slack/bolt loaded) in the same run; under the storm,
 * the peaks the storm suite sampled. Goal: under 150 MiB each; the figure sizes the requests and
 * limits in manifests/.
 */
import { startFakeSlack } from '../test/support/fake-slack.ts';
import {
  botEnv,
  clearPrefix,
  type Measured,
  runPrefix,
  startBareBolt,
  startWeb,
  startWorker,
  WEBHOOK_TOKEN,
} from './lib/processes.ts';
import { rssOf } from './lib/rss.ts';
import { fmtMiB, fmtRatio, fmtSpread } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const GOAL_BYTES = 150 * 2 ** 20;
const SETTLE_MS = 5000;

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const stack = await ctx.stack();
  const slack = await startFakeSlack();
  const prefix = runPrefix('memory');
  const started: Measured[] = [];
  try {
    const env = botEnv({
      prefix,
      slackApiUrl: slack.apiUrl,
      extra: {
        ALERTMANAGER_TOKEN: WEBHOOK_TOKEN,
        OOM_CHANNEL: 'C0MEMORY',
        KUBECONFIG: stack.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheusUrl,
      },
    });
    const web = await startWeb(env);
    started.push(web);
    const worker = await startWorker(env);
    started.push(worker);
    const bare = await startBareBolt();
    started.push(bare);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const [w, k, b] = [rssOf(web.pid).rss, rssOf(worker.pid).rss, rssOf(bare.pid).rss] as [
      number,
      number,
      number,
    ];
    ctx.log(`memory: idle RSS web ${fmtMiB(w)}, worker ${fmtMiB(k)}, bare Bolt ${fmtMiB(b)}`);
    return { figures: { webIdle: w, workerIdle: k, bareIdle: b, webRatio: w / b, workerRatio: k / b } };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await slack.close();
    await clearPrefix(prefix);
  }
}

function verdict(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes < GOAL_BYTES ? 'under 150 MiB' : '**over 150 MiB**') : 'n/a';
}

function render(agg: Aggregate, _quick: boolean, others: ReadonlyMap<string, Aggregate>): string {
  const f = (name: string) => agg.figure(name);
  const storm = others.get('storm');
  const peak = (name: string) => (storm ? storm.figure(name) : undefined);
  const peakText = (name: string) => {
    const p = peak(name);
    return p ? fmtSpread(p, fmtMiB) : 'not measured (storm suite not run)';
  };
  return [
    `VmRSS 5 s after start (idle), median over ${agg.runs} run(s), range in brackets; under the storm: the peak sampled every 100 ms during the storm suite. ` +
      'Both bot processes run as in production (live kube-apiserver and Prometheus, webhook on, default settings; the storm worker at its storm concurrency).',
    '',
    table(
      ['', 'idle', 'idle / bare Bolt', 'under the storm (peak)', 'goal: under 150 MiB'],
      [
        [
          'web (`oom-bot serve`)',
          fmtSpread(f('webIdle'), fmtMiB),
          fmtSpread(f('webRatio'), fmtRatio),
          peakText('webPeakRss'),
          `idle ${verdict(f('webIdle').median)}; storm ${verdict(peak('webPeakRss')?.median ?? Number.NaN)}`,
        ],
        [
          'worker (`oom-bot worker`)',
          fmtSpread(f('workerIdle'), fmtMiB),
          fmtSpread(f('workerRatio'), fmtRatio),
          peakText('workerPeakRss'),
          `idle ${verdict(f('workerIdle').median)}; storm ${verdict(peak('workerPeakRss')?.median ?? Number.NaN)}`,
        ],
        ['bare Bolt app (baseline)', fmtSpread(f('bareIdle'), fmtMiB), '1x', '', ''],
      ],
    ),
  ].join('\n');
}

function headlines(agg: Aggregate, others: ReadonlyMap<string, Aggregate>): Headline[] {
  const storm = others.get('storm');
  const line = (who: string, idle: number, peak?: number): Headline => ({
    id: `memory-${who === 'worker' ? 'worker' : 'web'}`,
    label: `RSS of the ${who}, idle / under the storm`,
    value: `${fmtMiB(idle)} / ${peak === undefined ? 'n/a' : fmtMiB(peak)} (idle ${fmtRatio(idle / agg.figure('bareIdle').median)} the bare Bolt app)`,
    goal: '< 150 MiB',
    met: idle < GOAL_BYTES && (peak === undefined || peak < GOAL_BYTES),
  });
  return [
    line('web process', agg.figure('webIdle').median, storm?.figure('webPeakRss').median),
    line('worker', agg.figure('workerIdle').median, storm?.figure('workerPeakRss').median),
  ];
}

export const memorySuite: Suite = {
  name: 'memory',
  title: 'Memory of the web and worker processes',
  runs: (quick) => (quick ? 1 : 3),
  runOnce,
  render,
  headlines,
};
