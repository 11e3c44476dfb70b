/**
 * Turns Evidence into the measured features every cause scorer reads: the target container,
 * its kills, its lifetimes with their trends, traffic and its jump, node memory, heap settings.
 * Computed once per diagnosis; pure.
 */
import { detectRuntime, findHeapSettings, type HeapSetting, type Runtime } from './heap.ts';
import { bucketize, linearFit, max, median, pearson, quantile, spearman, theilSen } from './series.ts';
import type { ContainerSpec, Evidence, PodInfo, Series } from './types.ts';

export const SIDECARS = new Set([
  'istio-proxy',
  'linkerd-proxy',
  'envoy',
  'istio-init',
  'vault-agent',
  'cloudsql-proxy',
]);

/** The first minutes of a lifetime are warm-up (caches, JIT, pools), not growth. */
export const WARMUP_SECONDS = 15 * 60;
/** A lifetime shorter than this (after warm-up) cannot show a trend. */
export const MIN_TREND_SECONDS = 20 * 60;
/** Usage at or above this share of the limit is censored: the real demand was at least that. */
export const CENSOR_SHARE = 0.97;

export interface Kill {
  pod: string;
  t: number;
  reason: string;
  exitCode?: number;
  /** Highest working set seen in the two steps before the kill. */
  usageBytes?: number;
  limitBytes?: number;
  node?: string;
  /** The pod's node was out of memory (MemoryPressure or under 5% available) at the kill. */
  nodeStarved?: boolean;
}

export interface Lifetime {
  pod: string;
  start: number;
  end: number;
  t: number[];
  v: number[];
  /** Ended by an OOM kill. */
  killed: boolean;
}

export interface LifetimeTrend {
  pod: string;
  durationSeconds: number;
  slopeBytesPerSecond: number;
  lateSlopeBytesPerSecond: number;
  monotonicity: number;
  growthShareOfLimit: number;
  trafficMonotonicity?: number;
  leaky: boolean;
  /** Grows, but traffic grew alike: this lifetime cannot tell a leak from load. */
  trafficExplained: boolean;
}

export interface TrafficAnalysis {
  family: string;
  scope: 'pod' | 'service';
  /** Total requests per second over the window, bucketed. */
  total: { t: number[]; v: number[] };
  changeAt?: number;
  baselineRate?: number;
  recentRate?: number;
  /** recent median / baseline p90: above 1.5 is a jump beyond the earlier range. */
  jumpRatio?: number;
  killsAfterChangeShare?: number;
  perPodPeakRate?: number;
  perPodBaselineRate?: number;
  /** Rank correlation of working set with per-pod request rate (uncensored samples). */
  memoryTrafficCorrelation?: number;
  bytesPerRps?: number;
  baseBytes?: number;
  fitSamples: number;
}

export interface Disappearance {
  pod: string;
  t: number;
  usageBytes: number;
  node?: string;
}

export interface NodeAnalysis {
  /** Pod instances that vanished while their node was out of memory: evictions whose events are gone. */
  inferredEvictions: Disappearance[];
  evictedPods: string[];
  evictionMessages: string[];
  systemOomEvents: number;
  kernelOomKills: number;
  pressureNodes: string[];
  minAvailableShare?: number;
  minAvailableBytes?: number;
  minAvailableNode?: string;
  nodeTotalBytes?: number;
  largestAllocatableBytes?: number;
}

export interface Features {
  container: string;
  spec?: ContainerSpec;
  limitBytes?: number;
  requestBytes?: number;
  podNames: string[];
  kills: Kill[];
  oomKills: Kill[];
  otherTerminations: Kill[];
  restartsInWindow: number;
  /** Usage at OOM kills relative to the limit (median). */
  usageAtKillShare?: number;
  lifetimes: Lifetime[];
  trends: LifetimeTrend[];
  peakBytes?: number;
  /** p95 of post-warm-up usage, uncensored samples only. */
  typicalBytes?: number;
  p99Bytes?: number;
  censoredSamples: number;
  currentLifetime?: { pod: string; ageSeconds: number; usageBytes: number };
  traffic?: TrafficAnalysis;
  node: NodeAnalysis;
  heap: HeapSetting[];
  runtime?: Runtime;
  recentRolloutAt?: number;
  missing: string[];
}

