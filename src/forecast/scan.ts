/**
 * The forecast scan: one bulk pass over the whole cluster (a handful of queries, two lists),
 * screening rules on every container, then the full per-workload analysis only for the
 * candidates the screening flags. Behind ports: the sources and the analysis are injected.
 */
import { foldStats } from '../domain/forecast/fold.ts';
import { rankRisks } from '../domain/forecast/rank.ts';
import { refineFlag, riskOfFlag } from '../domain/forecast/refine.ts';
import { screen } from '../domain/forecast/rules.ts';
import {
  type ContainerStats,
  DEFAULT_FORECAST_OPTIONS,
  type Flag,
  type Forecast,
  type ForecastOptions,
  type Risk,
} from '../domain/forecast/types.ts';
import { readBulkMetrics, readPlacements } from '../sources/bulk.ts';
import type { KubeObject, ListOptions, MetricsSource, ObjectKind, ObjectLister } from '../sources/ports.ts';
import { type Analysis, analyseCandidate } from './analyse.ts';

export interface ScanSources {
  cluster: ObjectLister;
  metrics: MetricsSource;
}

/** The full analysis of one candidate; the default collects its evidence and diagnoses it. */
export type Analyser = (stats: ContainerStats, at: number) => Promise<Analysis | undefined>;

interface ScanRequest {
  at: number;
  namespace?: string;
  cluster?: string;
  windowSeconds?: number;
  trendSeconds?: number;
  options?: Partial<ForecastOptions>;
  /** Candidates analysed at once. */
  concurrency?: number;
}

export interface ScanCost {
  containers: number;
  candidates: number;
  bulkQueries: number;
  lists: number;
  /** Candidates whose analysis failed (a source down): counted and shown, as they are not confirmed. */
  failed: number;
}

export interface ScanResult extends Forecast {
  cost: ScanCost;
}

/** Run `work` over `items`, at most `limit` at a time, results in input order. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/**
 * A lister that reads each kind once per namespace (or once for all) during one scan, and
 * answers a namespace from an all-namespaces list it already has: the candidates' analyses
 * share the reads instead of listing pods and events again for each workload.
 */
function memoizeLister(lister: ObjectLister): ObjectLister {
  const cache = new Map<string, Promise<KubeObject[]>>();
  return {
    name: lister.name,
    get: (kind, namespace, name) => lister.get(kind, namespace, name),
    list(kind: ObjectKind, namespace?: string, options?: ListOptions) {
      if (options) return lister.list(kind, namespace, options);
      const all = cache.get(`${kind}/*`);
      if (namespace !== undefined && all)
        return all.then((items) => items.filter((o) => o.metadata?.namespace === namespace));
      const key = `${kind}/${namespace ?? '*'}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = lister.list(kind, namespace);
        cache.set(key, hit);
        hit.catch(() => cache.delete(key));
      }
      return hit;
    },
  };
}

/** The screening of every container: one flag per container at most. */
export async function screenCluster(
  sources: ScanSources,
  request: ScanRequest,
): Promise<{ flags: Flag[]; cost: ScanCost }> {
  const options = { ...DEFAULT_FORECAST_OPTIONS, ...request.options };
  const scope = {
    namespace: request.namespace,
    windowSeconds: request.windowSeconds ?? 24 * 3600,
    // the whole window: a daily load cycle averages out, a leak does not
    trendSeconds: request.trendSeconds ?? request.windowSeconds ?? 24 * 3600,
  };
  const [bulk, placed] = await Promise.all([
    readBulkMetrics(sources.metrics, scope, request.at),
    readPlacements(sources.cluster, request.namespace),
  ]);
  const stats = foldStats(bulk.rows, placed.placements, bulk.pressureNodes, request.cluster);
  const flags = stats.map((s) => screen(s, options)).filter((f): f is Flag => f !== undefined);
  return {
    flags,
    cost: {
      containers: stats.length,
      candidates: flags.filter((f) => !f.final).length,
      bulkQueries: bulk.queries,
      lists: placed.lists,
      failed: 0,
    },
  };
}

/** Scan for risks: bulk screening, then the full analysis of each candidate, ranked by urgency. */
export async function scanRisks(
  sources: ScanSources,
  request: ScanRequest,
  analyse?: Analyser,
): Promise<ScanResult> {
  const options = { ...DEFAULT_FORECAST_OPTIONS, ...request.options };
  const shared = { ...sources, cluster: memoizeLister(sources.cluster) };
  const { flags, cost } = await screenCluster(shared, request);
  analyse ??= (stats, at) => analyseCandidate(shared, stats, at, request.windowSeconds);
  const risks = await mapLimited(flags, request.concurrency ?? 4, async (flag): Promise<Risk | undefined> => {
    if (flag.final) return riskOfFlag(flag);
    const analysis = await (analyse as Analyser)(flag.stats, request.at).catch(() => undefined);
    if (!analysis) {
      cost.failed++;
      return undefined;
    }
    return refineFlag(flag, analysis.features, request.at, options, analysis.actions, analysis.cause);
  });
  return {
    at: request.at,
    risks: rankRisks(risks.filter((r): r is Risk => r !== undefined)),
    cost,
  };
}
