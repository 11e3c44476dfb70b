/**
 * Memory: the resident set (VmRSS) of `oom-bot serve` and `oom-bot worker` as the image runs them
 * (the compiled build, the manifests' NODE_OPTIONS, against the real stack) when idle, 5 s after
 * start, next to the bare Bolt app (baseline: Node 24 running a Bolt app compiled to JavaScript
 * the same way) in the same run; the worker again 5 s after its first diagnosis (the Kubernetes
 * client and the Prometheus driver load with the first job); under the storm, the peaks the storm
 * suite sampled. Goal: idle at most 1.3x the bare Bolt app; the figures size the requests and
 * limits in manifests/.
 */
import { type FakeSlack, startFakeSlack } from '../test/support/fake-slack.ts';
import { askOom } from './lib/load.ts';
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
import type { BenchWorkload } from './lib/stack.ts';
import { fmtMiB, fmtRatio, fmtSpread } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const GOAL_RATIO = 1.3;
const SETTLE_MS = 5000;
const CHANNEL = 'C0MEMORY';

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
        OOM_CHANNEL: CHANNEL,
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
    const warm = await rssAfterFirstDiagnosis(web, worker, slack, stack.workloads[0] as BenchWorkload);
    ctx.log(`memory: worker ${fmtMiB(warm)} after its first diagnosis`);
    return {
      figures: {
        webIdle: w,
        workerIdle: k,
        workerWarm: warm,
        bareIdle: b,
        webRatio: w / b,
        workerRatio: k / b,
        workerWarmRatio: warm / b,
      },
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await slack.close();
    await clearPrefix(prefix);
  }
}

/** The worker's RSS 5 s after it diagnosed one workload asked for with a signed `/oom`. */
async function rssAfterFirstDiagnosis(
  web: Measured,
  worker: Measured,
  slack: FakeSlack,
  w: BenchWorkload,
): Promise<number> {
  await askOom(web.url, w, CHANNEL, slack.responseUrl('memory'));
  await slack.waitFor(
    (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === CHANNEL,
    60_000,
  );
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return rssOf(worker.pid).rss;
}

function verdict(ratio: number): string {
  return ratio <= GOAL_RATIO ? 'met' : '**missed**';
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
    `VmRSS 5 s after start (idle), median over ${agg.runs} run(s), range in brackets; the worker again 5 s after its first diagnosis; under the storm: the peak sampled every 100 ms during the storm suite. ` +
      "Both bot processes run as the image runs them (the compiled build, the manifests' NODE_OPTIONS; live kube-apiserver and Prometheus, webhook on, default settings); " +
      'the baseline is a Bolt app with an empty `/oom` handler, compiled to JavaScript the same way.',
    '',
    table(
      [
        '',
        'idle',
        'idle / bare Bolt',
        `goal ≤ ${GOAL_RATIO}x`,
        'after its first diagnosis',
        'under the storm (peak)',
      ],
      [
        [
          'web (`oom-bot serve`)',
          fmtSpread(f('webIdle'), fmtMiB),
          fmtSpread(f('webRatio'), fmtRatio),
          verdict(f('webRatio').median),
          '',
          peakText('webPeakRss'),
        ],
        [
          'worker (`oom-bot worker`)',
          fmtSpread(f('workerIdle'), fmtMiB),
          fmtSpread(f('workerRatio'), fmtRatio),
          verdict(f('workerRatio').median),
          `${fmtSpread(f('workerWarm'), fmtMiB)} (${fmtSpread(f('workerWarmRatio'), fmtRatio)})`,
          peakText('workerPeakRss'),
        ],
        ['bare Bolt app (baseline)', fmtSpread(f('bareIdle'), fmtMiB), '1x', '', '', ''],
      ],
    ),
  ].join('\n');
}

function headlines(agg: Aggregate, others: ReadonlyMap<string, Aggregate>): Headline[] {
  const storm = others.get('storm');
  const line = (who: 'web' | 'worker', idle: number, ratio: number, peak?: number): Headline => ({
    id: `memory-${who}`,
    label: `Idle RSS of the ${who === 'web' ? 'web process' : 'worker'}, / bare Bolt app`,
    value: `${fmtRatio(ratio)} (${fmtMiB(idle)}; under the storm ${peak === undefined ? 'n/a' : fmtMiB(peak)})`,
    goal: `≤ ${GOAL_RATIO}x`,
    met: ratio <= GOAL_RATIO,
  });
  return [
    line(
      'web',
      agg.figure('webIdle').median,
      agg.figure('webRatio').median,
      storm?.figure('webPeakRss').median,
    ),
    line(
      'worker',
      agg.figure('workerIdle').median,
      agg.figure('workerRatio').median,
      storm?.figure('workerPeakRss').median,
    ),
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
