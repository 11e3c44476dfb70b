/**
 * Reads a cluster through an ObjectLister: resolves what the user typed to one workload, and
 * takes the snapshot the diagnosis needs (workload, pods, events, nodes, autoscalers).
 */
import type { Target, WorkloadKind } from '../domain/types.ts';
import { targetAmbiguous, targetNotFound } from '../errors.ts';
import {
  matchesSelector,
  toEventInfo,
  toHpaInfo,
  toNodeInfo,
  toPodInfo,
  toWorkloadInfo,
} from './kube-objects.ts';
import type { KubeObject, ObjectLister } from './ports.ts';
import type { ClusterSnapshot } from './snapshot.ts';

export interface TargetQuery {
  name: string;
  namespace?: string;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
const APP_LABELS = ['app', 'app.kubernetes.io/name', 'k8s-app'];

function selectorOf(workload: KubeObject): Record<string, string> {
  return workload.spec?.selector?.matchLabels ?? {};
}

function templateLabels(workload: KubeObject): Record<string, string> {
  return workload.spec?.template?.metadata?.labels ?? {};
}

function toTarget(workload: KubeObject, service?: string): Target {
  return {
    namespace: workload.metadata?.namespace ?? '',
    workload: { kind: workload.kind as WorkloadKind, name: workload.metadata?.name ?? '' },
    service,
    selector: selectorOf(workload),
  };
}

async function listWorkloads(lister: ObjectLister, namespace?: string): Promise<KubeObject[]> {
  const lists = await Promise.all(WORKLOAD_KINDS.map((kind) => lister.list(kind, namespace)));
  return lists.flatMap((list, i) => list.map((o) => ({ ...o, kind: o.kind ?? WORKLOAD_KINDS[i] })));
}

/** Find the workload(s) a name refers to: a Service (via its selector), a workload, or an app label. */
export async function resolveTarget(lister: ObjectLister, query: TargetQuery): Promise<Target> {
  const [services, workloads] = await Promise.all([
    lister.list('Service', query.namespace),
    listWorkloads(lister, query.namespace),
  ]);
  const found = new Map<string, Target>();
  const add = (t: Target) => {
    const key = `${t.namespace}/${t.workload.kind}/${t.workload.name}`;
    if (!found.has(key)) found.set(key, t);
  };
  for (const svc of services.filter((s) => s.metadata?.name === query.name)) {
    const selector: Record<string, string> = svc.spec?.selector ?? {};
    for (const w of workloads) {
      if (w.metadata?.namespace === svc.metadata?.namespace && matchesSelector(selector, templateLabels(w))) {
        add(toTarget(w, query.name));
      }
    }
  }
  if (found.size === 0) {
    for (const w of workloads.filter((o) => o.metadata?.name === query.name)) add(toTarget(w));
  }
  if (found.size === 0) {
    for (const w of workloads) {
      const labels = { ...(w.metadata?.labels ?? {}), ...templateLabels(w) };
      if (APP_LABELS.some((l) => labels[l] === query.name)) add(toTarget(w));
    }
  }
  const targets = [...found.values()];
  if (targets.length === 1) {
    const target = targets[0] as Target;
    const workload = workloads.find(
      (w) => w.metadata?.namespace === target.namespace && w.metadata?.name === target.workload.name,
    );
    target.services = services
      .filter(
        (svc) =>
          svc.metadata?.namespace === target.namespace &&
          workload !== undefined &&
          matchesSelector(svc.spec?.selector ?? {}, templateLabels(workload)),
      )
      .map((svc) => svc.metadata?.name ?? '')
      .sort();
    return target;
  }
  if (targets.length > 1) {
    throw targetAmbiguous(
      query.name,
      targets.map((t) => `${t.namespace}/${t.workload.kind.toLowerCase()}/${t.workload.name}`),
    );
  }
  const names = [...services, ...workloads].map((o) => o.metadata?.name ?? '');
  throw targetNotFound(query.name, query.namespace, findNearMatches(query.name, names));
}

/** Names close to `name` (edit distance, or containment), best first, at most five. */
export function findNearMatches(name: string, candidates: string[]): string[] {
  const unique = [...new Set(candidates.filter((c) => c && c !== name))];
  const scored = unique
    .map((c) => ({ c, d: editDistance(name, c) }))
    .filter(
      ({ c, d }) =>
        d <= Math.max(2, Math.ceil(name.length / 2)) ||
        c.includes(name) ||
        name.includes(c) ||
        sharedPrefix(c, name) >= 4,
    );
  return scored
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 5)
    .map(({ c }) => c);
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function isOwnedBy(obj: KubeObject, kind: string, names: Set<string>): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.kind === kind && names.has(r.name ?? ''));
}

/** Everything the diagnosis reads from the cluster about one target. */
export async function readSnapshot(lister: ObjectLister, target: Target): Promise<ClusterSnapshot> {
  const ns = target.namespace;
  const [workloads, replicaSets, pods, events, nodeEvents, nodes, hpas, vpas] = await Promise.all([
    lister.list(target.workload.kind as 'Deployment', ns),
    target.workload.kind === 'Deployment' ? lister.list('ReplicaSet', ns) : Promise.resolve([]),
    lister.list('Pod', ns),
    lister.list('Event', ns),
    ns === 'default' ? Promise.resolve([]) : lister.list('Event', 'default'),
    lister.list('Node'),
    lister.list('HorizontalPodAutoscaler', ns).catch(() => []),
    lister.list('VerticalPodAutoscaler', ns).catch(() => []),
  ]);
  const workload = workloads.find((w) => w.metadata?.name === target.workload.name);
  const ownedSets = replicaSets.filter((rs) => isOwnedBy(rs, 'Deployment', new Set([target.workload.name])));
  const owners = new Set([target.workload.name, ...ownedSets.map((rs) => rs.metadata?.name ?? '')]);
  const ownedPods = pods.filter(
    (p) =>
      isOwnedBy(p, target.workload.kind === 'Deployment' ? 'ReplicaSet' : target.workload.kind, owners) ||
      ((p.metadata?.ownerReferences ?? []).length === 0 &&
        matchesSelector(target.selector, p.metadata?.labels)),
  );
  const podNames = new Set(ownedPods.map((p) => p.metadata?.name ?? ''));
  const podNodes = new Set(ownedPods.map((p) => p.spec?.nodeName).filter(Boolean));
  const related = [...events, ...nodeEvents].map(toEventInfo).filter((e) => {
    if (e.objectKind === 'Pod') return podNames.has(e.objectName);
    if (e.objectKind === 'Node') return podNodes.has(e.objectName);
    return owners.has(e.objectName);
  });
  const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.name === target.workload.name);
  const vpa = vpas.find((v) => v.spec?.targetRef?.name === target.workload.name);
  return {
    workload: workload ? toWorkloadInfo({ ...workload, kind: target.workload.kind }, ownedSets) : undefined,
    pods: ownedPods.map(toPodInfo),
    events: related,
    nodes: nodes.filter((n) => podNodes.has(n.metadata?.name)).map(toNodeInfo),
    hpa: hpa ? toHpaInfo(hpa) : undefined,
    vpa: vpa
      ? { name: vpa.metadata?.name ?? '', mode: String(vpa.spec?.updatePolicy?.updateMode ?? 'Auto') }
      : undefined,
  };
}
