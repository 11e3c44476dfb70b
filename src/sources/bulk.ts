/**
 * The forecast scan's bulk reads: a handful of queries that answer for every container at once,
 * and one list per kind from the cluster. Both go through the ports, so the live adapters
 * (Prometheus, Kubernetes API) and the scenario-file ones answer the same way.
 */

import type { PodPlacement } from '../domain/forecast/fold.ts';
import type { PodContainerRow } from '../domain/forecast/types.ts';
import type { Series, TimeWindow } from '../domain/types.ts';
import type { WorkloadKind } from '../domain/workload-ref.ts';
import { toWorkloadInfo } from './kube-objects.ts';
import type { KubeObject, MetricsSource, ObjectLister } from './ports.ts';
import { type BulkScope, bulkQueries } from './queries.ts';

interface BulkMetrics {
  rows: PodContainerRow[];
  pressureNodes: Set<string>;
  /** Queries sent: the scan's cost in round trips. */
  queries: number;
}

/** One evaluation step at `at`: a range query whose range is one instant. */
export function instantWindow(at: number): TimeWindow {
  return { start: at, end: at, stepSeconds: 60 };
}

function lastValue(s: Series): number | undefined {
  return s.v.at(-1);
}

function rowKey(labels: Record<string, string>): string | undefined {
  const { namespace, pod, container } = labels;
  if (!namespace || !pod || !container) return undefined;
  return `${namespace}\u0000${pod}\u0000${container}`;
}

/** Read every bulk query at `at` and join the answers on (namespace, pod, container). */
export async function readBulkMetrics(
  metrics: MetricsSource,
  scope: BulkScope,
  at: number,
): Promise<BulkMetrics> {
  const window = instantWindow(at);
  const names = Object.keys(bulkQueries) as Array<keyof typeof bulkQueries>;
  const answers = await Promise.all(names.map((n) => metrics.queryRange(bulkQueries[n](scope), window)));
  const byName = new Map(names.map((n, i) => [n, answers[i] as Series[]]));
  const rows = new Map<string, PodContainerRow>();
  const rowFor = (labels: Record<string, string>): PodContainerRow | undefined => {
    const key = rowKey(labels);
    if (!key) return undefined;
    let row = rows.get(key);
    if (!row) {
      row = {
        namespace: labels.namespace as string,
        pod: labels.pod as string,
        container: labels.container as string,
        restarts: 0,
        oomKilled: false,
      };
      rows.set(key, row);
    }
    return row;
  };
  const each = (name: keyof typeof bulkQueries, set: (row: PodContainerRow, v: number) => void) => {
    for (const s of byName.get(name) ?? []) {
      const v = lastValue(s);
      const row = v === undefined ? undefined : rowFor(s.labels);
      if (row && v !== undefined) set(row, v);
    }
  };
  each('peak', (r, v) => {
    r.peakBytes = Math.max(r.peakBytes ?? 0, v);
  });
  each('current', (r, v) => {
    r.currentBytes = Math.max(r.currentBytes ?? 0, v);
  });
  each('slope', (r, v) => {
    r.slopeBytesPerSecond = Math.max(r.slopeBytesPerSecond ?? Number.NEGATIVE_INFINITY, v);
  });
  each('limits', (r, v) => {
    r.limitBytes = v;
  });
  each('requests', (r, v) => {
    r.requestBytes = v;
  });
  each('restartRate', (r, v) => {
    r.restarts += Math.round(v * scope.windowSeconds);
  });
  const oomSeen = new Set<PodContainerRow>();
  each('oomKilled', (r, v) => {
    if (v >= 1) oomSeen.add(r);
  });
  // The last termination's reason stays for days: it was a kill in the window only if it restarted in it.
  for (const r of oomSeen) r.oomKilled = r.restarts > 0;
  const pressureNodes = new Set<string>();
  for (const s of byName.get('nodePressure') ?? [])
    if ((lastValue(s) ?? 0) >= 1 && s.labels.node) pressureNodes.add(s.labels.node);
  return { rows: [...rows.values()], pressureNodes, queries: names.length };
}

