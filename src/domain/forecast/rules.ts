/**
 * The screening rules of the bulk pass: small predicates, tried in order, the first that
 * matches names the container's risk. Cheap and generous: static risks are final here, the
 * others are candidates that the full per-workload analysis confirms or drops.
 */
import { bytes, duration, pct, ratio } from '../format.ts';
import { findHeapSettings, NON_HEAP_SHARE } from '../heap.ts';
import { secondsToLimit } from './fold.ts';
import type { ContainerStats, Flag, ForecastOptions } from './types.ts';

type Rule = (s: ContainerStats, o: ForecastOptions) => Flag | undefined;

/**
 * A JVM, Node.js or Go heap ceiling at or above the memory limit, or so close to it that the
 * runtime's non-heap memory cannot fit beside it (the diagnosis's own measure of room).
 */
const heapAboveLimit: Rule = (s) => {
  if (!s.spec || s.limitBytes === undefined) return undefined;
  const setting = findHeapSettings({ ...s.spec, limitBytes: s.limitBytes }).at(-1);
  if (setting?.ceilingBytes === undefined) return undefined;
  const room = 1 - NON_HEAP_SHARE[setting.runtime];
  const share = setting.ceilingBytes / s.limitBytes;
  if (share < room) return undefined;
  const line = `${setting.flag} (${setting.source}) allows a ${bytes(setting.ceilingBytes)} heap in a ${bytes(s.limitBytes)} limit (${pct(share)})`;
  const why =
    share >= 1
      ? 'the runtime may use more heap than the container may: the kernel kills it before the runtime collects'
      : `non-heap memory (about ${pct(NON_HEAP_SHARE[setting.runtime])} of the limit) does not fit beside it`;
  return { stats: s, risk: 'heap_above_limit', etaSeconds: null, final: true, evidence: [line, why] };
};

/** Killed for memory inside the window: it will be again unless something changes. */
const recentKills: Rule = (s) => {
  if (!s.oomKilled) return undefined;
  return {
    stats: s,
    risk: 'recent_kills',
    etaSeconds: null,
    final: false,
    evidence: [`OOMKilled inside the window; ${s.restarts} restart(s) across ${s.pods.length} pod(s)`],
  };
};

/** Growing over the window fast enough to reach the limit within 1.5 horizons (the analysis narrows it). */
const growingToLimit: Rule = (s, o) => {
  const w = s.worstTrend;
  if (!w || s.limitBytes === undefined) return undefined;
  const eta = secondsToLimit(s.limitBytes, w.currentBytes, w.slopeBytesPerSecond);
  if (eta > 1.5 * o.horizonSeconds) return undefined;
  return {
    stats: s,
    risk: 'leak',
    etaSeconds: Math.round(eta),
    final: false,
    evidence: [
      `${w.pod} grows ${bytes(w.slopeBytesPerSecond * 3600)}/h, at ${bytes(w.currentBytes)} of ${bytes(s.limitBytes)}: the limit in about ${duration(eta)} at this rate`,
    ],
  };
};

/** Peaks close to the limit already. */
const nearLimit: Rule = (s, o) => {
  if (s.limitBytes === undefined || s.peakBytes === undefined) return undefined;
  if (s.peakBytes < o.nearLimitShare * s.limitBytes) return undefined;
  return {
    stats: s,
    risk: 'near_limit',
    etaSeconds: null,
    final: false,
    evidence: [
      `peak ${bytes(s.peakBytes)} of ${bytes(s.limitBytes)} (${pct(s.peakBytes / s.limitBytes)}) in the window`,
    ],
  };
};

/**
 * Usage far above the request puts the pod first in line when the node runs short; with no
 * limit at all on a node that was under pressure, nothing else stops it.
 */
const requestFarBelowUsage: Rule = (s, o) => {
  const usage = s.currentBytes ?? s.peakBytes;
  if (usage === undefined) return undefined;
  const request = s.requestBytes ?? 0;
  const farAbove = request > 0 && usage >= o.requestFactor * request && usage - request >= 64 * 2 ** 20;
  const unbounded = s.limitBytes === undefined && s.pressureNodes.length > 0 && usage > request;
  if (!farAbove && !unbounded) return undefined;
  const evidence = [
    request > 0
      ? `uses ${bytes(usage)}, ${ratio(usage / request)} its ${bytes(request)} request: first in line for eviction`
      : `uses ${bytes(usage)} with no memory request: first in line for eviction`,
  ];
  if (unbounded)
    evidence.push(
      `no memory limit, on node(s) under MemoryPressure in the window: ${s.pressureNodes.join(', ')}`,
    );
  return { stats: s, risk: 'request_far_below_usage', etaSeconds: null, final: true, evidence };
};

/** In order: the first rule that matches wins. */
const RULES: Rule[] = [heapAboveLimit, recentKills, growingToLimit, nearLimit, requestFarBelowUsage];

/** The screening verdict of one container, or undefined when no rule matches. */
export function screen(s: ContainerStats, o: ForecastOptions): Flag | undefined {
  for (const rule of RULES) {
    const flag = rule(s, o);
    if (flag) return flag;
  }
  return undefined;
}
