/**
 * Engine: CPU per diagnosis (`diagnose()`, pure: features, six cause scorers, recommendation and
 * what-if replay, actions, chart data) on evidence built from generated scenarios, measured with
 * process.cpuUsage around many repetitions. The evidence is what the bot would collect: the
 * scenario's series evaluated by the same range queries at the step the window implies.
 *
 * Headline cases: 24 h at 15 s scrapes × 10 pods, and 7 days at 60 s × 10 pods. Scaling: the
 * window (6 h, 24 h, 72 h, 7 d at 60 s, 10 pods) and the pod count (1, 3, 10, 30 at 24 h, 15 s).
 * Baseline, same run, same evidence: one pass over every sample (the peak scan a threshold rule
 * such as Robusta's does), so the ratio says how many such passes a diagnosis costs.
 */
import { diagnose } from '../src/domain/diagnose.ts';
import type { Evidence } from '../src/domain/types.ts';
import { collectEvidence } from '../src/evidence.ts';
import { resolveTarget } from '../src/sources/cluster.ts';
import type { KubeObject } from '../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../src/sources/scenario.ts';
import { generateScenario, type ScrapeInterval } from '../test/scenarios/generator.ts';
import { fmt, fmtMs, fmtRatio, fmtSpread, growthExponent } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

export interface Case {
  id: string;
  windowHours: number;
  intervalSeconds: ScrapeInterval;
  pods: number;
}

const HEADLINE_24H: Case = { id: '24h-15s-10', windowHours: 24, intervalSeconds: 15, pods: 10 };
const HEADLINE_7D: Case = { id: '168h-60s-10', windowHours: 168, intervalSeconds: 60, pods: 10 };
const WINDOWS: Case[] = [6, 24, 72, 168].map((h) => ({
  id: `${h}h-60s-10`,
  windowHours: h,
  intervalSeconds: 60,
  pods: 10,
}));
const PODS: Case[] = [1, 3, 10, 30].map((n) => ({
  id: `24h-15s-${n}`,
  windowHours: 24,
  intervalSeconds: 15,
  pods: n,
}));
const CASES: Case[] = [
  ...new Map([HEADLINE_24H, HEADLINE_7D, ...WINDOWS, ...PODS].map((c) => [c.id, c])).values(),
];

const AT = '2026-11-24T09:30:00Z';

/** Issue goal: CPU of one diagnosis of the 24 h × 15 s × 10 pods evidence. */
const GOAL_24H_MS = 25;

export async function evidenceFor(c: Case): Promise<Evidence> {
  const s = generateScenario({
    seed: 7,
    cause: 'traffic_surge',
    variant: 'proportional',
    namespace: 'prod',
    service: 'checkout',
    workload: 'checkout',
    container: 'app',
    workloadKind: 'Deployment',
    replicas: c.pods,
    intervalSeconds: c.intervalSeconds,
    windowHours: c.windowHours,
    trafficFamily: 'http_requests_total',
    sidecar: false,
    gaps: false,
    runtime: 'none',
    recentRollout: false,
    requestBy: 'service',
    namespaceInRequest: true,
    at: AT,
  });
  const store = new Map<string, Array<{ labels: Record<string, string>; t: number[]; v: number[] }>>();
  for (const f of s.metrics) store.set(f.name, [...(store.get(f.name) ?? []), ...f.series]);
  const sources = {
    cluster: createStaticLister(s.clusterObjects as KubeObject[], c.id),
    metrics: createStaticMetrics(store, c.id),
  };
  const target = await resolveTarget(sources.cluster, { name: 'checkout', namespace: 'prod' });
  return collectEvidence(sources, target, { at: Date.parse(AT) / 1000, windowSeconds: c.windowHours * 3600 });
}

function samplesIn(e: Evidence): number {
  let n = 0;
  for (const list of Object.values(e.metrics)) {
    if (Array.isArray(list)) for (const s of list) n += s.t.length;
  }
  n += e.metrics.traffic?.series.reduce((k, s) => k + s.t.length, 0) ?? 0;
  return n;
}

/** The baseline: one pass over every sample of the evidence (peak of each series). */
function scanOnce(e: Evidence): number {
  let peak = 0;
  for (const list of Object.values(e.metrics)) {
    if (!Array.isArray(list)) continue;
    for (const s of list) for (const v of s.v) if (v > peak) peak = v;
  }
  for (const s of e.metrics.traffic?.series ?? []) for (const v of s.v) if (v > peak) peak = v;
  return peak;
}

/** CPU ms per call of fn: repeated until `budgetMs` of CPU, at least `minReps` times, after warm-up. */
function cpuPerCall(fn: () => unknown, budgetMs: number, minReps = 3): number {
  for (let i = 0; i < 2; i++) fn();
  const start = process.cpuUsage();
  let reps = 0;
  let used = 0;
  while (reps < minReps || used < budgetMs * 1000) {
    fn();
    reps++;
    const d = process.cpuUsage(start);
    used = d.user + d.system;
  }
  return used / 1000 / reps;
}

