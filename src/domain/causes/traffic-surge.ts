/** traffic_surge: memory follows load, and load jumped beyond its earlier range before the kills. */
import type { Features } from '../feature-types.ts';
import { bytes, clock, rate, ratio } from '../format.ts';
import type { CauseAssessment, Evidence } from '../types.ts';

const SURGE_RATIO = 1.5;

/** How strongly the traffic jumped before the kills, 0..1, for other scorers. */
export function measureSurge(f: Features): number {
  const t = f.traffic;
  if (!t || t.jumpRatio === undefined || f.oomKills.length === 0) return 0;
  if (t.jumpRatio < 1.3) return 0;
  const timing = t.killsAfterChangeShare ?? 0;
  const strength = Math.min(1, (t.jumpRatio - 1.2) / 1.0);
  return strength * (timing >= 0.8 ? 1 : timing >= 0.5 ? 0.6 : 0.2);
}

export function assessTrafficSurge(f: Features, e: Evidence): CauseAssessment {
  const t = f.traffic;
  if (!t) {
    return {
      cause: 'traffic_surge',
      score: 0,
      evidence: [],
      reason: 'no request-rate metric found for this workload',
    };
  }
  const jump = t.jumpRatio ?? 1;
  const steady = `traffic steady: ${rate(t.recentRate ?? 0)} recently against ${rate(t.baselineRate ?? 0)} before (${ratio(jump)} of its earlier range)`;
  if (f.oomKills.length === 0) {
    return { cause: 'traffic_surge', score: 0, evidence: [], reason: 'no OOM kills for a surge to explain' };
  }
  if (jump < 1.3 || t.changeAt === undefined)
    return { cause: 'traffic_surge', score: 0.05, evidence: [], reason: steady };
  const timing = t.killsAfterChangeShare ?? 0;
  let score = Math.min(0.95, 0.45 + 0.25 * (jump - 1.3));
  if (jump < SURGE_RATIO) score *= 0.6;
  if (timing < 0.8) score *= timing >= 0.5 ? 0.6 : 0.25;
  const corr = t.memoryTrafficCorrelation;
  if (corr !== undefined && t.fitSamples >= 50) {
    if (corr >= 0.4) score = Math.min(0.97, score + 0.05);
    else if (corr < 0.1) score *= 0.7;
  }
  const evidence = [
    `${t.family}: ${rate(t.recentRate ?? 0)} since ${clock(t.changeAt, e.at)}, ${ratio(jump)} the top of its earlier range (${rate(t.baselineRate ?? 0)} typical before)`,
  ];
  evidence.push(`${Math.round(timing * 100)}% of the OOM kills came after the jump`);
  if (corr !== undefined) {
    const per =
      t.bytesPerRps !== undefined && t.bytesPerRps > 0
        ? `, about ${bytes(t.bytesPerRps)} per req/s per pod`
        : '';
    evidence.push(
      `memory follows traffic: rank correlation ${corr.toFixed(2)} over ${t.fitSamples} samples${per}`,
    );
  }
  const reason =
    timing < 0.5
      ? `traffic rose ${ratio(jump)} at ${clock(t.changeAt, e.at)}, but most kills came before it`
      : '';
  return { cause: 'traffic_surge', score, evidence, reason };
}
