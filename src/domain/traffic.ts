/**
 * Traffic against memory: the request metric summed, its jump against its own earlier range
 * (over the window and at the first kill), and memory per unit of traffic on uncensored samples.
 */
import { nearestInOrder } from './container-series.ts';
import type { Kill, Lifetime, TrafficAnalysis } from './feature-types.ts';
import { bucketize, everyNth, linearFit, median, quantile, spearman, theilSen } from './series.ts';
import { CENSOR_SHARE, WARMUP_SECONDS } from './thresholds.ts';
import type { Evidence, Series } from './types.ts';

/** Samples the memory-against-traffic rank correlation is computed on, at most. */
const MAX_RANK_POINTS = 4000;

/** The series summed per timestamp: every timestamp once, in order, each sum in series order. */
function sumSeries(series: Series[]): { t: number[]; v: number[] } {
  const keys = series.every((s) => strictlyIncreasing(s.t)) ? mergeTimes(series) : sortedTimes(series);
  const sums = new Float64Array(keys.length);
  for (const s of series) {
    // Both in time order: one cursor walks the keys (a binary search when the order breaks).
    let j = 0;
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      while (j < keys.length && (keys[j] as number) < t) j++;
      if (keys[j] !== t) j = indexOf(keys, t);
      sums[j] = (sums[j] as number) + (s.v[i] as number);
    }
  }
  return { t: Array.from(keys), v: Array.from(sums) };
}

function strictlyIncreasing(t: ArrayLike<number>): boolean {
  for (let i = 1; i < t.length; i++) if (!((t[i] as number) > (t[i - 1] as number))) return false;
  return true;
}

/** The distinct timestamps of series each in strictly increasing order, by merging them pairwise. */
function mergeTimes(series: Series[]): Float64Array {
  let keys = new Float64Array(0);
  for (const s of series) {
    const out = new Float64Array(keys.length + s.t.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < keys.length || j < s.t.length) {
      const a = i < keys.length ? (keys[i] as number) : Number.POSITIVE_INFINITY;
      const b = j < s.t.length ? (s.t[j] as number) : Number.POSITIVE_INFINITY;
      if (a <= b) {
        out[n++] = a;
        i++;
        if (a === b) j++;
      } else {
        out[n++] = b;
        j++;
      }
    }
    keys = out.subarray(0, n);
  }
  return keys;
}

/** The distinct timestamps of any series, by one numeric sort. */
function sortedTimes(series: Series[]): Float64Array {
  let size = 0;
  for (const s of series) size += s.t.length;
  const all = new Float64Array(size);
  let k = 0;
  for (const s of series) for (const t of s.t) all[k++] = t;
  all.sort();
  let n = 0;
  for (let i = 0; i < size; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i] as number;
  return all.subarray(0, n);
}

