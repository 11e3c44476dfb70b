/**
 * Time to diagnosis through the real stack: `oom-bot serve` and `oom-bot worker` (the real
 * binary, production settings: 24 h window, Slack pace 1 message/s per channel) against a real
 * kube-apiserver and Prometheus holding 50 workloads, a real Redis and the fake Slack. One
 * incident at a time, alternately a signed `/oom` and an Alertmanager payload on the webhook;
 * the clock runs from the request to the root message showing the verdict (and, for reference,
 * to the first root message, "gathering evidence").
 *
 * Baselines, for the same workloads in the same run:
 * - the seed's manual runbook (lib/runbook.ts): kubectl and curl, one command after another;
 * - the physical limit of evidence collection: the bot's collectEvidence with the same live
 *   adapters, each upstream call timed; the fan-out is parallel, so the whole should take little
 *   more than its slowest call.
 */
import { collectEvidence, type EvidenceSources } from '../src/evidence.ts';
import { resolveTarget } from '../src/sources/cluster.ts';
import { createKubernetesLister } from '../src/sources/kubernetes.ts';
import type { ObjectLister } from '../src/sources/ports.ts';
import { createPrometheusSource } from '../src/sources/prometheus.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../test/support/fake-slack.ts';
import { oomAlert, webhookPayload } from './lib/alerts.ts';
import { askOom } from './lib/load.ts';
import {
  botEnv,
  clearPrefix,
  type Measured,
  runPrefix,
  startWeb,
  startWorker,
  WEBHOOK_TOKEN,
} from './lib/processes.ts';
import { runbookCacheDir, runRunbook } from './lib/runbook.ts';
import { type BenchStack, type BenchWorkload, ensureKubectl, WORKLOADS } from './lib/stack.ts';
import { fmtMs, fmtRatio, fmtSpread, median, quantile } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const ALERT_CHANNEL = 'C0TTDALERTS';
const RUNBOOK_GOAL = 0.25;
const EVIDENCE_GOAL = 1.5;
const VERDICT_P50_GOAL = 1.25;
const VERDICT_P95_GOAL = 1.5;

const hasVerdict = (c: SlackCall) => JSON.stringify(c.args.blocks ?? '').includes('"block_id":"oom_verdict"');

async function trigger(web: Measured, slack: FakeSlack, w: BenchWorkload, i: number, channel: string) {
  if (i % 2 === 0) {
    await askOom(web.url, w, channel, slack.responseUrl(`ttd-${i}`));
    return;
  }
  const index = WORKLOADS.findIndex((x) => x.workload === w.workload);
  const alert = oomAlert({ ...w, workloadIndex: index, podIndex: 0, nowMs: Date.now() });
  alert.labels.pod = w.pods[0] ?? alert.labels.pod ?? '';
  const res = await fetch(`${web.url}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: webhookPayload([alert], `ttd-${i}`),
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status} ${await res.text()}`);
}

interface EvidenceTiming {
  wallMs: number;
  slowestMs: number;
  calls: number;
}

/** collectEvidence through the live adapters, every upstream call timed. */
async function timeEvidence(sources: EvidenceSources, w: BenchWorkload): Promise<EvidenceTiming> {
  const calls: number[] = [];
  const timed = <T>(p: Promise<T>): Promise<T> => {
    const started = performance.now();
    return p.finally(() => calls.push(performance.now() - started));
  };
  const cluster: ObjectLister = {
    name: sources.cluster.name,
    list: (kind, ns, options) => timed(sources.cluster.list(kind, ns, options)),
    get: (kind, ns, name) => timed(sources.cluster.get(kind, ns, name)),
  };
  const metrics = {
    name: sources.metrics.name,
    queryRange: (...a: Parameters<typeof sources.metrics.queryRange>) =>
      timed(sources.metrics.queryRange(...a)),
  };
  const target = await resolveTarget(sources.cluster, { name: w.workload, namespace: w.namespace });
  const started = performance.now();
  const evidence = await collectEvidence({ cluster, metrics }, target, { at: Date.now() / 1000 });
  const wallMs = performance.now() - started;
  if (evidence.gaps.length > 0) throw new Error(`evidence has gaps: ${JSON.stringify(evidence.gaps)}`);
  return { wallMs, slowestMs: Math.max(...calls), calls: calls.length };
}

