/**
 * Folds the bulk pass's per-pod rows into one ContainerStats per workload container, using
 * where the cluster lists say each pod runs and what its workload's pod template declares.
 */
import type { ContainerSpec } from '../types.ts';
import type { WorkloadRef } from '../workload-ref.ts';
import type { ContainerStats, PodContainerRow } from './types.ts';

/** A pod as the cluster lists it: its owner workload, its node, its template's containers. */
export interface PodPlacement {
  namespace: string;
  pod: string;
  workload: WorkloadRef;
  /** Label selector of the workload's pods, when the lists name one (none for a bare pod). */
  selector?: Record<string, string>;
  node?: string;
  containers: ContainerSpec[];
}

function keyOf(namespace: string, kind: string, name: string, container: string): string {
  return `${namespace}/${kind}/${name}/${container}`;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** Seconds until `current` reaches `limit` at `slope`; Infinity when it does not grow. */
export function secondsToLimit(limit: number, current: number, slope: number): number {
  if (!(slope > 0)) return Number.POSITIVE_INFINITY;
  return Math.max(0, (limit - current) / slope);
}

function emptyStats(p: PodPlacement, spec: ContainerSpec, cluster?: string): ContainerStats {
  return {
    target: {
      cluster,
      namespace: p.namespace,
      workload: p.workload,
      container: spec.name,
      ...(p.selector && Object.keys(p.selector).length > 0 ? { selector: { ...p.selector } } : {}),
    },
    pods: [],
    nodes: [],
    spec,
    limitBytes: spec.limitBytes,
    requestBytes: spec.requestBytes,
    restarts: 0,
    oomKilled: false,
    pressureNodes: [],
  };
}

function addRow(s: ContainerStats, row: PodContainerRow): void {
  s.limitBytes ??= row.limitBytes;
  s.requestBytes ??= row.requestBytes;
  s.peakBytes = maxOf(s.peakBytes, row.peakBytes);
  s.currentBytes = maxOf(s.currentBytes, row.currentBytes);
  s.restarts += row.restarts;
  s.oomKilled ||= row.oomKilled;
  const slope = row.slopeBytesPerSecond;
  const current = row.currentBytes;
  if (s.limitBytes === undefined || slope === undefined || current === undefined || !(slope > 0)) return;
  const eta = secondsToLimit(s.limitBytes, current, slope);
  const worst = s.worstTrend;
  if (!worst || eta < secondsToLimit(s.limitBytes, worst.currentBytes, worst.slopeBytesPerSecond))
    s.worstTrend = { pod: row.pod, slopeBytesPerSecond: slope, currentBytes: current };
}

/** One ContainerStats per workload container that has a pod listed now. */
export function foldStats(
  rows: PodContainerRow[],
  placements: PodPlacement[],
  pressureNodes: ReadonlySet<string>,
  cluster?: string,
): ContainerStats[] {
  const byPod = new Map(placements.map((p) => [`${p.namespace}/${p.pod}`, p]));
  const stats = new Map<string, ContainerStats>();
  const statsFor = (p: PodPlacement, container: string): ContainerStats | undefined => {
    const key = keyOf(p.namespace, p.workload.kind, p.workload.name, container);
    let s = stats.get(key);
    if (!s) {
      const spec = p.containers.find((c) => c.name === container);
      if (!spec) return undefined;
      s = emptyStats(p, spec, cluster);
      stats.set(key, s);
    }
    if (!s.pods.includes(p.pod)) s.pods.push(p.pod);
    if (p.node && !s.nodes.includes(p.node)) {
      s.nodes.push(p.node);
      if (pressureNodes.has(p.node)) s.pressureNodes.push(p.node);
    }
    return s;
  };
  for (const p of placements) for (const c of p.containers) statsFor(p, c.name);
  for (const row of rows) {
    const p = byPod.get(`${row.namespace}/${row.pod}`);
    if (!p) continue;
    const s = statsFor(p, row.container);
    if (s) addRow(s, row);
  }
  return [...stats.values()];
}
