/** memory_leak: memory climbs inside every container lifetime and the climb repeats after each restart. */

import { isBatch } from '../batch.ts';
import type { Features, LifetimeTrend } from '../feature-types.ts';
import { bytes, duration, pct } from '../format.ts';
import { median } from '../series.ts';
import type { CauseAssessment, Evidence } from '../types.ts';
import { measureNativeGap } from './native-memory.ts';

/** Share of analysable lifetimes that leak, and the median leak rate, for other scorers. */
export function measureLeak(f: Features): { leaky: LifetimeTrend[]; share: number; slope: number } {
  const leaky = f.trends.filter((t) => t.leaky);
  const decisive = f.trends.filter((t) => !t.trafficExplained).length;
  const share = decisive > 0 ? leaky.length / decisive : 0;
  return { leaky, share, slope: leaky.length > 0 ? median(leaky.map((t) => t.slopeBytesPerSecond)) : 0 };
}

/** Hours until the current lifetime reaches the limit at the leak rate. */
export function hoursToLimit(f: Features, slopeBytesPerSecond: number): number | undefined {
  if (!f.limitBytes || !f.currentLifetime || slopeBytesPerSecond <= 0) return undefined;
  return Math.max(0, (f.limitBytes - f.currentLifetime.usageBytes) / slopeBytesPerSecond / 3600);
}

/**
 * How strongly lifetime trends say "leak", 0..1, before kills and confounders are weighed:
 * several growing lifetimes, by their share; one growing lifetime only if it grew for hours.
 */
export function scoreLeakTrends(trends: LifetimeTrend[]): number {
  const leaky = trends.filter((t) => t.leaky);
  if (leaky.length === 0) return 0.05;
  const decisive = trends.filter((t) => !t.trafficExplained).length;
  if (leaky.length >= 2) return 0.5 + (0.45 * leaky.length) / Math.max(1, decisive);
  return Math.max(...leaky.map((t) => t.durationSeconds)) >= 4 * 3600 ? 0.7 : 0.45;
}

export function assessMemoryLeak(f: Features, e?: Evidence): CauseAssessment {
  const { leaky, share, slope } = measureLeak(f);
  if (e && isBatch(e) && leaky.length > 0) {
    return {
      cause: 'memory_leak',
      score: 0.1,
      evidence: [],
      reason: `a ${e.target.workload.kind} run starts from nothing: memory that grows within a run and run over run is its input growing, not a leak`,
    };
  }
  const trends = f.trends;
  if (trends.length === 0) {
    return {
      cause: 'memory_leak',
      score: 0,
      evidence: [],
      reason: 'no container lifetime lasted long enough after warm-up to show a trend',
    };
  }
  const medianSlope = median(trends.map((t) => t.slopeBytesPerSecond));
  if (leaky.length === 0) {
    const explained = trends.filter(
      (t) => (t.trafficMonotonicity ?? 0) > 0.7 && t.slopeBytesPerSecond > 0,
    ).length;
    const growth = median(trends.map((t) => t.growthShareOfLimit));
    const reason =
      explained > trends.length / 2
        ? `memory rises only where traffic rises (${explained} of ${trends.length} lifetimes)`
        : `no growth after warm-up: ${bytes(Math.max(0, medianSlope) * 3600)}/h median over ${trends.length} lifetime(s), ${pct(Math.max(0, growth))} of the limit per lifetime`;
    return { cause: 'memory_leak', score: 0.05, evidence: [], reason };
  }
  let score = scoreLeakTrends(trends);
  if (f.oomKills.length === 0) score *= 0.4;
  const heap = f.heap.filter((h) => h.ceilingBytes !== undefined).at(-1);
  const heapFills =
    heap?.ceilingBytes !== undefined &&
    f.limitBytes !== undefined &&
    heap.ceilingBytes >= f.limitBytes * 0.85;
  if (heapFills) score *= 0.6;
  const native = measureNativeGap(f);
  if (native?.strong) score *= 0.5;
  const rho = median(leaky.map((t) => t.monotonicity));
  const evidence = [
    `memory climbs ${bytes(slope * 3600)}/h after warm-up in ${leaky.length} of ${trends.length} lifetime(s) (rank correlation with time ${rho.toFixed(2)})`,
  ];
  if (leaky.length >= 2) evidence.push('the climb starts again after every restart');
  const hours = hoursToLimit(f, slope);
  if (hours !== undefined && f.currentLifetime) {
    evidence.push(
      `${f.currentLifetime.pod} now at ${bytes(f.currentLifetime.usageBytes)}: the next kill in about ${duration(hours * 3600)}`,
    );
  }
  const flatTraffic = leaky.filter(
    (t) => t.trafficMonotonicity !== undefined && Math.abs(t.trafficMonotonicity) < 0.4,
  ).length;
  if (flatTraffic > 0)
    evidence.push(`traffic had no trend in ${flatTraffic} of those lifetimes: the growth is not load`);
  const reason = heapFills
    ? `the growth is the runtime filling a heap allowed to exceed the limit (${heap?.flag})`
    : native?.strong
      ? `the growth is outside the heap: ${native.setting.flag} holds the heap to ${bytes(native.ceilingBytes)}, the working set passed it by ${bytes(native.peakBytes - native.ceilingBytes)} (native memory)`
      : share < 0.5
        ? `only ${leaky.length} of ${trends.length} lifetimes grow`
        : '';
  return { cause: 'memory_leak', score, evidence, reason };
}
