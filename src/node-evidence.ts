/**
 * The evidence of a node diagnosis, read with targeted calls only: a GET of the node, its pods by
 * the `spec.nodeName` field selector, the eviction Events of those pods' namespaces (reason field
 * selector), and each namespace's working sets for exactly the pods on the node. What it costs
 * follows the node's pod count, never the cluster's size.
 */
import type { NodeEviction, NodeEvidence, NodePod } from './domain/node-diagnosis.ts';
import { parseQuantity } from './domain/quantity.ts';
import { describeError, OomBotError } from './errors.ts';
import { toEpoch, toNodeInfo } from './sources/kube-objects.ts';
import { controllerRef } from './sources/owners.ts';
import type { EvidenceSources, KubeObject } from './sources/ports.ts';
import { chooseStep, nodePodQueries, nodeQueries } from './sources/queries.ts';

/** How far back the working sets are read: the recent peak of each pod. */
const NODE_WINDOW_SECONDS = 30 * 60;

interface NodeRequest {
  node: string;
  /** Epoch seconds: the end of the window read. */
  at: number;
}

/** A node's name: a DNS-1123 subdomain (dots allowed, e.g. ip-10-0-1-5.ec2.internal). */
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isNodeName(name: string): boolean {
  return NODE_NAME.test(name);
}

/** The node was not found: said once, retrying cannot help. */
function nodeNotFound(node: string, where: string): OomBotError {
  return new OomBotError('target_not_found', `no node named ${node} in ${where}`, { details: { node } });
}

/** The part of a container spec the node diagnosis reads. */
interface ContainerResources {
  resources?: { requests?: { memory?: string }; limits?: { memory?: string } };
}

function memoryOf(c: ContainerResources | undefined, field: 'requests' | 'limits'): number | undefined {
  return parseQuantity(c?.resources?.[field]?.memory);
}

function sumOf(containers: ContainerResources[], field: 'requests' | 'limits'): number | undefined {
  let total = 0;
  let seen = false;
  for (const c of containers) {
    const bytes = memoryOf(c, field);
    if (bytes === undefined) continue;
    total += bytes;
    seen = true;
  }
  return seen ? total : undefined;
}