async function runOnce(ctx: RunContext, index: number): Promise<RunResult> {
  const stack: BenchStack = await ctx.stack();
  const kubectl = await ensureKubectl();
  const perRun = ctx.quick ? 6 : 10;
  const slack = await startFakeSlack();
  const prefix = runPrefix('ttd');
  const started: Measured[] = [];
  const samples: Record<string, number[]> = {
    verdict: [],
    root: [],
    runbook: [],
    evidenceRatio: [],
    evidence: [],
    slowest: [],
  };
  const steps = new Map<string, number[]>();
  try {
    const env = botEnv({
      prefix,
      slackApiUrl: slack.apiUrl,
      extra: {
        ALERTMANAGER_TOKEN: WEBHOOK_TOKEN,
        OOM_CHANNEL: ALERT_CHANNEL,
        KUBECONFIG: stack.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheusUrl,
      },
    });
    const web = await startWeb(env);
    started.push(web);
    started.push(await startWorker(env));
    const sources: EvidenceSources = {
      cluster: createKubernetesLister(stack.kubeConfig),
      metrics: createPrometheusSource(stack.prometheusUrl),
    };
    const cacheDir = runbookCacheDir();
    // warm both sides once (connections, kubectl's discovery cache) on a workload not measured
    const warm = stack.workloads[49] as BenchWorkload;
    await runRunbook(warm, {
      kubectl,
      kubeconfig: stack.kubeconfigPath,
      prometheusUrl: stack.prometheusUrl,
      at: stack.at,
      cacheDir,
    });
    await timeEvidence(sources, warm);
    // and the bot: its worker's first diagnosis loads the Kubernetes client and opens connections
    // (about half a second), as kubectl's first run fills its discovery cache
    const warmChannel = `C0TTD${index}WARM`;
    await trigger(web, slack, warm, 0, warmChannel);
    await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.channel === warmChannel && hasVerdict(c),
      60_000,
    );
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === warmChannel,
      60_000,
    );
    for (let i = 0; i < perRun; i++) {
      const w = stack.workloads[(index * perRun + i) % 48] as BenchWorkload;
      const channel = i % 2 === 0 ? `C0TTD${index}X${i}` : ALERT_CHANNEL;
      const before = slack.calls().length;
      const t0 = Date.now();
      await trigger(web, slack, w, i, channel);
      const fresh = (c: SlackCall) => slack.calls().indexOf(c) >= before;
      const root = await slack.waitFor(
        (c) => fresh(c) && c.method === 'chat.postMessage' && c.args.channel === channel && !c.args.thread_ts,
        60_000,
      );
      const verdict = await slack.waitFor(
        (c) => fresh(c) && c.method === 'chat.update' && c.args.channel === channel && hasVerdict(c),
        60_000,
      );
      samples.root?.push(root.at - t0);
      samples.verdict?.push(verdict.at - t0);
      // the thread (replies, chart) finishes before the next incident starts
      await slack.waitFor((c) => fresh(c) && c.method === 'files.completeUploadExternal', 60_000);
      await new Promise((r) => setTimeout(r, 1100));
      const book = await runRunbook(w, {
        kubectl,
        kubeconfig: stack.kubeconfigPath,
        prometheusUrl: stack.prometheusUrl,
        at: stack.at,
        cacheDir,
      });
      samples.runbook?.push(book.reduce((s, x) => s + x.ms, 0));
      for (const s of book) steps.set(s.what, [...(steps.get(s.what) ?? []), s.ms]);
      const ev = await timeEvidence(sources, w);
      samples.evidence?.push(ev.wallMs);
      samples.slowest?.push(ev.slowestMs);
      samples.evidenceRatio?.push(ev.wallMs / ev.slowestMs);
      ctx.log(
        `ttd: ${w.namespace}/${w.workload} ${i % 2 === 0 ? '/oom' : 'alert'}: verdict ${verdict.at - t0} ms, runbook ${(samples.runbook?.at(-1) ?? 0).toFixed(0)} ms, evidence ${ev.wallMs.toFixed(0)} ms / slowest call ${ev.slowestMs.toFixed(0)} ms`,
      );
    }
    const s = (k: string) => samples[k] ?? [];
    const figures: Record<string, number> = {
      verdictP50: median(s('verdict')),
      verdictP95: quantile(s('verdict'), 0.95),
      rootP50: median(s('root')),
      runbookP50: median(s('runbook')),
      ratioRunbook: median(s('verdict')) / median(s('runbook')),
      evidenceP50: median(s('evidence')),
      slowestP50: median(s('slowest')),
      ratioEvidence: median(s('evidenceRatio')),
    };
    for (const [what, ms] of steps) figures[`step:${what}`] = median(ms);
    return { figures, samples };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await slack.close();
    await clearPrefix(prefix);
  }
}

