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
