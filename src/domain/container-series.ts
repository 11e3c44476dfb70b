/** Reads one container's series out of the evidence: per pod instance, per pod, or at a time. */
import type { Series } from './types.ts';

export function containerOf(s: Series): string {
  return s.labels.container ?? '';
}

/** The value nearest to `t` (binary search on the sorted timestamps), if within the tolerance. */
export function valueAt(
  series: { t: number[]; v: number[] } | undefined,
  t: number,
  toleranceSeconds: number,
): number | undefined {
  if (!series || series.t.length === 0) return undefined;
  let lo = 0;
  let hi = series.t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((series.t[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  let best = lo;
  if (lo > 0 && Math.abs((series.t[lo - 1] as number) - t) < Math.abs((series.t[lo] as number) - t))
    best = lo - 1;
  return Math.abs((series.t[best] as number) - t) <= toleranceSeconds ? series.v[best] : undefined;
}

/**
 * `valueAt` for queries in time order: a cursor walks the timestamps once instead of a binary
 * search per query (same answers; an earlier query than the last falls back to the search).
 */
export function nearestInOrder(
  series: { t: number[]; v: number[] } | undefined,
  toleranceSeconds: number,
): (t: number) => number | undefined {
  if (!series || series.t.length === 0) return () => undefined;
  const ts = series.t;
  const last = ts.length - 1;
  let cur = 0;
  let previous = Number.NEGATIVE_INFINITY;
  return (t) => {
    if (t < previous) return valueAt(series, t, toleranceSeconds);
    previous = t;
    while (cur < last && (ts[cur] as number) < t) cur++;
    let best = cur;
    if (cur > 0 && Math.abs((ts[cur - 1] as number) - t) < Math.abs((ts[cur] as number) - t)) best = cur - 1;
    return Math.abs((ts[best] as number) - t) <= toleranceSeconds ? series.v[best] : undefined;
  };
}

/** True when a sample within `radius` seconds of `t` passes `test` (binary search to the window). */
export function someWithin(
  series: { t: number[]; v: number[] },
  t: number,
  radius: number,
  test: (v: number) => boolean,
): boolean {
  const ts = series.t;
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ts[mid] as number) < t - radius) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < ts.length && (ts[i] as number) <= t + radius; i++)
    if (test(series.v[i] as number)) return true;
  return false;
}

const peaks = new WeakMap<object, number>();

/**
 * The highest value of a series (-Infinity for none), remembered per series object: evidence is
 * never changed once collected, and some measurements ask once per kill.
 */
export function peakOf(series: { v: number[] } | undefined): number {
  if (!series) return Number.NEGATIVE_INFINITY;
  let peak = peaks.get(series);
  if (peak === undefined) {
    peak = Number.NEGATIVE_INFINITY;
    for (const v of series.v) if (v > peak) peak = v;
    peaks.set(series, peak);
  }
  return peak;
}

/** The container's series, one per pod instance (a recreated pod with the same name is a new series). */
export function seriesOf(series: Series[], container: string): Series[] {
  return series.filter((s) => containerOf(s) === container || s.labels.container === undefined);
}

/** One series per pod name: the instances of a pod merged in time order. */
export function byPod(series: Series[], container: string): Map<string, Series> {
  const groups = new Map<string, Series[]>();
  for (const s of seriesOf(series, container)) {
    const pod = s.labels.pod ?? '';
    groups.set(pod, [...(groups.get(pod) ?? []), s]);
  }
  const out = new Map<string, Series>();
  for (const [pod, list] of groups) {
    if (list.length === 1) {
      out.set(pod, list[0] as Series);
      continue;
    }
    const points = list
      .flatMap((s) => s.t.map((t, i) => [t, s.v[i] as number] as const))
      .sort((a, b) => a[0] - b[0]);
    out.set(pod, {
      labels: (list[0] as Series).labels,
      t: points.map((p) => p[0]),
      v: points.map((p) => p[1]),
    });
  }
  return out;
}
