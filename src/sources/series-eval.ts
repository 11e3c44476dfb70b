/**
 * Evaluates a QuerySpec over in-memory samples the way Prometheus evaluates the same PromQL
 * as a range query: label matching, range functions over [t - range, t], and `sum by`.
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
export function selectSeries(store: SeriesByMetric, spec: QuerySpec): Series[] {
  const tests = spec.matchers.map(compileMatcher);
  return (store.get(spec.metric) ?? []).filter((s) => tests.every((test) => test(s.labels)));
}

type Reducer = (t: number[], v: number[], from: number, to: number) => number | undefined;

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
  rate: (t, v, from, to) => {
    if (to - from < 2) return undefined;
    let increase = 0;
    for (let i = from + 1; i < to; i++) {
      const diff = (v[i] as number) - (v[i - 1] as number);
      increase += diff >= 0 ? diff : (v[i] as number);
    }
    const span = (t[to - 1] as number) - (t[from] as number);
    return span > 0 ? increase / span : undefined;
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
    const value = reduce(series.t, series.v, lo, hi);
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

/** Evaluate a spec as a Prometheus range query over `window`. */
export function evaluateRange(store: SeriesByMetric, spec: QuerySpec, window: TimeWindow): Series[] {
  const evaluated = selectSeries(store, spec)
    .map((s) => evaluateOne(s, spec, window))
    .filter((s) => s.t.length > 0);
  return spec.sumBy ? sumByLabels(evaluated) : evaluated;
}
