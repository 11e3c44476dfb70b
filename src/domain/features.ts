/**
 * Turns Evidence into the measured features every cause scorer reads: the target container,
 * its kills, its lifetimes with their trends, traffic and its jump, node memory, heap settings.
 * Computed once per diagnosis; pure. The measurements live in kills.ts, trends.ts, traffic.ts
 * and nodes.ts, their types in feature-types.ts; this file puts them together.
 */
import { containerOf } from './container-series.ts';
import type { Features, Lifetime, LifetimeTrend } from './feature-types.ts';
import { detectRuntime, findHeapSettings } from './heap.ts';
import { extractKills, findDisappearances, splitLifetimes } from './kills.ts';
import { analyseNodes, nodeStarvedAt } from './nodes.ts';
import { median, quantiles } from './series.ts';
import { CENSOR_SHARE, WARMUP_SECONDS } from './thresholds.ts';
import { analyseTraffic } from './traffic.ts';
import { measureTrend } from './trends.ts';
import type { ContainerSpec, Evidence, PodInfo, Series } from './types.ts';

const SIDECARS = new Set([
  'istio-proxy',
  'linkerd-proxy',
  'envoy',
  'istio-init',
  'vault-agent',
  'cloudsql-proxy',
]);

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

/**
 * One pass over the lifetimes' samples: the peak, the samples at or near the limit (censored: the
 * real demand is unknown) and the uncensored samples after warm-up, in a typed array.
 */
function measureUsage(
  lifetimes: Lifetime[],
  limit: number | undefined,
): { peak?: number; settled: Float64Array; censored: number } {
  let size = 0;
  for (const life of lifetimes) size += life.v.length;
  const settled = new Float64Array(size);
  let peak = Number.NEGATIVE_INFINITY;
  let n = 0;
  let censored = 0;
  for (const life of lifetimes) {
    for (let i = 0; i < life.v.length; i++) {
      const v = life.v[i] as number;
      if (v > peak) peak = v;
      if (limit !== undefined && v >= limit * CENSOR_SHARE) {
        censored++;
        continue;
      }
      if ((life.t[i] as number) - life.start >= WARMUP_SECONDS) settled[n++] = v;
    }
  }
  return { peak: size > 0 ? peak : undefined, settled: settled.subarray(0, n), censored };
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

  const { peak, settled, censored } = measureUsage(lifetimes, limit);
  const [p95, p99] = quantiles(settled, [0.95, 0.99]);
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
    peakBytes: peak,
    typicalBytes: settled.length > 0 ? p95 : undefined,
    p99Bytes: settled.length > 0 ? p99 : undefined,
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