function controllerOf(o: KubeObject): { kind?: string; name?: string } | undefined {
  const refs = o.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/** The label the Deployment controller adds to its ReplicaSets' selectors, one value per revision. */
const TEMPLATE_HASH_LABEL = 'pod-template-hash';

function matchLabelsOf(o: KubeObject): Record<string, string> {
  return { ...(o.spec?.selector?.matchLabels ?? {}) };
}

/** What the replica set and controller lists say about the workloads: owners and pod selectors. */
interface Workloads {
  /** ReplicaSet (namespace/name) → its Deployment's name. */
  deploymentOf: Map<string, string>;
  /** Kind/namespace/name → the pod selector (matchLabels) of that workload. */
  selectors: Map<string, Record<string, string>>;
}

function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * Owners and selectors from the lists. A Deployment's selector is its ReplicaSets' without the
 * template hash (the controller adds only that label), so the Deployments need no list of their own.
 */
function indexWorkloads(replicaSets: KubeObject[], controllers: KubeObject[]): Workloads {
  const deploymentOf = new Map<string, string>();
  const selectors = new Map<string, Record<string, string>>();
  for (const rs of replicaSets) {
    const ns = rs.metadata?.namespace ?? '';
    const name = rs.metadata?.name ?? '';
    const owner = controllerOf(rs);
    const labels = matchLabelsOf(rs);
    if (owner?.kind === 'Deployment' && owner.name) {
      deploymentOf.set(`${ns}/${name}`, owner.name);
      const { [TEMPLATE_HASH_LABEL]: _hash, ...selector } = labels;
      selectors.set(workloadKey('Deployment', ns, owner.name), selector);
    } else {
      selectors.set(workloadKey('ReplicaSet', ns, name), labels);
    }
  }
  for (const o of controllers)
    selectors.set(
      workloadKey(o.kind ?? '', o.metadata?.namespace ?? '', o.metadata?.name ?? ''),
      matchLabelsOf(o),
    );
  return { deploymentOf, selectors };
}

/** The workload that owns a pod: through its ReplicaSet to a Deployment, or directly. */
function ownerOf(pod: KubeObject, workloads: Workloads): { kind: WorkloadKind; name: string } {
  const owner = controllerOf(pod);
  const ns = pod.metadata?.namespace ?? '';
  if (owner?.kind === 'ReplicaSet' && owner.name) {
    const deployment = workloads.deploymentOf.get(`${ns}/${owner.name}`);
    return deployment ? { kind: 'Deployment', name: deployment } : { kind: 'ReplicaSet', name: owner.name };
  }
  if ((owner?.kind === 'StatefulSet' || owner?.kind === 'DaemonSet') && owner.name)
    return { kind: owner.kind, name: owner.name };
  return { kind: 'Pod', name: pod.metadata?.name ?? '' };
}

function placementOf(pod: KubeObject, workloads: Workloads): PodPlacement {
  const namespace = pod.metadata?.namespace ?? '';
  const workload = ownerOf(pod, workloads);
  const selector = workloads.selectors.get(workloadKey(workload.kind, namespace, workload.name));
  return {
    namespace,
    pod: pod.metadata?.name ?? '',
    workload,
    ...(selector && Object.keys(selector).length > 0 ? { selector } : {}),
    node: pod.spec?.nodeName,
    containers: toWorkloadInfo({ ...pod, kind: 'Pod' }, []).containers,
  };
}

/**
 * Where every pod runs, what it declares and which selector its workload has: one list per kind
 * (pods, replica sets, stateful sets, daemon sets), whatever the cluster's size.
 */
export async function readPlacements(
  lister: ObjectLister,
  namespace?: string,
): Promise<{ placements: PodPlacement[]; lists: number }> {
  const [pods, replicaSets, statefulSets, daemonSets] = await Promise.all([
    lister.list('Pod', namespace),
    lister.list('ReplicaSet', namespace),
    lister.list('StatefulSet', namespace),
    lister.list('DaemonSet', namespace),
  ]);
  const workloads = indexWorkloads(replicaSets, [
    ...statefulSets.map((o) => ({ ...o, kind: 'StatefulSet' })),
    ...daemonSets.map((o) => ({ ...o, kind: 'DaemonSet' })),
  ]);
  const placements = pods
    // finished pods and pods on their way out are not what runs next
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .filter((p) => !(p.metadata as { deletionTimestamp?: unknown } | undefined)?.deletionTimestamp)
    .map((p) => placementOf(p, workloads));
  return { placements, lists: 4 };
}
