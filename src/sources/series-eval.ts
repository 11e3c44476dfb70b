/**
 * Evaluates a QuerySpec over in-memory samples the way Prometheus 2.x evaluates the same PromQL
 * as a range query, to the last bit: label matching, range functions over the closed range
 * [t - range, t] (Prometheus 3 made it left-open), rate() with Prometheus' extrapolation, `sum by`
 * in label order, results sorted by label set. test/integration/parity.test.ts holds it to that.
 */
import type { Series, TimeWindow } from '../domain/types.ts';
import type { SeriesByMetric } from './openmetrics.ts';
import type { Matcher, QuerySpec } from './queries.ts';

function compileMatcher(m: Matcher): (labels: Record<string, string>) => boolean {
  const read = (labels: Record<string, string>) => labels[m.label] ?? '';
  switch (m.op) {
    case '=':
      return (l) => read(l) === m.value;
    case '!=':
      return (l) => read(l) !== m.value;
    case '=~': {
      const rx = new RegExp(`^(?:${m.value})$`);
      return (l) => rx.test(read(l));
    }
    case '!~': {
      const rx = new RegExp(`^(?:${m.value})$`);
      return (l) => !rx.test(read(l));
    }
  }
}

/** Series of `spec.metric` whose labels satisfy every matcher. */
function selectSeries(store: SeriesByMetric, spec: QuerySpec): Series[] {
  const tests = spec.matchers.map(compileMatcher);
  return (store.get(spec.metric) ?? []).filter((s) => tests.every((test) => test(s.labels)));
}

/**
 * The rounding error of `sum + inc` (which rounded to `next`), as Neumaier's compensated sum
 * carries it: taken from the larger operand, in Prometheus' order of operations.
 */
function compensation(sum: number, inc: number, next: number): number {
  return Math.abs(sum) >= Math.abs(inc) ? sum - next + inc : inc - next + sum;
}

/** Reduce samples [from, to) of one series; the range being evaluated is [rangeStart, rangeEnd]. */
type Reducer = (
  t: number[],
  v: number[],
  from: number,
  to: number,
  rangeStart: number,
  rangeEnd: number,
) => number | undefined;

const reducers: Record<QuerySpec['fn'], Reducer> = {
  max_over_time: (_t, v, from, to) => {
    let best = Number.NEGATIVE_INFINITY;
    for (let i = from; i < to; i++) if ((v[i] as number) > best) best = v[i] as number;
    return best;
  },
  min_over_time: (_t, v, from, to) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = from; i < to; i++) if ((v[i] as number) < best) best = v[i] as number;
    return best;
  },
  rate: (t, v, from, to, rangeStart, rangeEnd) => {
    // Prometheus 2.x `extrapolatedRate` (isCounter, isRate), on millisecond timestamps like the TSDB.
    if (to - from < 2) return undefined;
    const first = v[from] as number;
    const last = v[to - 1] as number;
    let increase = last - first;
    let prev = first;
    for (let i = from + 1; i < to; i++) {
      const cur = v[i] as number;
      if (cur < prev) increase += prev;
      prev = cur;
    }
    const ms = (s: number) => Math.round(s * 1000);
    const firstMs = ms(t[from] as number);
    const lastMs = ms(t[to - 1] as number);
    let durationToStart = (firstMs - ms(rangeStart)) / 1000;
    const durationToEnd = (ms(rangeEnd) - lastMs) / 1000;
    const sampledInterval = (lastMs - firstMs) / 1000;
    const averageBetween = sampledInterval / (to - from - 1);
    if (increase > 0 && first >= 0) {
      // a counter cannot go below zero: do not extrapolate past the moment it would have been 0
      const durationToZero = sampledInterval * (first / increase);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    const threshold = averageBetween * 1.1;
    let extrapolateTo = sampledInterval;
    extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
    extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
    // the same float operations in the same order: factor = (extrapolated / sampled) / range
    const rangeSeconds = (ms(rangeEnd) - ms(rangeStart)) / 1000;
    const factor = extrapolateTo / sampledInterval / rangeSeconds;
    return increase * factor;
  },
  deriv: (t, v, from, to) => {
    // Prometheus 2.x `linearRegression` with the first sample as the intercept time. Its sums are
    // compensated (Neumaier) in the Prometheus this is tested against (2.42): plain sums differ
    // from it in the last digits.
    if (to - from < 2) return undefined;
    const first = Math.round((t[from] as number) * 1000);
    let n = 0;
    let sumX = 0;
    let sumY = 0;
    let sumXY = 0;
    let sumX2 = 0;
    let cX = 0;
    let cY = 0;
    let cXY = 0;
    let cX2 = 0;
    let constY = true;
    for (let i = from; i < to; i++) {
      const y = v[i] as number;
      if (i > from && y !== v[from]) constY = false;
      const x = (Math.round((t[i] as number) * 1000) - first) / 1e3;
      n += 1;
      const xy = x * y;
      const x2 = x * x;
      const nextX = sumX + x;
      const nextY = sumY + y;
      const nextXY = sumXY + xy;
      const nextX2 = sumX2 + x2;
      cX += compensation(sumX, x, nextX);
      cY += compensation(sumY, y, nextY);
      cXY += compensation(sumXY, xy, nextXY);
      cX2 += compensation(sumX2, x2, nextX2);
      sumX = nextX;
      sumY = nextY;
      sumXY = nextXY;
      sumX2 = nextX2;
    }
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    if (constY) return Number.isFinite(v[from] as number) ? 0 : Number.NaN;
    const covXY = sumXY - (sumX * sumY) / n;
    const varX = sumX2 - (sumX * sumX) / n;
    return covXY / varX;
  },
};