/** "Deployment/api" from the pod's controller (a ReplicaSet's Deployment by its template hash). */
function workloadOfPod(pod: KubeObject): string | undefined {
  const ref = controllerRef(pod);
  if (!ref?.kind || !ref.name) return undefined;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`))
    return `Deployment/${ref.name.slice(0, -hash.length - 1)}`;
  return `${ref.kind}/${ref.name}`;
}

function isEvicted(pod: KubeObject): boolean {
  return pod.status?.reason === 'Evicted';
}

/** Requests and limits of the app containers (limits unset on any container: no pod limit). */
function toNodePod(pod: KubeObject, workingSetBytes: number): NodePod {
  const containers: ContainerResources[] = pod.spec?.containers ?? [];
  const limits = sumOf(containers, 'limits');
  const everyLimited = containers.every((c) => memoryOf(c, 'limits') !== undefined);
  const request = sumOf(containers, 'requests') ?? (everyLimited ? limits : undefined);
  const workload = workloadOfPod(pod);
  const qos = pod.status?.qosClass;
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    ...(workload ? { workload } : {}),
    ...(qos === 'Guaranteed' || qos === 'Burstable' || qos === 'BestEffort' ? { qosClass: qos } : {}),
    workingSetBytes,
    ...(request !== undefined ? { requestBytes: request } : {}),
    ...(limits !== undefined && everyLimited ? { limitBytes: limits } : {}),
  };
}

/** The recent peak working set of each pod, keyed "namespace/pod". */
async function readWorkingSets(
  sources: EvidenceSources,
  pods: KubeObject[],
  at: number,
): Promise<Map<string, number>> {
  const byNamespace = new Map<string, string[]>();
  for (const p of pods) {
    const ns = p.metadata?.namespace ?? '';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p.metadata?.name ?? '']);
  }
  const window = {
    start: at - NODE_WINDOW_SECONDS,
    end: at,
    stepSeconds: chooseStep(NODE_WINDOW_SECONDS, 60),
  };
  const answers = await Promise.all(
    [...byNamespace].map(([ns, names]) =>
      sources.metrics.queryRange(nodePodQueries.workingSet(ns, names), window),
    ),
  );
  const peaks = new Map<string, number>();
  for (const s of answers.flat()) {
    const key = `${s.labels.namespace ?? ''}/${s.labels.pod ?? ''}`;
    const peak = s.v.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, v) : m), 0);
    peaks.set(key, Math.max(peaks.get(key) ?? 0, peak));
  }
  return peaks;
}

/** The lowest MemAvailable of the node in the window, when node-exporter answers. */
async function readAvailable(
  sources: EvidenceSources,
  node: string,
  at: number,
): Promise<number | undefined> {
  const window = {
    start: at - NODE_WINDOW_SECONDS,
    end: at,
    stepSeconds: chooseStep(NODE_WINDOW_SECONDS, 60),
  };
  const series = await sources.metrics.queryRange(nodeQueries.available([node]), window);
  const values = series.flatMap((s) => s.v).filter(Number.isFinite);
  return values.length > 0 ? Math.min(...values) : undefined;
}

/** Evictions by the kubelet of this node: Evicted events of its pods' namespaces, and evicted pods. */
async function readEvictions(
  sources: EvidenceSources,
  node: string,
  pods: KubeObject[],
): Promise<NodeEviction[]> {
  const namespaces = [...new Set(pods.map((p) => p.metadata?.namespace ?? ''))].sort();
  const lists = await Promise.all(
    namespaces.map((ns) =>
      sources.cluster.list('Event', ns, { fieldSelector: 'involvedObject.kind=Pod,reason=Evicted' }),
    ),
  );
  const onNode = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
  const found = new Map<string, NodeEviction>();
  for (const e of lists.flat()) {
    // biome-ignore lint/suspicious/noExplicitAny: events carry top-level fields
    const ev = e as any;
    const namespace = String(ev.involvedObject?.namespace ?? e.metadata?.namespace ?? '');
    const pod = String(ev.involvedObject?.name ?? '');
    const host = ev.source?.host as string | undefined;
    if (host ? host !== node : !onNode.has(`${namespace}/${pod}`)) continue;
    const at = toEpoch(ev.firstTimestamp ?? ev.eventTime ?? ev.lastTimestamp) ?? 0;
    found.set(`${namespace}/${pod}`, {
      namespace,
      pod,
      at,
      ...(ev.message ? { message: String(ev.message) } : {}),
    });
  }
  for (const p of pods.filter(isEvicted)) {
    const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
    if (found.has(key)) continue;
    // biome-ignore lint/suspicious/noExplicitAny: container statuses are open-ended JSON
    const ended = (p.status?.containerStatuses ?? []).map((c: any) =>
      toEpoch(c?.state?.terminated?.finishedAt),
    );
    const at = Math.max(0, ...ended.filter((t: number | undefined): t is number => t !== undefined));
    found.set(key, {
      namespace: p.metadata?.namespace ?? '',
      pod: p.metadata?.name ?? '',
      at,
      ...(p.status?.message ? { message: String(p.status.message) } : {}),
    });
  }
  return [...found.values()].sort((a, b) => a.at - b.at || a.pod.localeCompare(b.pod));
}

/** What the node diagnosis read, and what it could not (Prometheus away: working sets unknown). */
interface NodeReading {
  evidence: NodeEvidence;
  missing: string[];
}

/** Everything the node diagnosis reads about one node. */
export async function readNodeEvidence(sources: EvidenceSources, request: NodeRequest): Promise<NodeReading> {
  const { node, at } = request;
  const object = await sources.cluster.get('Node', undefined, node);
  if (!object) throw nodeNotFound(node, sources.cluster.name);
  const pods = await sources.cluster.list('Pod', undefined, { fieldSelector: `spec.nodeName=${node}` });
  const running = pods.filter(
    (p) => !isEvicted(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  const missing: string[] = [];
  const [peaks, evictions, available] = await Promise.all([
    running.length > 0
      ? readWorkingSets(sources, running, at).catch((error: unknown) => {
          missing.push(`pods' working sets (${sources.metrics.name}: ${describeError(error)})`);
          return new Map<string, number>();
        })
      : Promise.resolve(new Map<string, number>()),
    pods.length > 0 ? readEvictions(sources, node, pods) : Promise.resolve([]),
    readAvailable(sources, node, at).catch(() => undefined),
  ]);
  const info = toNodeInfo(object);
  const evidence: NodeEvidence = {
    name: node,
    at,
    capacityBytes: info.capacityBytes ?? 0,
    allocatableBytes: info.allocatableBytes ?? info.capacityBytes ?? 0,
    ...(available !== undefined ? { availableBytes: available } : {}),
    memoryPressure: info.memoryPressure,
    pods: running.map((p) => toNodePod(p, peaks.get(`${p.metadata?.namespace}/${p.metadata?.name}`) ?? 0)),
    evictions,
  };
  return { evidence, missing };
}
