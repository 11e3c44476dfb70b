/**
 * Forecast quality: does the scan warn about the workloads that are killed within the horizon,
 * and only about them? Cases come from the scenario generator (incidents cut off hours before
 * their first kill, healthy workloads of several shapes cut at several times) and, when the folder
 * is given, from real production memory traces. Every case runs through the same scan as the
 * bot: bulk queries over the files, screening, the full analysis of the candidates.
 *
 *   node bench/forecast.ts [--per-shape N] [--seed S] [--horizon HOURS] [--traces DIR] [--json FILE]
 *   (also the `forecast` suite of bench/run.ts)
 *
 * Prints a Markdown section: precision, recall, ETA error, per shape and overall.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Risk } from '../src/domain/forecast/types.ts';
import { scanRisks } from '../src/forecast/scan.ts';
import type { SeriesByMetric } from '../src/sources/openmetrics.ts';
import type { KubeObject } from '../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../src/sources/scenario.ts';
import { generateScenario, type ScenarioSpec } from '../test/scenarios/generator.ts';
import type { Aggregate, Headline, RunContext, RunResult, Suite } from './lib/suite.ts';

const HOUR = 3600;
let PER_SHAPE = 6;
let SEED = 11;
let HORIZON = 12 * HOUR;
const AT = '2026-11-20T12:00:00Z';
/** Hours of history kept before a cut, at the least. */
const MIN_HISTORY = 6 * HOUR;
/** Cuts per generated workload, at most: a chronic incident would otherwise outweigh the rest. */
const MAX_CUTS = 5;

interface Case {
  shape: string;
  name: string;
  /** Seconds from the cut to the first OOM kill, when one comes within the horizon. */
  killInSeconds: number | null;
  risk?: Risk;
}

interface Shape {
  name: string;
  spec: Partial<ScenarioSpec>;
  /** Incidents are cut before their first kill; healthy workloads at fixed points. */
  incident: boolean;
}

const SHAPES: Shape[] = [
  { name: 'leak (linear)', incident: true, spec: { cause: 'memory_leak', variant: 'linear' } },
  { name: 'leak (curved)', incident: true, spec: { cause: 'memory_leak', variant: 'curved' } },
  {
    name: 'leak (slow, one kill)',
    incident: true,
    spec: { cause: 'memory_leak', variant: 'slow-single-kill' },
  },
  { name: 'limit too low (spikes)', incident: true, spec: { cause: 'limit_too_low', variant: 'spikes' } },
  {
    name: 'limit too low (warm-up plateau)',
    incident: true,
    spec: { cause: 'limit_too_low', variant: 'warmup-plateau' },
  },
  { name: 'heap above the limit', incident: true, spec: { cause: 'heap_misconfigured' } },
  { name: 'traffic surge', incident: true, spec: { cause: 'traffic_surge' } },
  { name: 'node pressure', incident: true, spec: { cause: 'node_pressure' } },
  { name: 'healthy steady', incident: false, spec: { cause: 'no_oom', variant: 'no-restarts' } },
  {
    name: 'healthy traffic-following',
    incident: false,
    spec: { cause: 'no_oom', variant: 'no-restarts', tuning: { diurnalAmplitude: 0.6 } },
  },
  {
    name: 'healthy warm-up ramps',
    incident: false,
    spec: { cause: 'no_oom', variant: 'no-restarts', tuning: { warmupStart: 0.3, warmupTauSeconds: 5400 } },
  },
  {
    name: 'healthy periodic batch restarts',
    incident: false,
    spec: { cause: 'no_oom', variant: 'completed', tuning: { warmupStart: 0.4, warmupTauSeconds: 1200 } },
  },
];

/** The cluster as it was at `cut`: no pod created later, no event later, no termination later. */
function objectsAt(objects: KubeObject[], cut: number): KubeObject[] {
  const time = (v: unknown) => (typeof v === 'string' ? Date.parse(v) / 1000 : Number.NaN);
  return objects
    .filter((o) => !(time(o.metadata?.creationTimestamp) > cut))
    .filter((o) => o.kind !== 'Event' || !(time(o.firstTimestamp ?? o.eventTime) > cut))
    .map((o) => {
      if (o.kind !== 'Pod') return o;
      const statuses = (o.status?.containerStatuses ?? []).map((s: Record<string, unknown>) => {
        const last = (s.lastState as { terminated?: { finishedAt?: string } } | undefined)?.terminated;
        return last && time(last.finishedAt) > cut ? { ...s, lastState: {}, restartCount: 0 } : s;
      });
      const phase = ['Failed', 'Succeeded'].includes(o.status?.phase) ? 'Running' : o.status?.phase;
      return { ...o, status: { ...o.status, phase, containerStatuses: statuses } };
    });
}

async function scanAt(
  store: SeriesByMetric,
  objects: KubeObject[],
  cut: number,
  windowSeconds = 24 * HOUR,
): Promise<Risk[]> {
  const sources = {
    cluster: createStaticLister(objectsAt(objects, cut), 'bench'),
    metrics: createStaticMetrics(store, 'bench'),
  };
  const result = await scanRisks(sources, { at: cut, windowSeconds, options: { horizonSeconds: HORIZON } });
  return result.risks;
}

