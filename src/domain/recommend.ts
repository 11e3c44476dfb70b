/**
 * The new limit and request, from observed and projected demand, and the what-if replay of
 * the proposal against the window's history. Margins follow what VPA and KRR do after an OOM
 * (VPA: max(used + 100Mi, used x 1.2); KRR: limit-at-OOM x 1.25), raised where demand was censored.
 */
import type { BatchRuns } from './batch.ts';
import { measureSurge } from './causes/traffic-surge.ts';
import type { Features } from './feature-types.ts';
import { bytes, pct, rate } from './format.ts';
import { roundUpToTidy, toQuantity } from './quantity.ts';
import { CENSOR_SHARE } from './thresholds.ts';
import type { Cause, Recommendation, ReplayResult } from './types.ts';

export interface RecommendOptions {
  /** Largest limit the bot will ever propose (policy). */
  maxLimitBytes: number;
  /** The runs of a Job or CronJob: the template is sized for the largest, grown by one more run. */
  batchRuns?: BatchRuns;
}

/** A batch template must hold the largest recent run and the growth of the next one, not the median run. */
function estimateBatchDemand(runs: BatchRuns): { demand: number; basis: string } {
  const growth = Math.max(1, runs.growthPerRun ?? 1);
  const demand = runs.nextRunBytes * 1.2;
  return {
    demand,
    basis: `largest recent run ${bytes(runs.largestBytes)}, growing ${growth.toFixed(2)}x a run: the next run needs about ${bytes(runs.nextRunBytes)}, +20% margin`,
  };
}

export const DEFAULT_MAX_LIMIT_BYTES = 16 * 2 ** 30;
const MI = 2 ** 20;

/**
 * True when, since the first kill, nearly every container lifetime ended in a kill within
 * minutes: demand now exceeds the limit all the time, not in a rare spike.
 */
function isCrashLoop(f: Features): boolean {
  const onset = f.oomKills[0]?.t;
  if (onset === undefined) return false;
  const after = f.lifetimes.filter((l) => l.start >= onset);
  if (after.length < 5) return false;
  const killed = after.filter((l) => l.killed);
  const short = killed.filter((l) => l.end - l.start < 1800);
  return killed.length >= 0.8 * (after.length - 1) && short.length >= 0.8 * killed.length;
}

/** Demand estimate for limit_too_low: the censored kills say demand exceeded the limit. */
function estimateSteadyDemand(f: Features): { demand: number; basis: string } {
  const limit = f.limitBytes as number;
  const censored = f.censoredSamples > 0 || (f.usageAtKillShare ?? 0) >= CENSOR_SHARE - 0.05;
  const observed = Math.max(f.p99Bytes ?? 0, f.typicalBytes ?? 0);
  if (censored || f.oomKills.length > 0) {
    const loop = isCrashLoop(f);
    const factor = loop ? 2 : 1.5;
    const bump = Math.max(limit * factor, limit + 256 * MI, observed * 1.3);
    return {
      demand: bump,
      basis: loop
        ? `every lifetime since the first kill died within minutes: demand is well above the ${bytes(limit)} limit, OOM bump 2x`
        : `killed at the ${bytes(limit)} limit, so demand was above it: OOM bump 1.5x`,
    };
  }
  return {
    demand: Math.max(observed * 1.3, (f.peakBytes ?? 0) * 1.2, (f.peakBytes ?? 0) + 100 * MI),
    basis: `peak ${bytes(f.peakBytes ?? 0)} plus 20% margin`,
  };
}

/**
 * Demand for a surge. Memory = base + cost per request x rate. Two estimates, the larger wins:
 * the fit projected at the peak per-pod rate seen, and the limit's load-driven part scaled by the
 * jump (crash-looping pods serve and export less than they are sent, so the observed rate after
 * the jump is itself censored).
 */
