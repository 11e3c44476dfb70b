/**
 * The differential diagnosis: every cause scored from the same features, ranked, the winner
 * explained and the runners-up rejected with their reasons. Pure: Evidence in, Diagnosis out.
 */
import { investigateFirst, planActions } from './actions.ts';
import { analyseRuns, type BatchRuns } from './batch.ts';
import { assessDeployRegression } from './causes/deploy-regression.ts';
import { assessHeapMisconfigured } from './causes/heap-misconfigured.ts';
import { assessLimitTooLow } from './causes/limit-too-low.ts';
import { assessMemoryLeak } from './causes/memory-leak.ts';
import { assessNativeMemory } from './causes/native-memory.ts';
import { assessNoOom } from './causes/no-oom.ts';
import { assessNodePressure } from './causes/node-pressure.ts';
import { assessTrafficSurge } from './causes/traffic-surge.ts';
import type { Features } from './feature-types.ts';
import { extractFeatures } from './features.ts';
import { bytes, clock, pct } from './format.ts';
import { pressureNodeOf } from './nodes.ts';
import { DEFAULT_MAX_LIMIT_BYTES, type RecommendOptions, recommendLimit } from './recommend.ts';
import { analyseRollout, toRolloutFacts } from './rollout.ts';
import type { Cause, CauseAssessment, ChartData, Diagnosis, Evidence, KillSummary } from './types.ts';

type Scorer = (f: Features, e: Evidence) => CauseAssessment;

/** One scorer per cause, in the order ties are broken. */
export const SCORERS: Scorer[] = [
  assessHeapMisconfigured,
  assessNodePressure,
  assessMemoryLeak,
  assessTrafficSurge,
  assessDeployRegression,
  assessLimitTooLow,
  assessNoOom,
  assessNativeMemory,
];

/** Below this the top cause is not trusted: the answer is "unknown". */
const MIN_SCORE = 0.3;

const LABEL: Record<Cause, string> = {
  limit_too_low: 'memory limit too low',
  memory_leak: 'memory leak',
  traffic_surge: 'traffic surge',
  node_pressure: 'node memory pressure',
  heap_misconfigured: 'runtime heap above the limit',
  no_oom: 'not an OOM kill',
  deploy_regression: 'regression in the last rollout',
  native_memory: 'memory outside the runtime heap',
  unknown: 'cause unknown',
};

export function describeCause(cause: Cause): string {
  return LABEL[cause];
}

function computeConfidence(top: number, second: number, missing: number): number {
  const separation = Math.min(1, Math.max(0, top - second) / 0.4);
  const base = top * (0.55 + 0.45 * separation);
  return Math.round(base * 0.92 ** Math.min(missing, 4) * 100) / 100;
}

function summarizeKills(f: Features): KillSummary {
  return {
    oomKills: f.oomKills.length,
    otherRestarts: f.otherTerminations.length,
    evictions: f.node.evictedPods.length + f.node.inferredEvictions.length,
    firstKillAt: f.oomKills[0]?.t,
    lastKillAt: f.oomKills.at(-1)?.t,
    exitCodes: [...new Set(f.kills.map((k) => k.exitCode).filter((c): c is number => c !== undefined))],
  };
}

/** When each evicted pod was taken: its Evicted event, else its last sample; inferred ones carry their time. */
function findEvictionTimes(f: Features, e: Evidence): Array<{ pod: string; t: number }> {
  const out = f.node.inferredEvictions.map((d) => ({ pod: d.pod, t: d.t }));
  for (const pod of f.node.evictedPods) {
    const event = e.events.find((ev) => ev.reason === 'Evicted' && ev.objectName === pod);
    const series = e.metrics.workingSet.find(
      (s) => s.labels.pod === pod && s.labels.container === f.container,
    );
    const t = event?.lastAt ?? event?.firstAt ?? series?.t.at(-1);
    if (t !== undefined) out.push({ pod, t });
  }
  return out;
}

function buildChart(f: Features, e: Evidence, proposed?: number): ChartData {
  const byPod = new Map<string, { t: number[]; v: number[] }>();
  for (const s of e.metrics.workingSet) {
    if ((s.labels.container ?? '') !== f.container) continue;
    const pod = s.labels.pod ?? '';
    if (!byPod.has(pod) || (byPod.get(pod)?.t.length ?? 0) < s.t.length) byPod.set(pod, { t: s.t, v: s.v });
  }
  return {
    window: e.window,
    pods: [...byPod].map(([pod, series]) => ({ pod, series })),
    limitBytes: f.limitBytes,
    requestBytes: f.requestBytes,
    proposedLimitBytes: proposed,
    kills: [
      ...f.kills.map((k) => ({ pod: k.pod, t: k.t, oom: k.reason === 'OOMKilled' })),
      ...findEvictionTimes(f, e).map((x) => ({ ...x, oom: false, kind: 'eviction' as const })),
    ],
    traffic: f.traffic ? { ...f.traffic.total, label: `${f.traffic.family} (req/s)` } : undefined,
  };
}

