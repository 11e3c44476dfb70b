/**
 * The trend of one container lifetime after warm-up: robust slope of the floors, how monotonic,
 * whether it persists, and whether a level shift or the traffic explains it instead of a leak.
 */
import { valueAt } from './container-series.ts';
import type { Lifetime, LifetimeTrend } from './feature-types.ts';
import { bucketFloors, linearFit, median, pearson, spearman, theilSen } from './series.ts';
import { MIN_TREND_SECONDS, WARMUP_SECONDS } from './thresholds.ts';

/**
 * True when one step between two flat levels explains the floors much better than a line:
 * a load change or a cache filling once, not a leak.
 */
function isLevelShift(t: number[], y: number[], slope: number): boolean {
  const n = y.length;
  if (n < 6) return false;
  const intercept = median(y.map((v, i) => v - slope * (t[i] as number)));
  let lineSse = 0;
  for (let i = 0; i < n; i++) lineSse += ((y[i] as number) - intercept - slope * (t[i] as number)) ** 2;
  let bestStep = Number.POSITIVE_INFINITY;
  for (let k = 2; k <= n - 2; k++) {
    const left = median(y.slice(0, k));
    const right = median(y.slice(k));
    let sse = 0;
    for (let i = 0; i < n; i++) sse += ((y[i] as number) - (i < k ? left : right)) ** 2;
    bestStep = Math.min(bestStep, sse);
  }
  return bestStep < 0.4 * lineSse;
}

/**
 * True when memory proportional to traffic accounts for the growth: regress the floors on the
 * request rate at the same times; what is left should not grow. A leak keeps growing in the
 * residual (it does not come down when traffic does).
 */
function isGrowthExplainedByTraffic(
  t: number[],
  floors: number[],
  traffic: { t: number[]; v: number[] },
  slope: number,
): boolean {
  const xs: number[] = [];
  const ys: number[] = [];
  const ts: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const rate = valueAt(traffic, t[i] as number, 900);
    if (rate === undefined) continue;
    xs.push(rate);
    ys.push(floors[i] as number);
    ts.push(t[i] as number);
  }
  if (xs.length < 6) return false;
  const fit = linearFit(xs, ys);
  if (!(fit.slope > 0)) return false;
  const residuals = ys.map((y, i) => y - fit.intercept - fit.slope * (xs[i] as number));
  const residualSlope = theilSen(ts, residuals).slope;
  return residualSlope < 0.3 * slope && pearson(xs, ys) > 0.8;
}

/** The largest of `values` from index `from` on, as `max` of that slice would find it. */
function highestFrom(values: number[], from: number): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let i = from; i < values.length; i++) if ((values[i] as number) > best) best = values[i] as number;
  return best;
}

/** A lifetime's trend after warm-up, on floors (bucket minima) so spikes and GC don't count as growth. */
export function measureTrend(
  life: Lifetime,
  limit: number | undefined,
  traffic?: { t: number[]; v: number[] },
): LifetimeTrend | undefined {
  const from = life.start + Math.min(WARMUP_SECONDS, (life.end - life.start) * 0.25);
  const idx = life.t.findIndex((t) => t >= from);
  if (idx < 0) return undefined;
  // The samples after warm-up, from `idx` on: read in place, not copied.
  const first = life.t[idx] as number;
  const lastAt = life.t[life.t.length - 1] as number;
  const duration = lastAt - first;
  if (duration < MIN_TREND_SECONDS || life.t.length - idx < 8) return undefined;
  const bucketSeconds = Math.max(duration / 24, 60);
  const { t: bt, min: floors } = bucketFloors(life.t, life.v, bucketSeconds, idx);
  if (bt.length < 6) return undefined;
  const { slope } = theilSen(bt, floors);
  const half = Math.floor(bt.length / 2);
  const late = theilSen(bt.slice(half), floors.slice(half)).slope;
  const monotonicity = spearman(bt, floors);
  const scale = limit ?? highestFrom(life.v, idx);
  const growthShare = scale > 0 ? (slope * duration) / scale : 0;
  let trafficMonotonicity: number | undefined;
  if (traffic) {
    const tv: number[] = [];
    const tt: number[] = [];
    for (let i = 0; i < traffic.t.length; i++) {
      const at = traffic.t[i] as number;
      if (at >= first && at <= lastAt) {
        tt.push(at);
        tv.push(traffic.v[i] as number);
      }
    }
    if (tt.length >= 6) trafficMonotonicity = spearman(tt, tv);
  }
  const persistent = slope > 0 && late > 0.35 * slope && !isLevelShift(bt, floors, slope);
  // Memory that only follows load inherits the load's wiggles: a strictly rising floor under a
  // wavering request rate is not explained by it.
  const smootherThanTraffic = monotonicity >= 0.97 && (trafficMonotonicity ?? 1) < 0.9;
  const explainedByTraffic =
    !smootherThanTraffic &&
    ((trafficMonotonicity !== undefined && trafficMonotonicity > 0.7 && monotonicity < 0.9) ||
      (traffic !== undefined && isGrowthExplainedByTraffic(bt, floors, traffic, slope)));
  // Significant growth: an eighth of the limit in this lifetime, or a clean climb that would
  // reach the limit within three days.
  const lastFloor = floors[floors.length - 1] as number;
  const daysToLimit =
    limit !== undefined && slope > 0 ? (limit - lastFloor) / slope / 86400 : Number.POSITIVE_INFINITY;
  const significant = growthShare >= 0.12 || (monotonicity >= 0.9 && growthShare >= 0.04 && daysToLimit <= 3);
  return {
    pod: life.pod,
    durationSeconds: duration,
    slopeBytesPerSecond: slope,
    lateSlopeBytesPerSecond: late,
    monotonicity,
    growthShareOfLimit: growthShare,
    trafficMonotonicity,
    leaky: persistent && monotonicity >= 0.6 && significant && !explainedByTraffic,
    trafficExplained: persistent && monotonicity >= 0.6 && significant && explainedByTraffic,
  };
}