function estimateSurgeDemand(f: Features): { demand: number; basis: string } | undefined {
  const t = f.traffic;
  const limit = f.limitBytes as number;
  if (!t || t.perPodPeakRate === undefined) return undefined;
  const jump = Math.max(1, t.jumpRatio ?? 1);
  const fitted =
    t.bytesPerRps !== undefined && t.bytesPerRps > 0 && t.baseBytes !== undefined && t.fitSamples >= 30;
  const base = fitted ? Math.min(Math.max(0, t.baseBytes as number), limit * 0.8) : 0;
  const projected = fitted ? base + (t.bytesPerRps as number) * t.perPodPeakRate : 0;
  const scaled = base + (limit - base) * Math.min(jump, 4);
  const demand = Math.max(projected * 1.3, scaled * 1.2, limit * 1.5);
  const fitText = fitted
    ? `${bytes(base)} base + ${bytes(t.bytesPerRps as number)} per req/s x ${rate(t.perPodPeakRate)} peak per pod = ${bytes(projected)}; `
    : '';
  return {
    demand,
    basis: `${fitText}the load-driven part of the ${bytes(limit)} limit x ${jump.toFixed(1)} traffic jump = ${bytes(scaled)}; +20-30% margin`,
  };
}

/** Replay the window with a proposed limit: how many kills, how much headroom. */
function replayLimit(f: Features, limit: number, demand: number): ReplayResult {
  let projectedKills = 0;
  let minHeadroom = Number.POSITIVE_INFINITY;
  for (const life of f.lifetimes) {
    let peak = 0;
    for (const v of life.v) peak = Math.max(peak, v);
    const pinned = f.limitBytes !== undefined && peak >= f.limitBytes * CENSOR_SHARE;
    const wanted = pinned ? Math.max(peak, demand / 1.3) : peak;
    if (wanted >= limit) projectedKills++;
    minHeadroom = Math.min(minHeadroom, limit - wanted);
  }
  return {
    projectedKills,
    minHeadroomBytes: Number.isFinite(minHeadroom) ? minHeadroom : limit,
    observedKills: f.oomKills.length,
    censoredSamples: f.censoredSamples,
  };
}

/** A limit recommendation where raising the limit is the right fix; undefined otherwise. */
export function recommendLimit(
  f: Features,
  cause: Cause,
  options: RecommendOptions,
): Recommendation | undefined {
  if (cause !== 'limit_too_low' && cause !== 'traffic_surge') return undefined;
  if (!f.limitBytes) return undefined;
  let estimate =
    cause === 'traffic_surge' || measureSurge(f) > 0.5
      ? (estimateSurgeDemand(f) ?? estimateSteadyDemand(f))
      : estimateSteadyDemand(f);
  if (options.batchRuns) {
    const batch = estimateBatchDemand(options.batchRuns);
    if (batch.demand > estimate.demand) estimate = batch;
  }
  // After an OOM kill the new limit is never below the old one plus KRR's 25% bump.
  let limit = roundUpToTidy(Math.max(estimate.demand, f.limitBytes * 1.25));
  let capped = '';
  const nodeCap = f.node.largestAllocatableBytes
    ? Math.floor((f.node.largestAllocatableBytes * 0.75) / (64 * MI)) * 64 * MI
    : undefined;
  const cap = Math.min(options.maxLimitBytes, nodeCap ?? Number.POSITIVE_INFINITY);
  if (limit > cap) {
    limit = cap;
    capped = ` (capped at ${bytes(cap)}: ${cap === options.maxLimitBytes ? 'policy maximum' : '75% of the largest node allocatable'})`;
  }
  const typical = Math.max(f.typicalBytes ?? 0, f.requestBytes ?? 0);
  const request = Math.min(
    limit,
    Math.max(f.requestBytes ?? 0, roundUpToTidy(Math.max(typical * 1.1, limit / 2))),
  );
  const replay = f.lifetimes.length > 0 ? replayLimit(f, limit, estimate.demand) : undefined;
  return {
    container: f.container,
    memoryLimitBytes: limit,
    memoryRequestBytes: request,
    memoryLimit: toQuantity(limit),
    memoryRequest: toQuantity(request),
    currentLimitBytes: f.limitBytes,
    currentRequestBytes: f.requestBytes,
    rationale: `${estimate.basis}${capped}; request ${bytes(request)} covers the settled footprint (${pct(typical / limit)} of the new limit)`,
    replay,
  };
}