/** Index of `value` in the sorted, distinct `keys` (it is there). */
function indexOf(keys: Float64Array, value: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((keys[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Split point that best separates the bucketed series into a lower and a higher level. */
function findChangePoint(v: number[], minSegment: number): number | undefined {
  if (v.length < 2 * minSegment) return undefined;
  const prefix = [0];
  for (const x of v) prefix.push((prefix[prefix.length - 1] as number) + x);
  const total = prefix[prefix.length - 1] as number;
  let best: number | undefined;
  let bestScore = 0;
  for (let k = minSegment; k <= v.length - minSegment; k++) {
    const left = (prefix[k] as number) / k;
    const right = (total - (prefix[k] as number)) / (v.length - k);
    const score = ((right - left) * Math.sqrt((k * (v.length - k)) / v.length)) / Math.max(1e-9, left);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/**
 * A surge seen at the first kill, against everything before it. Crash-looping pods export their
 * own request counters poorly (they reset and are rarely scraped), so the jump is often only
 * visible in the minutes around the first kill; a whole-window change point averages it away.
 */
function checkTrafficAtKillOnset(
  analysis: TrafficAnalysis,
  total: { t: number[]; v: number[] },
  oomKills: Kill[],
  replicas: number,
): void {
  const onset = oomKills[0]?.t;
  const first = total.t[0];
  if (onset === undefined || first === undefined || onset - first < 6 * 3600) return;
  const fine = bucketize(total.t, total.v, 300);
  const base = fine.filter((b) => b.t < onset - 900).map((b) => b.median);
  if (base.length < 12) return;
  const high = quantile(base, 0.95);
  if (!(high > 0)) return;
  // The largest sudden rise in the three hours before the first kill: the 20 minutes after a
  // moment against the hour before it. Daily ramps move far less than 1.5x within an hour.
  let best: { at: number; before: number; after: number } | undefined;
  for (const b of fine) {
    const at = b.t - 150;
    if (at < onset - 3 * 3600 || at > onset + 900) continue;
    const before = fine.filter((x) => x.t < at && x.t >= at - 3600).map((x) => x.median);
    const after = fine.filter((x) => x.t >= at && x.t < at + 1200).map((x) => x.median);
    if (before.length < 6 || after.length === 0) continue;
    const level = { at, before: median(before), after: Math.max(...after) };
    if (!best || level.after / level.before > best.after / best.before) best = level;
  }
  if (!best || !(best.before > 0)) return;
  const jump = best.after / best.before;
  if (jump < 1.5 || best.after < 1.1 * high || jump <= (analysis.jumpRatio ?? 0)) return;
  const changeAt = best.at;
  analysis.changeAt = changeAt;
  analysis.jumpRatio = jump;
  analysis.baselineRate = best.before;
  analysis.recentRate = best.after;
  analysis.killsAfterChangeShare = oomKills.filter((x) => x.t >= changeAt).length / oomKills.length;
  analysis.perPodBaselineRate = high / replicas;
  analysis.perPodPeakRate = Math.max(analysis.perPodPeakRate ?? 0, best.after / replicas);
}

export function analyseTraffic(
  evidence: Evidence,
  container: string,
  oomKills: Kill[],
  limit: number | undefined,
  lifetimes: Lifetime[],
): TrafficAnalysis | undefined {
  const traffic = evidence.metrics.traffic;
  if (!traffic || traffic.series.length === 0) return undefined;
  const total = sumSeries(traffic.series);
  if (total.t.length < 12) return undefined;
  const bucketSeconds = 600;
  const buckets = bucketize(total.t, total.v, bucketSeconds);
  const levels = buckets.map((b) => b.median);
  const k = findChangePoint(levels, Math.max(3, Math.floor(3600 / bucketSeconds)));
  const analysis: TrafficAnalysis = {
    family: traffic.family,
    scope: traffic.scope,
    total: { t: buckets.map((b) => b.t), v: levels },
    fitSamples: 0,
  };
  const replicas = Math.max(1, evidence.workload?.replicas ?? new Set(lifetimes.map((l) => l.pod)).size);
  if (k !== undefined) {
    const before = levels.slice(0, k);
    const after = levels.slice(k);
    const baselineTypical = median(before);
    const baselineHigh = quantile(before, 0.9);
    const recent = median(after);
    analysis.changeAt = (buckets[k] as { t: number }).t - bucketSeconds / 2;
    analysis.baselineRate = baselineTypical;
    analysis.recentRate = recent;
    analysis.jumpRatio = baselineHigh > 0 ? recent / baselineHigh : undefined;
    if (oomKills.length > 0) {
      analysis.killsAfterChangeShare =
        oomKills.filter((x) => x.t >= (analysis.changeAt as number)).length / oomKills.length;
    }
    analysis.perPodBaselineRate = baselineHigh / replicas;
  }
  analysis.perPodPeakRate = quantile(levels, 0.98) / replicas;
  checkTrafficAtKillOnset(analysis, total, oomKills, replicas);

  // Memory against per-pod traffic, on uncensored samples after warm-up.
  const perPod =
    traffic.scope === 'pod' ? new Map(traffic.series.map((s) => [s.labels.pod ?? '', s])) : undefined;
  let room = 0;
  for (const life of lifetimes) room += life.t.length;
  const memAll = new Float64Array(room);
  const rpsAll = new Float64Array(room);
  let fitted = 0;
  // Pod and time order, so the fit does not depend on the order the source listed the series in.
  const ordered = [...lifetimes].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : a.start - b.start));
  const step = evidence.window.stepSeconds;
  for (const life of ordered) {
    const rate = perPod?.get(life.pod);
    const rateAt = nearestInOrder(rate ?? total, step);
    for (let i = 0; i < life.t.length; i++) {
      const t = life.t[i] as number;
      const v = life.v[i] as number;
      if (t - life.start < WARMUP_SECONDS / 3) continue;
      if (limit !== undefined && v >= limit * CENSOR_SHARE) continue;
      let r = rateAt(t);
      if (!rate && r !== undefined) r /= replicas;
      if (r === undefined || !Number.isFinite(r)) continue;
      memAll[fitted] = v;
      rpsAll[fitted] = r;
      fitted++;
    }
  }
  const mem = memAll.subarray(0, fitted);
  const rps = rpsAll.subarray(0, fitted);
  analysis.fitSamples = mem.length;
  if (mem.length >= 20) {
    // A rank correlation costs a sort: on at most MAX_RANK_POINTS evenly spaced samples it stays
    // bounded at any window and scrape interval, and moves by well under its own noise.
    const rankStride = Math.ceil(mem.length / MAX_RANK_POINTS);
    analysis.memoryTrafficCorrelation = spearman(everyNth(rps, rankStride), everyNth(mem, rankStride));
    const stride = Math.max(1, Math.floor(mem.length / 400));
    const xs = everyNth(rps, stride);
    const ys = everyNth(mem, stride);
    const robust = theilSen(xs, ys);
    const fit = robust.slope > 0 ? robust : linearFit(xs, ys);
    analysis.bytesPerRps = fit.slope;
    analysis.baseBytes = fit.intercept;
  }
  void container;
  return analysis;
}
