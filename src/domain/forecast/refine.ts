/**
 * The full analysis of one candidate: the diagnosis's features (lifetimes, trends, kills)
 * confirm the screening's flag or drop it, and give the time to the next kill. Pure.
 */

import type { Action } from '../action-types.ts';
import type { Features, Lifetime, LifetimeTrend } from '../feature-types.ts';
import { bytes, clock, duration, pct } from '../format.ts';
import { median, quantile } from '../series.ts';
import { measureTrend } from '../trends.ts';
import type { Cause } from '../types.ts';
import { actionFor, raiseLimit } from './actions.ts';
import type { Flag, ForecastOptions, Risk } from './types.ts';

/** Lifetimes younger than this can still be warming up. */
const YOUNG_SECONDS = 4 * 3600;
/** A lifetime must run this long before its growth forecasts a kill. */
const MIN_LEAK_AGE_SECONDS = 2 * 3600;

/** Usage of the last half hour at its 90th percentile: where the current lifetime stands, spikes included. */
function recentUsage(life: Lifetime): number {
  const end = life.t.at(-1) ?? life.end;
  const recent = life.v.filter((_, i) => (life.t[i] as number) >= end - 1800);
  return quantile(recent.length > 0 ? recent : life.v, 0.9);
}

/**
 * Too young to tell a leak from a warm-up ramp (caches, pools, JIT fill for an hour or more
 * after a start), or young and slowing down: no leak forecast from it.
 */
function isWarmingUp(life: Lifetime, trend: LifetimeTrend): boolean {
  const age = life.end - life.start;
  if (age < MIN_LEAK_AGE_SECONDS) return true;
  return age < YOUNG_SECONDS && trend.lateSlopeBytesPerSecond < 0.6 * trend.slopeBytesPerSecond;
}

/** The lifetimes still running: every pod's latest, those that reach the end of the data. */
function currentLifetimes(f: Features): Lifetime[] {
  const last = Math.max(...f.lifetimes.map((l) => l.end));
  return f.lifetimes.filter((l) => l.end >= last - 900);
}

/**
 * When the first running lifetime reaches the limit, if it leaks: each measured as the diagnosis
 * measures leaks, the soonest kept.
 */
function leakEta(
  f: Features,
  at: number,
): { etaSeconds: number; pod: string; slope: number; usage: number } | undefined {
  if (f.limitBytes === undefined) return undefined;
  const limit = f.limitBytes;
  let best: { etaSeconds: number; pod: string; slope: number; usage: number } | undefined;
  for (const life of currentLifetimes(f)) {
    const trend = measureTrend(life, limit, f.traffic?.total);
    if (!trend?.leaky || isWarmingUp(life, trend)) continue;
    const slope = Math.max(trend.slopeBytesPerSecond, trend.lateSlopeBytesPerSecond);
    const usage = recentUsage(life);
    const sinceLastSample = Math.max(0, at - (life.t.at(-1) ?? at));
    const etaSeconds = Math.max(0, (limit - usage) / slope - sinceLastSample);
    if (!best || etaSeconds < best.etaSeconds) best = { etaSeconds, pod: life.pod, slope, usage };
  }
  return best;
}

/**
 * The next kill from the cadence of the past ones: the median interval after the last. A
 * cadence already overdue says nothing (the kills may have stopped): no time then.
 */
function cadenceEta(f: Features, at: number): number | null {
  const times = f.oomKills.map((k) => k.t).sort((a, b) => a - b);
  if (times.length < 2) return null;
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  const next = (times.at(-1) as number) + median(gaps);
  return next >= at ? Math.round(next - at) : null;
}

function confirmKills(
  flag: Flag,
  f: Features,
  at: number,
  actions: Action[],
  cause: Cause | undefined,
): Risk | undefined {
  if (f.oomKills.length === 0) return undefined;
  const leak = leakEta(f, at);
  const eta = cadenceEta(f, at) ?? (leak ? Math.round(leak.etaSeconds) : null);
  const last = f.oomKills.at(-1)?.t as number;
  const evidence = [`${f.oomKills.length} OOM kill(s) in the window, the last at ${clock(last, at)}`];
  if (eta !== null) evidence.push(`next kill expected in about ${duration(eta)}`);
  return {
    target: flag.stats.target,
    risk: 'recent_kills',
    etaSeconds: eta,
    evidence,
    actions: actions.length > 0 ? actions.slice(0, 1) : [raiseLimit(flag.stats, f.peakBytes ?? 0)],
    ...(actions.length > 0 && cause ? { cause } : {}),
  };
}

function confirmLeak(flag: Flag, f: Features, at: number, o: ForecastOptions): Risk | undefined {
  const leak = leakEta(f, at);
  if (!leak || leak.etaSeconds > o.horizonSeconds) return undefined;
  const eta = Math.round(leak.etaSeconds);
  const limit = f.limitBytes as number;
  return {
    target: flag.stats.target,
    risk: 'leak',
    etaSeconds: eta,
    evidence: [
      `${leak.pod} grows ${bytes(leak.slope * 3600)}/h after warm-up, steadily, not with traffic`,
      `at ${bytes(leak.usage)} of ${bytes(limit)} (${pct(leak.usage / limit)}): the limit in about ${duration(eta)}`,
    ],
    actions: [actionFor('leak', flag.stats, { pod: leak.pod, etaSeconds: eta })],
  };
}

/** Near the limit for real: not one spike, but the settled usage's top percent. */
function confirmNearLimit(flag: Flag, f: Features, o: ForecastOptions): Risk | undefined {
  if (f.limitBytes === undefined || f.p99Bytes === undefined || f.peakBytes === undefined) return undefined;
  if (f.p99Bytes < o.nearLimitShare * f.limitBytes) return undefined;
  return {
    target: flag.stats.target,
    risk: 'near_limit',
    etaSeconds: null,
    evidence: [
      `settled usage reaches ${bytes(f.p99Bytes)} (p99) of ${bytes(f.limitBytes)} (${pct(f.p99Bytes / f.limitBytes)}); peak ${bytes(f.peakBytes)}`,
    ],
    actions: [raiseLimit(flag.stats, f.peakBytes)],
  };
}

/** A final flag as a risk, with its action. */
export function riskOfFlag(flag: Flag): Risk {
  return {
    target: flag.stats.target,
    risk: flag.risk,
    etaSeconds: flag.etaSeconds,
    evidence: flag.evidence,
    actions: [actionFor(flag.risk, flag.stats, { etaSeconds: flag.etaSeconds })],
  };
}

/**
 * Confirm a candidate with the full analysis. A recent-kills flag whose kills the analysis
 * does not find, or a growth that is warm-up, a level shift or traffic, is dropped, but a
 * leak or a peak can still stand on its own.
 */
export function refineFlag(
  flag: Flag,
  f: Features,
  at: number,
  o: ForecastOptions,
  diagnosisActions: Action[] = [],
  diagnosisCause?: Cause,
): Risk | undefined {
  if (flag.final) return riskOfFlag(flag);
  if (flag.risk === 'recent_kills') {
    const risk = confirmKills(flag, f, at, diagnosisActions, diagnosisCause);
    if (risk) return risk;
  }
  return confirmLeak(flag, f, at, o) ?? confirmNearLimit(flag, f, o);
}
