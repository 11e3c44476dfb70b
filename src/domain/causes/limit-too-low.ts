/** limit_too_low: a steady footprint outgrew a limit set once; no trend, no traffic change. */

import { analyseRuns, type BatchRuns } from '../batch.ts';
import type { Features } from '../feature-types.ts';
import { bytes, clock, pct, ratio } from '../format.ts';
import type { CauseAssessment, Evidence } from '../types.ts';
import { describeLoweredLimit } from './deploy-regression.ts';
import { measureLeak } from './memory-leak.ts';
import { measureNativeGap } from './native-memory.ts';
import { starvedKills, UNDER_LIMIT_SHARE } from './node-pressure.ts';
import { measureSurge } from './traffic-surge.ts';

function nodeEvidence(f: Features): boolean {
  const n = f.node;
  return (
    n.evictedPods.length + n.inferredEvictions.length > 0 ||
    n.systemOomEvents > 0 ||
    n.pressureNodes.length > 0 ||
    (n.minAvailableShare ?? 1) < 0.08
  );
}

/** The runs of a Job or CronJob: their peaks in order and the growth from run to run. */
function describeRuns(runs: BatchRuns, e: Evidence): string[] {
  const recent = runs.runs.slice(-6);
  const peaks = recent.map((r) => `${bytes(r.peakBytes)}${r.killed ? ' (killed)' : ''}`).join(' → ');
  const lines = [
    `${e.target.workload.kind} ${e.target.workload.name}: ${runs.runs.length} run(s), peaks ${peaks}`,
  ];
  if (runs.growthPerRun !== undefined && runs.growthPerRun > 1.02)
    lines.push(
      `each run needs ${pct(runs.growthPerRun - 1)} more than the one before: the input grows, and every run starts from nothing, so this is not a leak`,
    );
  return lines;
}

export function assessLimitTooLow(f: Features, e: Evidence): CauseAssessment {
  if (f.oomKills.length === 0) {
    return { cause: 'limit_too_low', score: 0, evidence: [], reason: 'no OOM kills in the window' };
  }
  if (!f.limitBytes) {
    return { cause: 'limit_too_low', score: 0.1, evidence: [], reason: 'the container has no memory limit' };
  }
  const share = f.usageAtKillShare;
  const starved = starvedKills(f);
  if (starved.length > 0 && starved.length >= f.oomKills.length / 2) {
    return {
      cause: 'limit_too_low',
      score: 0.1,
      evidence: [],
      reason: `${starved.length} of ${f.oomKills.length} kills came while the node was out of memory and the container was under 90% of its limit`,
    };
  }
  if (share !== undefined && share < UNDER_LIMIT_SHARE && nodeEvidence(f)) {
    return {
      cause: 'limit_too_low',
      score: 0.1,
      evidence: [],
      reason: `the kills hit at ${pct(share)} of the limit: something other than the container's own limit killed it`,
    };
  }
  const runs = analyseRuns(f, e);
  // A batch run grows with its input and starts from nothing next time: that growth is no leak.
  const leak = runs ? { share: 0, leaky: [] } : measureLeak(f);
  const surge = measureSurge(f);
  let score = 0.75 * (1 - Math.max(leak.share >= 0.5 ? leak.share : leak.share * 0.5, surge));
  const heap = f.heap.filter((h) => h.ceilingBytes !== undefined).at(-1);
  if (heap?.ceilingBytes && heap.ceilingBytes >= f.limitBytes * 0.85) score *= 0.5;
  if (f.node.evictedPods.length + f.node.inferredEvictions.length > 0 || f.node.systemOomEvents > 0)
    score *= 0.5;
  const native = measureNativeGap(f);
  if (native?.strong) score *= 0.5;
  const evidence = [
    `${f.oomKills.length} OOM kill(s) of ${f.container} against its ${bytes(f.limitBytes)} limit${share === undefined ? '' : `; last scrape before each kill at ${pct(share)} of it (the spike that crossed it fell between scrapes)`}`,
  ];
  if (f.censoredSamples > 0)
    evidence.push(
      `${f.censoredSamples} samples pinned at the limit: the real demand was higher than Prometheus could see`,
    );
  if (f.typicalBytes !== undefined)
    evidence.push(
      `settled footprint p95 ${bytes(f.typicalBytes)} (${pct(f.typicalBytes / f.limitBytes)} of the limit)`,
    );
  if (f.trends.length > 0 && leak.share < 0.5)
    evidence.push(
      `no growth trend in ${f.trends.length - leak.leaky.length} of ${f.trends.length} lifetime(s)`,
    );
  if (f.traffic?.jumpRatio !== undefined && surge === 0)
    evidence.push(`traffic steady (${ratio(f.traffic.jumpRatio)} of its earlier range)`);
  if (runs) evidence.push(...describeRuns(runs, e));
  if (f.recentRolloutAt === undefined) evidence.push('no rollout in the window');
  else evidence.push(`last rollout ${clock(f.recentRolloutAt, e.at)}`);
  evidence.push(...describeLoweredLimit(f, e));
  let reason = '';
  if (leak.share >= 0.5) reason = 'memory grows within every lifetime: a bigger limit only delays the kill';
  else if (surge > 0.5) reason = 'the footprint rose with a traffic jump, not on its own';
  else if (native?.strong)
    reason = `the heap is capped at ${bytes(native.ceilingBytes)} (${pct(native.share)} of the limit): the memory past it is native, and a bigger limit leaves it unbounded`;
  return { cause: 'limit_too_low', score, evidence, reason };
}