function containerOf(s: Series): string {
  return s.labels.container ?? '';
}

/** Pick the container that died: most OOM kills, then most restarts; sidecars last. */
export function pickContainer(evidence: Evidence): string {
  const specs = evidence.workload?.containers.map((c) => c.name) ?? [];
  const names = new Set<string>([...specs, ...evidence.metrics.workingSet.map(containerOf).filter(Boolean)]);
  const score = (name: string): number => {
    let s = 0;
    for (const pod of evidence.pods) {
      for (const c of pod.containers) {
        if (c.name !== name) continue;
        s += c.restartCount * 10;
        if (c.lastTerminated?.reason === 'OOMKilled' || c.terminated?.reason === 'OOMKilled') s += 1000;
      }
    }
    for (const series of evidence.metrics.restarts) {
      if (containerOf(series) === name && series.v.length > 0) {
        s += ((series.v[series.v.length - 1] as number) - (series.v[0] as number)) * 10;
      }
    }
    for (const series of evidence.metrics.lastTerminatedReason) {
      if (containerOf(series) === name && series.labels.reason === 'OOMKilled' && series.v.some((v) => v > 0))
        s += 500;
    }
    if (SIDECARS.has(name)) s -= 0.5;
    return s;
  };
  const ranked = [...names].sort((a, b) => score(b) - score(a) || specs.indexOf(a) - specs.indexOf(b));
  return ranked[0] ?? specs[0] ?? '';
}