function buildHeadline(cause: Cause, f: Features, e: Evidence, batchRuns?: BatchRuns): string {
  const name = e.target.service ?? e.target.workload.name;
  const where = `${e.target.namespace}/${name}`;
  const limit = f.limitBytes ? bytes(f.limitBytes) : 'no limit';
  switch (cause) {
    case 'traffic_surge': {
      const t = f.traffic;
      const jump = t?.jumpRatio ? `${t.jumpRatio.toFixed(1)}x` : 'more';
      return `${where}: traffic surge — ${jump} requests since ${t?.changeAt ? clock(t.changeAt, e.at) : 'earlier'} pushed ${f.container} past its ${limit} limit`;
    }
    case 'limit_too_low':
      return batchRuns
        ? `${where}: memory limit too low — ${f.container} is OOM-killed at its ${limit} limit as its runs grow`
        : `${where}: memory limit too low — ${f.container} is OOM-killed at its ${limit} limit with a steady footprint`;
    case 'memory_leak':
      return `${where}: memory leak — ${f.container} grows in every lifetime until the ${limit} limit kills it`;
    case 'node_pressure':
      return `${where}: node memory pressure — the node, not the ${limit} limit, killed ${f.container}`;
    case 'heap_misconfigured': {
      const h = f.heap.at(-1);
      return `${where}: runtime heap above the limit — ${h?.flag ?? 'the heap setting'} does not fit in ${limit}`;
    }
    case 'deploy_regression':
      return `${where}: regression in the last rollout — ${f.container} needs more memory since ${f.recentRolloutAt ? clock(f.recentRolloutAt, e.at) : 'the rollout'} and hits its ${limit} limit`;
    case 'native_memory': {
      const h = f.heap.filter((s) => s.ceilingBytes !== undefined).at(-1);
      return `${where}: memory outside the heap — ${h?.flag ?? 'the heap ceiling'} fits in ${limit}, yet ${f.container} is killed at it`;
    }
    case 'no_oom':
      return `${where}: not an OOM kill — ${f.container} ${f.restartsInWindow > 0 ? 'restarts for another reason' : 'did not restart'}`;
    default:
      return `${where}: cause unknown — the evidence does not separate the causes`;
  }
}

/** Diagnose one target from its evidence. */
export function diagnose(evidence: Evidence, options: Partial<RecommendOptions> = {}): Diagnosis {
  const f = extractFeatures(evidence);
  const assessments = SCORERS.map((score) => score(f, evidence));
  const ranked = [...assessments].sort((a, b) => b.score - a.score);
  const top = ranked[0] as CauseAssessment;
  const second = ranked[1]?.score ?? 0;
  const cause: Cause = top.score >= MIN_SCORE ? top.cause : 'unknown';
  const batchRuns = analyseRuns(f, evidence);
  const recommendation = recommendLimit(f, cause, {
    maxLimitBytes: options.maxLimitBytes ?? DEFAULT_MAX_LIMIT_BYTES,
    ...(batchRuns ? { batchRuns } : {}),
  });
  const evidenceLines =
    cause === 'unknown' ? ranked.flatMap((a) => a.evidence).slice(0, 6) : [...top.evidence];
  if (recommendation?.replay) {
    const r = recommendation.replay;
    evidenceLines.push(
      `what-if over the window at ${recommendation.memoryLimit}: ${r.projectedKills} kill(s) instead of ${r.observedKills}, minimum headroom ${bytes(Math.max(0, r.minHeadroomBytes))}`,
    );
  }
  const rejected = ranked
    .filter((a) => a.cause !== cause)
    .map((a) => ({
      cause: a.cause,
      reason: a.reason || `weaker evidence (score ${a.score.toFixed(2)} against ${top.score.toFixed(2)})`,
    }));
  const missing = [...f.missing];
  const confidence = computeConfidence(top.score, second, missing.length);
  const headline = buildHeadline(cause, f, evidence, batchRuns);
  const kills = summarizeKills(f);
  const rollout = analyseRollout(f, evidence);
  const pressureNode = cause === 'node_pressure' ? pressureNodeOf(f.oomKills, f.node, evidence) : undefined;
  const facts = {
    limitBytes: f.limitBytes,
    requestBytes: f.requestBytes,
    peakBytes: f.peakBytes,
    restarts: f.restartsInWindow,
    podCount: f.podNames.length,
    since: kills.firstKillAt,
  };
  const summary = [
    f.limitBytes && f.peakBytes
      ? `peak ${bytes(f.peakBytes)} of ${bytes(f.limitBytes)} (${pct(f.peakBytes / f.limitBytes)})`
      : undefined,
    `${kills.oomKills} OOM kill(s)`,
    kills.evictions > 0 ? `${kills.evictions} eviction(s)` : undefined,
    `${f.restartsInWindow} restart(s) in ${Math.round((evidence.window.end - evidence.window.start) / 3600)} h`,
    kills.firstKillAt ? `since ${clock(kills.firstKillAt, evidence.at)}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return {
    target: evidence.target,
    container: f.container,
    at: evidence.at,
    cause,
    confidence,
    headline,
    summary,
    evidence: evidenceLines,
    rejected,
    ranking: ranked.map((a) => ({ cause: a.cause, score: Math.round(a.score * 100) / 100 })),
    investigateFirst: investigateFirst(cause, f, evidence),
    recommendation,
    actions: planActions(cause, f, evidence, recommendation),
    kills,
    facts,
    missing,
    chart: {
      ...buildChart(f, evidence, recommendation?.memoryLimitBytes),
      ...(rollout ? { rollout: { t: rollout.at, label: `rollout r${rollout.current.revision}` } } : {}),
    },
    ...(rollout ? { rollout: toRolloutFacts(rollout) } : {}),
    ...(pressureNode ? { pressureNode: { name: pressureNode } } : {}),
  };
}
