/**
 * Runs the leak detector over real production memory traces (kept outside the project; pass the
 * folder) and counts the series it would call leaking, with the reasons. The traces carry no
 * restart markers, so lifetimes are cut where memory drops by more than 20 % between samples.
 *
 *   node bench/real-traces.ts DIR   (DIR holds alibaba_genai_2026/ and jindal_precog/)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreLeakTrends } from '../src/domain/causes/memory-leak.ts';
import type { Lifetime, LifetimeTrend } from '../src/domain/feature-types.ts';
import { measureTrend } from '../src/domain/trends.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/real-traces.ts DIR\n');
  process.exit(2);
}

/** Memory as a share of a 1 GiB limit, so growth reads as a share of the limit. */
const LIMIT = 2 ** 30;

function cutLifetimes(name: string, t: number[], v: number[]): Lifetime[] {
  const out: Lifetime[] = [];
  let current: Lifetime = { pod: name, start: t[0] ?? 0, end: t[0] ?? 0, t: [], v: [], killed: false };
  for (let i = 0; i < t.length; i++) {
    const prev = v[i - 1];
    if (prev !== undefined && (v[i] as number) < prev * 0.8 && current.t.length > 0) {
      out.push({ ...current, killed: true });
      current = { pod: name, start: t[i] as number, end: t[i] as number, t: [], v: [], killed: false };
    }
    current.t.push(t[i] as number);
    current.v.push(v[i] as number);
    current.end = t[i] as number;
  }
  out.push(current);
  return out;
}

interface Verdict {
  name: string;
  score: number;
  trends: LifetimeTrend[];
  points: number;
}

function judge(name: string, t: number[], v: number[], traffic?: { t: number[]; v: number[] }): Verdict {
  const lifetimes = cutLifetimes(
    name,
    t,
    v.map((x) => x * LIMIT),
  );
  const trends = lifetimes
    .map((l) => measureTrend(l, LIMIT, traffic))
    .filter((x): x is LifetimeTrend => x !== undefined);
  return { name, score: trends.length > 0 ? scoreLeakTrends(trends) : 0, trends, points: t.length };
}

function readCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
}

function summarize(title: string, verdicts: Verdict[]): string[] {
  const leaking = verdicts.filter((x) => x.score >= 0.5);
  const lines = [
    `## ${title}`,
    '',
    `${verdicts.length} series, ${leaking.length} called leaking (leak score >= 0.5).`,
    '',
  ];
  const reasons = new Map<string, number>();
  for (const x of verdicts) {
    let reason: string;
    if (x.trends.length === 0) reason = 'no lifetime long enough after warm-up';
    else if (x.score >= 0.5) reason = 'grows after warm-up, persistently, >= 12% of the limit per lifetime';
    else {
      const t = x.trends[0] as LifetimeTrend;
      if (t.slopeBytesPerSecond <= 0) reason = 'no upward trend';
      else if (t.growthShareOfLimit < 0.12) reason = 'growth under 12% of the limit per lifetime';
      else if (t.monotonicity < 0.6) reason = 'not monotonic (rank correlation with time < 0.6)';
      else if (t.lateSlopeBytesPerSecond <= 0.35 * t.slopeBytesPerSecond)
        reason = 'growth stops: warm-up or a one-off step';
      else reason = 'growth explained by traffic or a level shift';
    }
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) lines.push(`- ${n}: ${reason}`);
  if (leaking.length > 0) {
    lines.push('', 'Called leaking:');
    for (const x of leaking) {
      const t = x.trends.find((y) => y.leaky) as LifetimeTrend;
      lines.push(
        `- ${x.name.slice(0, 12)}: ${(((t.slopeBytesPerSecond * 3600) / LIMIT) * 100).toFixed(2)}% of the limit per hour over ${(t.durationSeconds / 3600).toFixed(1)} h, rank correlation ${t.monotonicity.toFixed(2)}`,
      );
    }
  }
  return [...lines, ''];
}

const out: string[] = ['# Leak detector on real traces', ''];

// Alibaba GenAI model-serving pods: utilisation 0..1, about one sample a minute.
const alibaba = join(dir, 'alibaba_genai_2026');
const mem = execFileSync('tar', ['-xzOf', join(alibaba, 'pod_memory_util_anon.tar.gz')], {
  maxBuffer: 64 * 2 ** 20,
}).toString();
const qps = execFileSync('tar', ['-xzOf', join(alibaba, 'qps.tar.gz')], {
  maxBuffer: 64 * 2 ** 20,
}).toString();
const series = new Map<string, Array<[number, number]>>();
for (const [value, ts, id] of readCsv(mem)) {
  if (!id) continue;
  const list = series.get(id) ?? [];
  list.push([Number(ts), Number(value)]);
  series.set(id, list);
}
const traffic = new Map<string, Array<[number, number]>>();
for (const [ts, value, id] of readCsv(qps)) {
  if (!id) continue;
  const list = traffic.get(id) ?? [];
  list.push([Number(ts), Number(value)]);
  traffic.set(id, list);
}
const verdicts: Verdict[] = [];
for (const [id, points] of series) {
  if (points.length < 120) continue;
  points.sort((a, b) => a[0] - b[0]);
  const q = traffic.get(id)?.sort((a, b) => a[0] - b[0]);
  verdicts.push(
    judge(
      id,
      points.map((p) => p[0]),
      points.map((p) => p[1]),
      q ? { t: q.map((p) => p[0]), v: q.map((p) => p[1]) } : undefined,
    ),
  );
}
out.push(...summarize('Alibaba GenAI serving pods (>= 120 points)', verdicts));

// Jindal et al.: machine memory in percent every 5 minutes; m_1935 labelled Normal, m_1939 Anomaly.
const jindal = join(dir, 'jindal_precog');
const jindalVerdicts: Verdict[] = [];
for (const file of [
  'm_1935.csv',
  'm_1939.csv',
  'test1.csv',
  'test2.csv',
  'test3.csv',
  'test4.csv',
  'test5.csv',
  'test6.csv',
  'test7.csv',
]) {
  const rows = readCsv(readFileSync(join(jindal, file), 'utf8'));
  const labelled = file.startsWith('m_');
  const v = rows.map((r) => Number(labelled ? r[2] : r[1]) / 100);
  const t = rows.map((_, i) => i * 300);
  jindalVerdicts.push(judge(file, t, v));
}
out.push(...summarize('Jindal et al. machines (5-minute samples)', jindalVerdicts));
for (const x of jindalVerdicts)
  out.push(`- ${x.name}: leak score ${x.score.toFixed(2)} over ${x.trends.length} lifetime(s)`);
process.stdout.write(`${out.join('\n')}\n`);