/** The value nearest to `t` (binary search on the sorted timestamps), if within the tolerance. */
function valueAt(
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

/** The reason kube-state-metrics reported just after a restart at `t`. */
function reasonAt(reasons: Series[], t: number, step: number): string | undefined {
  let best: { reason: string; t: number } | undefined;
  for (const s of reasons) {
    for (let i = 0; i < s.t.length; i++) {
      const at = s.t[i] as number;
      if (at < t || at > t + 4 * step || (s.v[i] as number) <= 0) continue;
      if (!best || at < best.t) best = { reason: s.labels.reason ?? '', t: at };
      break;
    }
  }
  return best?.reason;
}

/** The container's series, one per pod instance (a recreated pod with the same name is a new series). */
function seriesOf(series: Series[], container: string): Series[] {
  return series.filter((s) => containerOf(s) === container || s.labels.container === undefined);
}

/** One series per pod name: the instances of a pod merged in time order. */
function byPod(series: Series[], container: string): Map<string, Series> {
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

function extractKills(evidence: Evidence, container: string): { kills: Kill[]; restarts: number } {
  const step = evidence.window.stepSeconds;
  const restarts = seriesOf(evidence.metrics.restarts, container);
  const working = byPod(evidence.metrics.workingSet, container);
  const limits = byPod(evidence.metrics.limits, container);
  const exitCodes = byPod(evidence.metrics.lastTerminatedExitCode, container);
  const reasonsByPod = new Map<string, Series[]>();
  for (const s of evidence.metrics.lastTerminatedReason) {
    if (containerOf(s) !== container) continue;
    const list = reasonsByPod.get(s.labels.pod ?? '') ?? [];
    list.push(s);
    reasonsByPod.set(s.labels.pod ?? '', list);
  }
  const kills: Kill[] = [];
  let total = 0;
  for (const series of restarts) {
    const pod = series.labels.pod ?? '';
    for (let i = 1; i < series.t.length; i++) {
      const delta = (series.v[i] as number) - (series.v[i - 1] as number);
      if (delta <= 0) continue;
      const t = series.t[i] as number;
      total += delta;
      const reason = reasonAt(reasonsByPod.get(pod) ?? [], t, step) ?? 'unknown';
      const ws = working.get(pod);
      let usage: number | undefined;
      if (ws) {
        for (let j = 0; j < ws.t.length; j++) {
          const at = ws.t[j] as number;
          if (at >= t - 3 * step && at <= t) usage = Math.max(usage ?? 0, ws.v[j] as number);
        }
      }
      const kill: Kill = {
        pod,
        t,
        reason,
        exitCode: valueAt(exitCodes.get(pod), t + step, 4 * step),
        usageBytes: usage,
        node: series.labels.node ?? ws?.labels.node,
        limitBytes: valueAt(limits.get(pod), t, 10 * step),
      };
      for (let k = 0; k < delta; k++) kills.push(kill);
    }
  }
  if (restarts.length === 0) {
    for (const pod of evidence.pods) {
      const status = pod.containers.find((c) => c.name === container);
      const last = status?.lastTerminated;
      if (!status || !last || last.finishedAt === undefined) continue;
      if (last.finishedAt < evidence.window.start) continue;
      total += status.restartCount;
      kills.push({ pod: pod.name, t: last.finishedAt, reason: last.reason, exitCode: last.exitCode });
    }
  }
  return { kills: kills.sort((a, b) => a.t - b.t), restarts: total };
}

function splitLifetimes(evidence: Evidence, container: string, kills: Kill[]): Lifetime[] {
  const out: Lifetime[] = [];
  for (const series of seriesOf(evidence.metrics.workingSet, container)) {
    const pod = series.labels.pod ?? '';
    const podKills = kills.filter((k) => k.pod === pod).map((k) => k.t);
    let current: Lifetime | undefined;
    let killIndex = 0;
    while (killIndex < podKills.length && (podKills[killIndex] as number) <= (series.t[0] ?? 0)) killIndex++;
    for (let i = 0; i < series.t.length; i++) {
      const t = series.t[i] as number;
      let boundary = false;
      while (killIndex < podKills.length && (podKills[killIndex] as number) <= t) {
        boundary = true;
        killIndex++;
      }
      if (!current || boundary) {
        if (current) {
          current.killed = true;
          out.push(current);
        }
        current = { pod, start: t, end: t, t: [], v: [], killed: false };
      }
      current.t.push(t);
      current.v.push(series.v[i] as number);
      current.end = t;
    }
    if (current) out.push(current);
  }
  return out;
}

/**
 * Pod instances whose container stopped being reported before the end of the window without an
 * OOM kill: deleted, evicted or replaced. Whether the node took them is decided with node data.
 */
function findDisappearances(evidence: Evidence, container: string, kills: Kill[]): Disappearance[] {
  const out: Disappearance[] = [];
  const step = evidence.window.stepSeconds;
  const tail = Math.max(600, 4 * step);
  for (const series of seriesOf(evidence.metrics.workingSet, container)) {
    const last = series.t[series.t.length - 1];
    if (last === undefined || last >= evidence.window.end - tail) continue;
    const pod = series.labels.pod ?? '';
    if (kills.some((k) => k.pod === pod && Math.abs(k.t - last) <= tail)) continue;
    out.push({ pod, t: last, usageBytes: series.v[series.v.length - 1] as number, node: series.labels.node });
  }
  return out;
}

/**
 * True when one step between two flat levels explains the floors much better than a line:
 * a load change or a cache filling once, not a leak.
 */
export function isLevelShift(t: number[], y: number[], slope: number): boolean {
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

/** A lifetime's trend after warm-up, on floors (bucket minima) so spikes and GC don't count as growth. */
/**
 * True when memory proportional to traffic accounts for the growth: regress the floors on the
 * request rate at the same times; what is left should not grow. A leak keeps growing in the
 * residual (it does not come down when traffic does).
 */
export function isGrowthExplainedByTraffic(
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

export function measureTrend(
  life: Lifetime,
  limit: number | undefined,
  traffic?: { t: number[]; v: number[] },
): LifetimeTrend | undefined {
  const from = life.start + Math.min(WARMUP_SECONDS, (life.end - life.start) * 0.25);
  const idx = life.t.findIndex((t) => t >= from);
  if (idx < 0) return undefined;
  const t = life.t.slice(idx);
  const v = life.v.slice(idx);
  const duration = (t[t.length - 1] ?? 0) - (t[0] ?? 0);
  if (duration < MIN_TREND_SECONDS || t.length < 8) return undefined;
  const bucketSeconds = Math.max(duration / 24, 60);
  const buckets = bucketize(t, v, bucketSeconds).filter((b) => b.count > 0);
  if (buckets.length < 6) return undefined;
  const bt = buckets.map((b) => b.t);
  const floors = buckets.map((b) => b.min);
  const { slope } = theilSen(bt, floors);
  const half = Math.floor(buckets.length / 2);
  const late = theilSen(bt.slice(half), floors.slice(half)).slope;
  const monotonicity = spearman(bt, floors);
  const scale = limit ?? max(v);
  const growthShare = scale > 0 ? (slope * duration) / scale : 0;
  let trafficMonotonicity: number | undefined;
  if (traffic) {
    const tv: number[] = [];
    const tt: number[] = [];
    for (let i = 0; i < traffic.t.length; i++) {
      const at = traffic.t[i] as number;
      if (at >= (t[0] as number) && at <= (t[t.length - 1] as number)) {
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

function sumSeries(series: Series[]): { t: number[]; v: number[] } {
  const acc = new Map<number, number>();
  for (const s of series)
    for (let i = 0; i < s.t.length; i++)
      acc.set(s.t[i] as number, (acc.get(s.t[i] as number) ?? 0) + (s.v[i] as number));
  const t = [...acc.keys()].sort((a, b) => a - b);
  return { t, v: t.map((x) => acc.get(x) as number) };
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

function analyseTraffic(
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
  const mem: number[] = [];
  const rps: number[] = [];
  // Pod and time order, so the fit does not depend on the order the source listed the series in.
  const ordered = [...lifetimes].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : a.start - b.start));
  for (const life of ordered) {
    const rate = perPod?.get(life.pod);
    for (let i = 0; i < life.t.length; i++) {
      const t = life.t[i] as number;
      const v = life.v[i] as number;
      if (t - life.start < WARMUP_SECONDS / 3) continue;
      if (limit !== undefined && v >= limit * CENSOR_SHARE) continue;
      let r: number | undefined;
      if (rate) r = valueAt(rate, t, evidence.window.stepSeconds);
      else {
        const tot = valueAt(total, t, evidence.window.stepSeconds);
        r = tot === undefined ? undefined : tot / replicas;
      }
      if (r === undefined || !Number.isFinite(r)) continue;
      mem.push(v);
      rps.push(r);
    }
  }
  analysis.fitSamples = mem.length;
  if (mem.length >= 20) {
    analysis.memoryTrafficCorrelation = spearman(rps, mem);
    const stride = Math.max(1, Math.floor(mem.length / 400));
    const xs = rps.filter((_, i) => i % stride === 0);
    const ys = mem.filter((_, i) => i % stride === 0);
    const robust = theilSen(xs, ys);
    const fit = robust.slope > 0 ? robust : linearFit(xs, ys);
    analysis.bytesPerRps = fit.slope;
    analysis.baseBytes = fit.intercept;
  }
  void container;
  return analysis;
}

/** True when node `node` was out of memory within 15 minutes of `t`: MemoryPressure or under 5% available. */
function nodeStarvedAt(evidence: Evidence, node: string | undefined, t: number): boolean {
  if (!node) return false;
  const near = (s: Series, test: (v: number) => boolean) =>
    s.t.some((at, i) => Math.abs(at - t) <= 900 && test(s.v[i] as number));
  if (evidence.metrics.nodeMemoryPressure.some((s) => s.labels.node === node && near(s, (v) => v >= 1)))
    return true;
  const total = max(evidence.metrics.nodeTotal.find((s) => s.labels.node === node)?.v ?? []);
  const capacity =
    Number.isFinite(total) && total > 0 ? total : evidence.nodes.find((n) => n.name === node)?.capacityBytes;
  if (!capacity) return false;
  return evidence.metrics.nodeAvailable.some(
    (s) => s.labels.node === node && near(s, (v) => v / capacity < 0.05),
  );
}

function analyseNodes(
  evidence: Evidence,
  podNames: Set<string>,
  disappearances: Disappearance[],
): NodeAnalysis {
  const evicted = new Set<string>();
  const messages: string[] = [];
  for (const pod of evidence.pods) {
    if (pod.reason === 'Evicted') {
      evicted.add(pod.name);
      if (pod.message) messages.push(pod.message);
    }
  }
  let systemOom = 0;
  for (const e of evidence.events) {
    if (e.reason === 'Evicted' && (e.objectKind === 'Pod' ? podNames.has(e.objectName) : true)) {
      if (e.objectKind === 'Pod') evicted.add(e.objectName);
      if (e.message) messages.push(e.message);
    }
    if (e.reason === 'SystemOOM' || e.reason === 'OOMKilling') systemOom += e.count;
  }
  let kernelOomKills = 0;
  for (const s of evidence.metrics.nodeOomKills) {
    for (let i = 1; i < s.v.length; i++) {
      const d = (s.v[i] as number) - (s.v[i - 1] as number);
      if (d > 0) kernelOomKills += d;
    }
  }
  const pressure = new Set<string>(evidence.nodes.filter((n) => n.memoryPressure).map((n) => n.name));
  for (const s of evidence.metrics.nodeMemoryPressure)
    if (s.v.some((v) => v >= 1) && s.labels.node) pressure.add(s.labels.node);
  for (const e of evidence.events) {
    if (
      e.objectKind === 'Node' &&
      (e.reason === 'EvictionThresholdMet' || e.reason === 'NodeHasInsufficientMemory')
    )
      pressure.add(e.objectName);
  }
  const podNode = new Map(evidence.pods.map((p) => [p.name, p.node]));
  const inferred = disappearances.filter(
    (d) => !evicted.has(d.pod) && nodeStarvedAt(evidence, d.node ?? podNode.get(d.pod), d.t),
  );
  const analysis: NodeAnalysis = {
    inferredEvictions: inferred,
    evictedPods: [...evicted],
    evictionMessages: [...new Set(messages)],
    systemOomEvents: systemOom,
    kernelOomKills,
    pressureNodes: [...pressure],
  };
  const totals = new Map(evidence.metrics.nodeTotal.map((s) => [s.labels.node ?? '', max(s.v)]));
  for (const s of evidence.metrics.nodeAvailable) {
    const node = s.labels.node ?? '';
    const total = totals.get(node) ?? evidence.nodes.find((n) => n.name === node)?.capacityBytes;
    if (!total || s.v.length === 0) continue;
    const low = Math.min(...s.v);
    const share = low / total;
    if (analysis.minAvailableShare === undefined || share < analysis.minAvailableShare) {
      analysis.minAvailableShare = share;
      analysis.minAvailableBytes = low;
      analysis.minAvailableNode = node;
      analysis.nodeTotalBytes = total;
    }
  }
  const allocatable = evidence.nodes.map((n) => n.allocatableBytes ?? 0).filter((x) => x > 0);
  if (allocatable.length > 0) analysis.largestAllocatableBytes = max(allocatable);
  return analysis;
}

function readLimit(
  evidence: Evidence,
  container: string,
  spec?: ContainerSpec,
): { limit?: number; request?: number } {
  const latest = (series: Series[]): number | undefined => {
    let best: { t: number; v: number } | undefined;
    for (const s of series) {
      if (containerOf(s) !== container) continue;
      const i = s.t.length - 1;
      if (i >= 0 && (!best || (s.t[i] as number) > best.t))
        best = { t: s.t[i] as number, v: s.v[i] as number };
    }
    return best?.v;
  };
  return {
    limit: spec?.limitBytes ?? latest(evidence.metrics.limits),
    request: spec?.requestBytes ?? latest(evidence.metrics.requests),
  };
}

function currentPodNames(pods: PodInfo[], lifetimes: Lifetime[]): string[] {
  return [...new Set([...pods.map((p) => p.name), ...lifetimes.map((l) => l.pod)])].sort();
}

/** Measure everything the scorers need. */
export function extractFeatures(evidence: Evidence): Features {
  const container = pickContainer(evidence);
  const spec = evidence.workload?.containers.find((c) => c.name === container);
  const { limit, request } = readLimit(evidence, container, spec);
  const { kills, restarts } = extractKills(evidence, container);
  const oomKills = kills.filter((k) => k.reason === 'OOMKilled');
  const podNode = new Map(evidence.pods.map((p) => [p.name, p.node]));
  for (const k of oomKills) k.nodeStarved = nodeStarvedAt(evidence, k.node ?? podNode.get(k.pod), k.t);
  const other = kills.filter((k) => k.reason !== 'OOMKilled');
  const lifetimes = splitLifetimes(evidence, container, kills);
  const missing: string[] = [];

  const all: number[] = [];
  const settled: number[] = [];
  let censored = 0;
  for (const life of lifetimes) {
    for (let i = 0; i < life.v.length; i++) {
      const v = life.v[i] as number;
      all.push(v);
      if (limit !== undefined && v >= limit * CENSOR_SHARE) {
        censored++;
        continue;
      }
      if ((life.t[i] as number) - life.start >= WARMUP_SECONDS) settled.push(v);
    }
  }
  const killShares = oomKills
    .filter((k) => k.usageBytes !== undefined && (k.limitBytes ?? limit))
    .map((k) => (k.usageBytes as number) / ((k.limitBytes ?? limit) as number));

  const traffic = analyseTraffic(evidence, container, oomKills, limit, lifetimes);
  const trafficForTrend = traffic ? traffic.total : undefined;
  const trends = lifetimes
    .map((l) => measureTrend(l, limit, trafficForTrend))
    .filter((t): t is LifetimeTrend => t !== undefined);

  const last = [...lifetimes].sort((a, b) => b.end - a.end)[0];
  const podNames = currentPodNames(evidence.pods, lifetimes);
  const heap = spec ? findHeapSettings(spec) : [];
  const recentRollout =
    evidence.workload?.lastRolloutAt !== undefined && evidence.workload.lastRolloutAt >= evidence.window.start
      ? evidence.workload.lastRolloutAt
      : undefined;

  if (evidence.metrics.restarts.length === 0)
    missing.push('restart history (kube-state-metrics); kills read from pod status only');
  if (!evidence.metrics.traffic)
    missing.push(
      'request rate: no http_requests_total, http_server_requests_seconds_count, istio_requests_total or nginx_ingress_controller_requests series for this workload',
    );
  if (evidence.metrics.nodeAvailable.length === 0) missing.push('node memory (node-exporter)');
  if (!evidence.workload) missing.push('workload spec (limits, env) from the cluster');
  for (const gap of evidence.gaps) missing.push(`${gap.what}: ${gap.reason}`);

  return {
    container,
    spec,
    limitBytes: limit,
    requestBytes: request,
    podNames,
    kills,
    oomKills,
    otherTerminations: other,
    restartsInWindow: restarts,
    usageAtKillShare: killShares.length > 0 ? median(killShares) : undefined,
    lifetimes,
    trends,
    peakBytes: all.length > 0 ? max(all) : undefined,
    typicalBytes: settled.length > 0 ? quantile(settled, 0.95) : undefined,
    p99Bytes: settled.length > 0 ? quantile(settled, 0.99) : undefined,
    censoredSamples: censored,
    currentLifetime: last
      ? { pod: last.pod, ageSeconds: last.end - last.start, usageBytes: last.v[last.v.length - 1] as number }
      : undefined,
    traffic,
    node: analyseNodes(evidence, new Set(podNames), findDisappearances(evidence, container, kills)),
    heap,
    runtime: spec ? detectRuntime(spec, heap) : undefined,
    recentRolloutAt: recentRollout,
    missing: [...new Set(missing)],
  };
}