async function casesOf(shape: Shape, index: number): Promise<Case[]> {
  const seed = SEED * 1000 + index;
  const g = generateScenario({ seed, windowHours: 48, at: AT, ...shape.spec } as ScenarioSpec);
  const store: SeriesByMetric = new Map(g.metrics.map((f) => [f.name, f.series]));
  const objects = g.clusterObjects as KubeObject[];
  const kills = g.truth.terminations
    .filter((k) => k.reason === 'OOMKilled')
    .map((k) => k.at)
    .sort((a, b) => a - b);
  const start = g.truth.windowStart;
  const end = g.truth.at;
  const cuts = shape.incident
    ? kills.flatMap((k) => [1, 3, 6, 10, 20].map((h) => k - h * HOUR))
    : [12, 24, 36].map((h) => start + h * HOUR);
  const out: Case[] = [];
  const seen = new Set<number>();
  for (const cut of cuts) {
    // The history the scan sees starts after the last kill: the kill to come is the first it would see.
    const before = [start, ...kills.filter((k) => k <= cut)].at(-1) as number;
    const history = Math.min(24 * HOUR, cut - before - 600);
    if (history < MIN_HISTORY || cut + HORIZON > end || seen.has(Math.round(cut / 600))) continue;
    seen.add(Math.round(cut / 600));
    if (out.length >= MAX_CUTS) break;
    const next = kills.find((k) => k > cut && k <= cut + HORIZON);
    const risks = await scanAt(store, objects, cut, history);
    const ahead = kills.find((k) => k > cut);
    out.push({
      shape: shape.name,
      name: `${g.name}@${ahead === undefined ? 'no kill' : `-${((ahead - cut) / HOUR).toFixed(0)}h`}`,
      killInSeconds: next === undefined ? null : next - cut,
      risk: risks[0],
    });
  }
  return out;
}