/** One evaluated series on the step grid of `window`. */
function evaluateOne(series: Series, spec: QuerySpec, window: TimeWindow): Series {
  const range = spec.rangeSeconds ?? window.stepSeconds;
  const reduce = reducers[spec.fn];
  const out: Series = { labels: dropName(series.labels, spec), t: [], v: [] };
  let lo = 0;
  let hi = 0;
  const n = series.t.length;
  for (let at = window.start; at <= window.end; at += window.stepSeconds) {
    while (lo < n && (series.t[lo] as number) < at - range) lo++;
    if (hi < lo) hi = lo;
    while (hi < n && (series.t[hi] as number) <= at) hi++;
    if (hi <= lo) continue;
    const value = reduce(series.t, series.v, lo, hi, at - range, at);
    if (value === undefined || Number.isNaN(value)) continue;
    out.t.push(at);
    out.v.push(value);
  }
  return out;
}

function dropName(labels: Record<string, string>, spec: QuerySpec): Record<string, string> {
  if (!spec.sumBy) return { ...labels };
  const kept: Record<string, string> = {};
  for (const key of spec.sumBy) if (labels[key] !== undefined) kept[key] = labels[key];
  return kept;
}

/** Sum series with equal labels on shared timestamps. */
function sumByLabels(series: Series[]): Series[] {
  const groups = new Map<string, Map<number, number>>();
  const labelsOf = new Map<string, Record<string, string>>();
  for (const s of series) {
    const key = JSON.stringify(Object.entries(s.labels).sort());
    labelsOf.set(key, s.labels);
    let acc = groups.get(key);
    if (!acc) {
      acc = new Map();
      groups.set(key, acc);
    }
    for (let i = 0; i < s.t.length; i++) {
      const at = s.t[i] as number;
      acc.set(at, (acc.get(at) ?? 0) + (s.v[i] as number));
    }
  }
  return [...groups].map(([key, acc]) => {
    const times = [...acc.keys()].sort((a, b) => a - b);
    return { labels: labelsOf.get(key) ?? {}, t: times, v: times.map((at) => acc.get(at) as number) };
  });
}

/** Prometheus' `labels.Compare`: label pairs in name order, name then value, then the shorter set first. */
function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const x = Object.entries(a).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
  const y = Object.entries(b).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [xn, xv] = x[i] as [string, string];
    const [yn, yv] = y[i] as [string, string];
    if (xn !== yn) return xn < yn ? -1 : 1;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * Evaluate a spec as a Prometheus range query over `window`. Like Prometheus, the result is
 * sorted by label set, so whatever reads it sees the series in the same order from both sources.
 */
export function evaluateRange(store: SeriesByMetric, spec: QuerySpec, window: TimeWindow): Series[] {
  // Prometheus reads series in label order; `sum by` adds them in that order (floats: order matters)
  const evaluated = selectSeries(store, spec)
    .sort((a, b) => compareLabels(a.labels, b.labels))
    .map((s) => evaluateOne(s, spec, window))
    .filter((s) => s.t.length > 0);
  const result = spec.sumBy ? sumByLabels(evaluated) : evaluated;
  return result.sort((a, b) => compareLabels(a.labels, b.labels));
}
