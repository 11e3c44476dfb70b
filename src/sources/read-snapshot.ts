/**
 * The cluster half of the evidence for one resolved target, read with targeted calls only: a GET
 * of the workload, its ReplicaSets (or Jobs) and pods by label selector, a GET of each of the
 * pods' nodes, and the Events of exactly those objects by involvedObject field selectors. What
 * it costs follows the workload's size, never the cluster's.
 */
import type { Target } from '../domain/types.ts';
import {
  matchesSelector,
  toEventInfo,
  toHpaInfo,
  toNodeInfo,
  toPodInfo,
  toVpaInfo,
  toWorkloadInfo,
} from './kube-objects.ts';
import { isControlledBy } from './owners.ts';
import type { KubeObject, ObjectLister } from './ports.ts';
import { formatInSelector, formatLabelSelector } from './selectors.ts';
import type { ClusterSnapshot } from './snapshot.ts';

/** Above this many objects, one namespace-wide Event list is cheaper than one call per object. */
const EVENT_CALLS_MAX = 24;
/** Node Events live in this namespace. */
const NODE_EVENTS_NAMESPACE = 'default';

interface Owned {
  workload?: KubeObject;
  /** ReplicaSets of a Deployment or Rollout, for the revision history. */
  replicaSets: KubeObject[];
  pods: KubeObject[];
  /** Names of the objects between the workload and its pods (ReplicaSets, Jobs), and itself. */
  owners: Set<string>;
}

/** Pods matching `selector` in `namespace` (all the namespace's when the selector is empty). */
function listPods(lister: ObjectLister, namespace: string, selector: Record<string, string>) {
  const labelSelector = formatLabelSelector(selector);
  return lister.list('Pod', namespace, labelSelector ? { labelSelector } : {});
}

/** Pods controlled by one of `owners` of `kind`, or bare pods the selector matches. */
function podsOwnedBy(
  pods: KubeObject[],
  kind: string,
  owners: Set<string>,
  selector: Record<string, string>,
) {
  return pods.filter(
    (p) =>
      isControlledBy(p, kind, owners) ||
      ((p.metadata?.ownerReferences ?? []).length === 0 && matchesSelector(selector, p.metadata?.labels)),
  );
}

async function readBarePod(lister: ObjectLister, target: Target): Promise<Owned> {
  const pod = await lister.get('Pod', target.namespace, target.workload.name);
  const workload = pod ? { ...pod, kind: 'Pod' } : undefined;
  return { workload, replicaSets: [], pods: pod ? [pod] : [], owners: new Set([target.workload.name]) };
}

async function readCronJob(lister: ObjectLister, target: Target): Promise<Owned> {
  const { namespace, workload: ref } = target;
  const [workload, jobs] = await Promise.all([
    lister.get('CronJob', namespace, ref.name),
    lister.list('Job', namespace),
  ]);
  const owned = jobs.filter((j) => isControlledBy(j, 'CronJob', new Set([ref.name])));
  const jobNames = new Set(owned.map((j) => j.metadata?.name ?? ''));
  const pods =
    jobNames.size === 0
      ? []
      : await lister.list('Pod', namespace, { labelSelector: formatInSelector('job-name', jobNames) });
  return {
    workload,
    replicaSets: [],
    pods: pods.filter((p) => isControlledBy(p, 'Job', jobNames)),
    owners: new Set([ref.name, ...jobNames]),
  };
}

/** Deployments, Rollouts, StatefulSets, DaemonSets, ReplicaSets and Jobs: pods by selector. */
async function readController(lister: ObjectLister, target: Target): Promise<Owned> {
  const { namespace, workload: ref, selector } = target;
  const viaReplicaSets = ref.kind === 'Deployment' || ref.kind === 'Rollout';
  const labelSelector = formatLabelSelector(selector);
  const [workload, replicaSets, pods] = await Promise.all([
    lister.get(ref.kind, namespace, ref.name),
    viaReplicaSets
      ? lister.list('ReplicaSet', namespace, labelSelector ? { labelSelector } : {})
      : Promise.resolve([]),
    listPods(lister, namespace, selector),
  ]);
  const ownedSets = replicaSets.filter((rs) => isControlledBy(rs, ref.kind, new Set([ref.name])));
  const owners = new Set([ref.name, ...ownedSets.map((rs) => rs.metadata?.name ?? '')]);
  const podOwnerKind = viaReplicaSets ? 'ReplicaSet' : ref.kind;
  return {
    workload,
    replicaSets: ownedSets,
    pods: podsOwnedBy(pods, podOwnerKind, owners, selector),
    owners,
  };
}

/** The Events of the pods and their owners, and of the pods' nodes. */
async function readEvents(
  lister: ObjectLister,
  namespace: string,
  objectNames: Set<string>,
  nodes: Set<string>,
): Promise<KubeObject[]> {
  const reads: Array<Promise<KubeObject[]>> = [];
  if (objectNames.size > EVENT_CALLS_MAX) reads.push(lister.list('Event', namespace));
  else
    for (const name of objectNames)
      reads.push(lister.list('Event', namespace, { fieldSelector: `involvedObject.name=${name}` }));
  for (const node of nodes)
    reads.push(
      lister.list('Event', NODE_EVENTS_NAMESPACE, {
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node}`,
      }),
    );
  const unique = new Map<string, KubeObject>();
  for (const e of (await Promise.all(reads)).flat())
    unique.set(`${e.metadata?.namespace === namespace ? 0 : 1}/${e.metadata?.name}`, e);
  // the order one list of the namespace, then one of the nodes' namespace, would give
  return [...unique.keys()].sort().map((k) => unique.get(k) as KubeObject);
}

async function readOwned(lister: ObjectLister, target: Target): Promise<Owned> {
  if (target.workload.kind === 'Pod') return readBarePod(lister, target);
  if (target.workload.kind === 'CronJob') return readCronJob(lister, target);
  return readController(lister, target);
}

/** Everything the diagnosis reads from the cluster about one target. */
export async function readSnapshot(lister: ObjectLister, target: Target): Promise<ClusterSnapshot> {
  const ns = target.namespace;
  const [owned, hpas, vpas] = await Promise.all([
    readOwned(lister, target),
    lister.list('HorizontalPodAutoscaler', ns).catch(() => []),
    lister.list('VerticalPodAutoscaler', ns).catch(() => []),
  ]);
  const podNames = new Set(owned.pods.map((p) => p.metadata?.name ?? ''));
  const podNodes = new Set<string>(owned.pods.map((p) => p.spec?.nodeName).filter(Boolean));
  const [events, nodes] = await Promise.all([
    readEvents(lister, ns, new Set([...podNames, ...owned.owners]), podNodes),
    Promise.all([...podNodes].sort().map((n) => lister.get('Node', undefined, n))),
  ]);
  const related = events.map(toEventInfo).filter((e) => {
    if (e.objectKind === 'Pod') return podNames.has(e.objectName);
    if (e.objectKind === 'Node') return podNodes.has(e.objectName);
    return owned.owners.has(e.objectName);
  });
  const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.name === target.workload.name);
  const vpa = vpas.find((v) => v.spec?.targetRef?.name === target.workload.name);
  const { workload } = owned;
  return {
    workload: workload
      ? toWorkloadInfo({ ...workload, kind: target.workload.kind }, owned.replicaSets)
      : undefined,
    pods: owned.pods.map(toPodInfo),
    events: related,
    nodes: nodes.filter((n): n is KubeObject => n !== undefined).map(toNodeInfo),
    hpa: hpa ? toHpaInfo(hpa) : undefined,
    vpa: vpa ? toVpaInfo(vpa) : undefined,
  };
}