/** Real traces: container memory as a share of its limit, no kills recorded; cut each at 8 h. */
function traceCases(dir: string): Promise<Case[]> {
  const csv = execFileSync('tar', ['-xzOf', join(dir, 'alibaba_genai_2026', 'pod_memory_util_anon.tar.gz')], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const LIMIT = 2 ** 30;
  const byContainer = new Map<string, { t: number[]; v: number[] }>();
  for (const line of csv.trim().split('\n').slice(1)) {
    const [value, ts, id] = line.split(',');
    if (!id) continue;
    const s = byContainer.get(id) ?? { t: [], v: [] };
    s.t.push(Number(ts));
    s.v.push(Number(value) * LIMIT);
    byContainer.set(id, s);
  }
  const work: Promise<Case | undefined>[] = [];
  let i = 0;
  for (const [id, raw] of byContainer) {
    const order = raw.t.map((_, k) => k).sort((a, b) => (raw.t[a] as number) - (raw.t[b] as number));
    const t = order.map((k) => raw.t[k] as number);
    const v = order.map((k) => raw.v[k] as number);
    const cut = (t[0] as number) + 8 * HOUR;
    if ((t.at(-1) as number) < cut + HORIZON) continue;
    const pod = `trace-${i++}`;
    const labels = { namespace: 'traces', pod, container: 'main' };
    const store: SeriesByMetric = new Map([
      ['container_memory_working_set_bytes', [{ labels, t, v }]],
      [
        'kube_pod_container_resource_limits',
        [{ labels: { ...labels, resource: 'memory' }, t, v: t.map(() => LIMIT) }],
      ],
    ]);
    const podObject: KubeObject = {
      kind: 'Pod',
      metadata: { name: pod, namespace: 'traces' },
      spec: { containers: [{ name: 'main', image: 'serving', resources: { limits: { memory: '1Gi' } } }] },
      status: { phase: 'Running' },
    };
    const reached = t.findIndex((x, k) => x > cut && x <= cut + HORIZON && (v[k] as number) >= 0.98 * LIMIT);
    work.push(
      scanAt(store, [podObject], cut).then((risks) => ({
        shape: 'real traces (Alibaba serving pods)',
        name: id.slice(0, 12),
        killInSeconds: reached >= 0 ? (t[reached] as number) - cut : null,
        risk: risks[0],
      })),
    );
  }
  return Promise.all(work).then((list) => list.filter((c): c is Case => c !== undefined));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
}

function summarize(label: string, cases: Case[]): string {
  const warned = cases.filter((c) => c.risk);
  const killed = cases.filter((c) => c.killInSeconds !== null);
  const tp = warned.filter((c) => c.killInSeconds !== null).length;
  const precision = warned.length > 0 ? tp / warned.length : Number.NaN;
  const recall = killed.length > 0 ? tp / killed.length : Number.NaN;
  const errors = warned
    .filter(
      (c) => c.killInSeconds !== null && c.risk?.etaSeconds !== null && c.risk?.etaSeconds !== undefined,
    )
    .map((c) => Math.abs((c.risk?.etaSeconds as number) - (c.killInSeconds as number)) / HOUR);
  const fmt = (x: number) => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(0)}%`);
  const kinds = [...new Set(warned.map((c) => c.risk?.risk))].join(', ') || '–';
  return `| ${label} | ${cases.length} | ${killed.length} | ${warned.length} | ${tp} | ${fmt(precision)} | ${fmt(recall)} | ${errors.length > 0 ? `${median(errors).toFixed(1)} h (${errors.length})` : '–'} | ${kinds} |`;
}

export interface ForecastRun {
  markdown: string;
  cases: Case[];
  figures: Record<string, number>;
}

function rates(cases: Case[]): Record<string, number> {
  const warned = cases.filter((c) => c.risk);
  const killed = cases.filter((c) => c.killInSeconds !== null);
  const tp = warned.filter((c) => c.killInSeconds !== null).length;
  return { cases: cases.length, precision: tp / warned.length, recall: tp / killed.length };
}

/** Every case, the table, and the headline figures. */
export async function measureForecast(options: {
  perShape: number;
  seed: number;
  horizonHours: number;
  traceDir?: string;
  log?: (m: string) => void;
}): Promise<ForecastRun> {
  PER_SHAPE = options.perShape;
  SEED = options.seed;
  HORIZON = options.horizonHours * HOUR;
  const began = Date.now();
  const cases: Case[] = [];
  for (const shape of SHAPES) {
    for (let i = 0; i < PER_SHAPE; i++) cases.push(...(await casesOf(shape, i)));
    options.log?.(`forecast bench: ${shape.name} done (${cases.length} cases)`);
  }
  // the real traces are kept outside the project: REAL_TRACES_DIR (or the option) names their folder
  const traceDir = options.traceDir ?? process.env.REAL_TRACES_DIR;
  const traces =
    traceDir && existsSync(join(traceDir, 'alibaba_genai_2026')) ? await traceCases(traceDir) : [];
  if (traces.length === 0)
    options.log?.('forecast bench: no real traces (set REAL_TRACES_DIR to include them)');
  const lines = [
    `Horizon ${HORIZON / HOUR} h; ${PER_SHAPE} generated workloads per shape (seed ${SEED}), 48 h of series each; incidents cut 1, 3, 6, 10 and 20 h before each kill with at least 6 h of kill-free history before the cut (the scan sees only that history: the kill to come is the first it would see), at most ${MAX_CUTS} cuts per workload; healthy ones cut at 12, 24 and 36 h. A case is positive when an OOM kill comes within the horizon; a warning is any risk reported for it. ETA error: median |predicted - actual| over warned positives that have a time.`,
    '',
    '| shape | cases | killed in horizon | warned | warned and killed | precision | recall | ETA error (n) | risks reported |',
    '|---|---|---|---|---|---|---|---|---|',
    ...[...new Set(cases.map((c) => c.shape))].map((s) =>
      summarize(
        s,
        cases.filter((c) => c.shape === s),
      ),
    ),
    summarize('**all generated**', cases),
    summarize(
      '**all generated but traffic surges**',
      cases.filter((c) => c.shape !== 'traffic surge'),
    ),
  ];
  if (traces.length > 0) lines.push(summarize('real traces (Alibaba serving pods, cut at 8 h)', traces));
  lines.push('', `(${((Date.now() - began) / 1000).toFixed(0)} s)`);
  const all = rates(cases);
  return {
    markdown: lines.join('\n'),
    cases: [...cases, ...traces],
    figures: {
      precision: all.precision ?? Number.NaN,
      recall: all.recall ?? Number.NaN,
      cases: cases.length,
      traces: traces.length,
    },
  };
}

export const forecastSuite: Suite = {
  name: 'forecast',
  title: 'Forecast quality: warned before the kill',
  runs: () => 1,
  async runOnce(ctx: RunContext): Promise<RunResult> {
    const run = await measureForecast({
      perShape: ctx.quick ? 3 : 6,
      seed: 11,
      horizonHours: 12,
      log: ctx.log,
    });
    return { figures: run.figures, notes: [run.markdown] };
  },
  render: (agg: Aggregate) => agg.notes.join('\n'),
  headlines: (agg: Aggregate): Headline[] => [
    {
      id: 'forecast',
      label: 'Forecast precision / recall (12 h horizon, generated cases)',
      value: `${(agg.figure('precision').median * 100).toFixed(0)}% / ${(agg.figure('recall').median * 100).toFixed(0)}%`,
    },
  ],
};

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'per-shape': { type: 'string', default: '6' },
      seed: { type: 'string', default: '11' },
      horizon: { type: 'string', default: '12' },
      traces: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const run = await measureForecast({
    perShape: Number(values['per-shape']),
    seed: Number(values.seed),
    horizonHours: Number(values.horizon),
    traceDir: values.traces,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${run.markdown}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ cases: run.cases }, null, 1));
}