const evidence = new Map<string, Evidence>();

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const figures: Record<string, number> = {};
  for (const c of CASES) {
    let e = evidence.get(c.id);
    if (!e) {
      ctx.log(`engine: generating ${c.windowHours} h at ${c.intervalSeconds} s × ${c.pods} pods`);
      e = await evidenceFor(c);
      evidence.set(c.id, e);
    }
    const ev = e;
    let sink = 0;
    const ms = cpuPerCall(() => diagnose(ev), ctx.quick ? 400 : 1000);
    const scan = cpuPerCall(
      () => {
        sink += scanOnce(ev);
      },
      100,
      10,
    );
    if (sink < 0) ctx.log('unreachable');
    figures[`${c.id}:ms`] = ms;
    figures[`${c.id}:scan`] = scan;
    figures[`${c.id}:ratio`] = ms / scan;
    figures[`${c.id}:samples`] = samplesIn(ev);
    figures[`${c.id}:step`] = ev.window.stepSeconds;
    figures[`${c.id}:nsPerSample`] = (ms * 1e6) / samplesIn(ev);
  }
  const exp = (cases: Case[], x: (c: Case) => number) =>
    growthExponent(
      cases.map(x),
      cases.map((c) => figures[`${c.id}:ms`] as number),
    );
  figures.windowExponent = exp(WINDOWS, (c) => figures[`${c.id}:samples`] as number);
  figures.windowHoursExponent = exp(WINDOWS, (c) => c.windowHours);
  figures.podExponent = exp(PODS, (c) => c.pods);
  return { figures };
}

function label(c: Case): string {
  const w =
    c.windowHours >= 48 && c.windowHours % 24 === 0 ? `${c.windowHours / 24} d` : `${c.windowHours} h`;
  return `${w} at ${c.intervalSeconds} s × ${c.pods} pod${c.pods > 1 ? 's' : ''}`;
}

function render(agg: Aggregate): string {
  const f = (name: string) => agg.figure(name);
  const row = (c: Case) => [
    label(c),
    `${fmt(f(`${c.id}:step`).median)} s`,
    fmt(f(`${c.id}:samples`).median),
    fmtSpread(f(`${c.id}:ms`), fmtMs),
    fmtSpread(f(`${c.id}:scan`), fmtMs),
    fmtSpread(f(`${c.id}:ratio`), fmtRatio),
    fmt(f(`${c.id}:nsPerSample`).median, 'ns'),
  ];
  const header = [
    'evidence',
    'query step',
    'samples',
    'CPU per diagnosis',
    'one pass over the samples (baseline)',
    'ratio',
    'CPU per sample',
  ];
  return [
    "`diagnose()` on evidence built from generated incidents (traffic surge, Deployment), the series evaluated by the bot's own range " +
      "queries at the step the window implies (Prometheus' 11,000-point cap: 15 s up to 27 h, then window / 10,000). CPU time from " +
      `process.cpuUsage over at least 1 s of repetitions after a warm-up, in the benchmark process. Median over ${agg.runs} run(s), range in brackets.`,
    '',
    table(header, [row(HEADLINE_24H), row(HEADLINE_7D)]),
    '',
    'How the cost grows with the window (10 pods, 60 s scrapes):',
    '',
    table(header, WINDOWS.map(row)),
    '',
    `Growth: CPU ∝ samples^${fmt(f('windowExponent').median)}, ∝ window^${fmt(f('windowHoursExponent').median)} (past 27 h the step widens, so each series keeps about 10,000 points).`,
    '',
    'How the cost grows with the pod count (24 h at 15 s):',
    '',
    table(header, PODS.map(row)),
    '',
    `Growth: CPU ∝ pods^${fmt(f('podExponent').median)}.`,
  ].join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  const f = (name: string) => agg.figure(name).median;
  return [
    {
      id: 'engine-24h',
      label: 'Engine CPU per diagnosis, 24 h at 15 s × 10 pods',
      value: `${fmtMs(f(`${HEADLINE_24H.id}:ms`))} = ${fmtRatio(f(`${HEADLINE_24H.id}:ratio`))} one pass over its samples`,
      goal: `≤ ${GOAL_24H_MS} ms`,
      met: f(`${HEADLINE_24H.id}:ms`) <= GOAL_24H_MS,
    },
    {
      id: 'engine-7d',
      label: 'Engine CPU per diagnosis, 7 d at 60 s × 10 pods',
      value: `${fmtMs(f(`${HEADLINE_7D.id}:ms`))} = ${fmtRatio(f(`${HEADLINE_7D.id}:ratio`))} one pass; growth ∝ samples^${fmt(f('windowExponent'))}, ∝ pods^${fmt(f('podExponent'))}`,
    },
  ];
}

export const engineSuite: Suite = {
  name: 'engine',
  title: 'Engine: CPU per diagnosis',
  runs: (quick) => (quick ? 1 : 3),
  runOnce,
  render,
  headlines,
};
