/**
 * Collects the Evidence for one target through the ports: cluster snapshot and metrics in
 * parallel, each call under a timeout. A source that fails leaves a named gap, never a crash.
 */
import type {
  Evidence,
  Gap,
  MetricsEvidence,
  Series,
  Target,
  TimeWindow,
  TrafficSeries,
} from './domain/types.ts';
import { describeError, OomBotError } from './errors.ts';
import { readSnapshot } from './sources/cluster.ts';
import type { EvidenceSources } from './sources/ports.ts';
import {
  anyOf,
  chooseStep,
  containerQueries,
  escapeRegex,
  nodeQueries,
  type PodScope,
  type QuerySpec,
  TRAFFIC_SCOPE,
  trafficQueries,
} from './sources/queries.ts';
import type { ClusterSnapshot } from './sources/snapshot.ts';
import { withTimeout } from './timeout.ts';

/** The error of a source call that did not answer in time. */
function sourceTimeout(what: string, ms: number): () => OomBotError {
  return () => new OomBotError('source_timeout', `${what} timed out after ${ms} ms`);
}

export type { EvidenceSources };

interface CollectOptions {
  at: number;
  windowSeconds?: number;
  timeoutMs?: number;
}

const DEFAULT_WINDOW_SECONDS = 24 * 3600;

/** Regex for the pod names a workload's controller gives its pods, plus the pods seen now. */
export function podNameRegex(target: Target, currentPods: string[]): string {
  const name = escapeRegex(target.workload.name);
  const kind = target.workload.kind;
  const generated =
    kind === 'Pod'
      ? name
      : kind === 'StatefulSet'
        ? `${name}-[0-9]+`
        : kind === 'Deployment' || kind === 'Rollout' || kind === 'CronJob'
          ? `${name}-[a-z0-9]+-[a-z0-9]+`
          : `${name}-[a-z0-9]+`;
  return currentPods.length > 0 ? `${generated}|${anyOf(currentPods)}` : generated;
}

function evidenceWindow(at: number, windowSeconds = DEFAULT_WINDOW_SECONDS): TimeWindow {
  const stepSeconds = chooseStep(windowSeconds);
  const end = Math.floor(at / stepSeconds) * stepSeconds;
  return { start: end - windowSeconds, end, stepSeconds };
}

function emptyMetrics(): MetricsEvidence {
  return {
    workingSet: [],
    limits: [],
    requests: [],
    restarts: [],
    lastTerminatedReason: [],
    lastTerminatedExitCode: [],
    nodeAvailable: [],
    nodeTotal: [],
    nodeOomKills: [],
    nodeMemoryPressure: [],
  };
}

/** Gather the evidence for a resolved target. */
export async function collectEvidence(
  sources: EvidenceSources,
  target: Target,
  options: CollectOptions,
): Promise<Evidence> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const window = evidenceWindow(options.at, options.windowSeconds);
  const gaps: Gap[] = [];
  const query = (spec: QuerySpec, what: string, source: Gap['source'] = 'metrics'): Promise<Series[]> =>
    withTimeout(
      sources.metrics.queryRange(spec, window),
      timeoutMs,
      sourceTimeout(`${sources.metrics.name}: ${what}`, timeoutMs),
    ).catch((error: unknown) => {
      gaps.push({ source, what, reason: describeError(error) });
      return [];
    });

  const snapshotPromise: Promise<ClusterSnapshot | undefined> = withTimeout(
    readSnapshot(sources.cluster, target),
    timeoutMs,
    sourceTimeout(`${sources.cluster.name}: cluster objects`, timeoutMs),
  ).catch((error: unknown) => {
    gaps.push({ source: 'cluster', what: 'pods, events and nodes', reason: describeError(error) });
    return undefined;
  });

  // Pod names from the controller's naming pattern let metrics start before the snapshot lands.
  const scope: PodScope = { namespace: target.namespace, podRegex: podNameRegex(target, []) };
  const metrics = emptyMetrics();
  const containerFetch = Promise.all([
    query(containerQueries.workingSet(scope), 'memory working set').then((s) => {
      metrics.workingSet = s;
    }),
    query(containerQueries.limits(scope), 'memory limits').then((s) => {
      metrics.limits = s;
    }),
    query(containerQueries.requests(scope), 'memory requests').then((s) => {
      metrics.requests = s;
    }),
    query(containerQueries.restarts(scope), 'restart counts').then((s) => {
      metrics.restarts = s;
    }),
    query(containerQueries.lastTerminatedReason(scope), 'last terminated reasons').then((s) => {
      metrics.lastTerminatedReason = s;
    }),
    query(containerQueries.lastTerminatedExitCode(scope), 'last exit codes').then((s) => {
      metrics.lastTerminatedExitCode = s;
    }),
    findTraffic(query, target, scope).then((t) => {
      metrics.traffic = t;
    }),
  ]);

  const snapshot = await snapshotPromise;
  const nodes = new Set<string>(
    snapshot?.pods.map((p) => p.node).filter((n): n is string => Boolean(n)) ?? [],
  );
  await containerFetch;
  for (const s of metrics.workingSet) if (s.labels.node) nodes.add(s.labels.node);
  if (nodes.size > 0) {
    const names = [...nodes].sort();
    await Promise.all([
      query(nodeQueries.available(names), 'node available memory').then((s) => {
        metrics.nodeAvailable = s;
      }),
      query(nodeQueries.total(names), 'node total memory').then((s) => {
        metrics.nodeTotal = s;
      }),
      query(nodeQueries.oomKills(names), 'node kernel OOM kills').then((s) => {
        metrics.nodeOomKills = s;
      }),
      query(nodeQueries.memoryPressure(names), 'node MemoryPressure history').then((s) => {
        metrics.nodeMemoryPressure = s;
      }),
    ]);
  }
  const metricGaps = gaps.filter((g) => g.source === 'metrics');
  if (metricGaps.length === 0 && metrics.workingSet.length === 0) {
    gaps.push({ source: 'metrics', what: 'memory working set', reason: 'no series found for these pods' });
  }
  return {
    at: options.at,
    window,
    target,
    workload: snapshot?.workload,
    pods: snapshot?.pods ?? [],
    events: snapshot?.events ?? [],
    nodes: snapshot?.nodes ?? [],
    hpa: snapshot?.hpa,
    vpa: snapshot?.vpa,
    metrics,
    gaps,
  };
}

type Query = (spec: QuerySpec, what: string, source?: Gap['source']) => Promise<Series[]>;

/** Try the four request-metric families in parallel; keep the first (most specific) with data. */
async function findTraffic(
  query: Query,
  target: Target,
  scope: PodScope,
): Promise<TrafficSeries | undefined> {
  const services = [...new Set([target.service ?? target.workload.name, ...(target.services ?? [])])];
  const trafficScope = { ...scope, workload: target.workload.name, services };
  const families = Object.keys(trafficQueries) as Array<keyof typeof trafficQueries>;
  const results = await Promise.all(
    families.map((family) => query(trafficQueries[family](trafficScope), `traffic (${family})`, 'traffic')),
  );
  const index = results.findIndex((r) => r.length > 0);
  if (index === -1) return undefined;
  const family = families[index] as keyof typeof trafficQueries;
  return { family, scope: TRAFFIC_SCOPE[family], series: results[index] as Series[] };
}