function render(agg: Aggregate): string {
  const f = (name: string) => agg.figure(name);
  const pooled = (name: string) => agg.samples(name);
  const n = pooled('verdict').length;
  const p = (name: string, q: number) => fmtMs(quantile(pooled(name), q));
  const stepNames = [
    'kubectl describe pod',
    'kubectl get pods: terminated reasons',
    'kubectl get deployment: resources',
    'curl Prometheus: 24 h of memory',
    'kubectl describe node',
    'kubectl get node: conditions',
  ];
  const ratioRunbook = quantile(pooled('verdict'), 0.5) / quantile(pooled('runbook'), 0.5);
  return [
    `${n} incidents over ${agg.runs} run(s), one at a time, alternately \`/oom\` and an Alertmanager payload, through \`oom-bot serve\` + \`oom-bot worker\` ` +
      'against the real kube-apiserver, Prometheus (50 workloads, 24 h of history), Redis and the fake Slack, with production settings. ' +
      'Pooled percentiles over all incidents; per-run medians in brackets as the spread.',
    '',
    table(
      ['', 'p50', 'p95', 'per-run p50 (range)'],
      [
        [
          'request → root message with the verdict',
          p('verdict', 0.5),
          p('verdict', 0.95),
          fmtSpread(f('verdictP50'), fmtMs),
        ],
        [
          'request → first root message ("gathering evidence")',
          p('root', 0.5),
          p('root', 0.95),
          fmtSpread(f('rootP50'), fmtMs),
        ],
        [
          'manual runbook, kubectl + curl (baseline)',
          p('runbook', 0.5),
          p('runbook', 0.95),
          fmtSpread(f('runbookP50'), fmtMs),
        ],
        [
          `**bot / runbook** (goal ≤ ${RUNBOOK_GOAL}x)`,
          `**${fmtRatio(ratioRunbook)}**`,
          '',
          fmtSpread(f('ratioRunbook'), fmtRatio),
        ],
      ],
    ),
    '',
    'The runbook, step by step (median of each command, a fresh process each, kubectl discovery cache warm):',
    '',
    table(
      ['step', 'median'],
      stepNames.map((s) => [s, fmtSpread(f(`step:${s}`), fmtMs)]),
    ),
    '',
    'Evidence collection against its physical limit (the same live adapters, in the benchmark process, each upstream call timed):',
    '',
    table(
      ['', 'p50', 'p95'],
      [
        [
          'collectEvidence (cluster snapshot + ~15 Prometheus range queries)',
          p('evidence', 0.5),
          p('evidence', 0.95),
        ],
        ['its slowest single upstream call', p('slowest', 0.5), p('slowest', 0.95)],
        [
          `**request → verdict / slowest call** (goal ≤ ${VERDICT_P50_GOAL}x at p50, ≤ ${VERDICT_P95_GOAL}x at p95)`,
          `**${fmtRatio(verdictOverSlowest(agg, 0.5))}**`,
          `**${fmtRatio(verdictOverSlowest(agg, 0.95))}**`,
        ],
        [
          `**evidence / slowest call** (goal ≤ ${EVIDENCE_GOAL}x)`,
          `**${fmtRatio(quantile(pooled('evidenceRatio'), 0.5))}**`,
          fmtRatio(quantile(pooled('evidenceRatio'), 0.95)),
        ],
      ],
    ),
  ].join('\n');
}

/** The time to the verdict against the slowest single upstream call, at the same quantile. */
function verdictOverSlowest(agg: Aggregate, q: number): number {
  return quantile(agg.samples('verdict'), q) / quantile(agg.samples('slowest'), q);
}

function headlines(agg: Aggregate): Headline[] {
  const v = agg.samples('verdict');
  const ratio = quantile(v, 0.5) / quantile(agg.samples('runbook'), 0.5);
  const ev = quantile(agg.samples('evidenceRatio'), 0.5);
  return [
    {
      id: 'ttd-runbook',
      label: 'Time to diagnosis (request → verdict on the root), bot / manual runbook',
      value: `${fmtRatio(ratio)} (p50 ${fmtMs(quantile(v, 0.5))}, p95 ${fmtMs(quantile(v, 0.95))}; runbook p50 ${fmtMs(quantile(agg.samples('runbook'), 0.5))})`,
      goal: `≤ ${RUNBOOK_GOAL}x`,
      met: ratio <= RUNBOOK_GOAL,
    },
    {
      id: 'ttd-slowest-call',
      label: 'Time to diagnosis (request → verdict on the root), bot / its slowest upstream call',
      value: `p50 ${fmtRatio(verdictOverSlowest(agg, 0.5))}, p95 ${fmtRatio(verdictOverSlowest(agg, 0.95))}`,
      goal: `≤ ${VERDICT_P50_GOAL}x at p50, ≤ ${VERDICT_P95_GOAL}x at p95`,
      met:
        verdictOverSlowest(agg, 0.5) <= VERDICT_P50_GOAL && verdictOverSlowest(agg, 0.95) <= VERDICT_P95_GOAL,
    },
    {
      id: 'ttd-evidence',
      label: 'Evidence collection / its slowest upstream call',
      value: `${fmtRatio(ev)} (p50 ${fmtMs(quantile(agg.samples('evidence'), 0.5))} vs ${fmtMs(quantile(agg.samples('slowest'), 0.5))})`,
      goal: `≤ ${EVIDENCE_GOAL}x`,
      met: ev <= EVIDENCE_GOAL,
    },
  ];
}

export const timeToDiagnosisSuite: Suite = {
  name: 'time-to-diagnosis',
  title: 'Time to diagnosis through the real stack',
  runs: (quick) => (quick ? 1 : 2),
  runOnce,
  render,
  headlines,
};
