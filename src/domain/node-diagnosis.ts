/**
 * The node diagnosis behind a MemoryPressure alert: which pods filled the node, which of them
 * promised the scheduler too little (no request, or usage far above it), how far the limits
 * overcommit allocatable, what the kubelet and system keep back, and what was evicted, in order.
 * Advice: the requests to raise and by how much, the workloads to spread, the node headroom. Pure.
 */
import { bytes, pct } from './format.ts';
import { roundUpToTidy, toQuantity } from './quantity.ts';

export interface NodePod {
  namespace: string;
  name: string;
  /** The controller the pod belongs to, e.g. "Deployment/api". */
  workload?: string;
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
  workingSetBytes: number;
  requestBytes?: number;
  limitBytes?: number;
}

export interface NodeEviction {
  pod: string;
  namespace: string;
  at: number;
  message?: string;
}

export interface NodeEvidence {
  name: string;
  at: number;
  capacityBytes: number;
  allocatableBytes: number;
  availableBytes?: number;
  memoryPressure: boolean;
  pods: NodePod[];
  evictions: NodeEviction[];
}

export interface RankedPod extends NodePod {
  /** Working set above the memory request (all of it when there is no request). */
  overRequestBytes: number;
  /** The request that would cover the working set with a 20% margin, when it should rise. */
  suggestedRequestBytes?: number;
}

export interface NodeDiagnosis {
  node: string;
  at: number;
  headline: string;
  evidence: string[];
  advice: string[];
  /** Pods by working set, largest first. */
  pods: RankedPod[];
  /** Pods by usage above their request, largest first; only those above it. */
  overRequest: RankedPod[];
  unrequested: RankedPod[];
  limitsBytes: number;
  requestsBytes: number;
  overcommit: number;
  reservedBytes: number;
  evictions: NodeEviction[];
}

const MARGIN = 1.2;

function rankPod(p: NodePod): RankedPod {
  const over = Math.max(0, p.workingSetBytes - (p.requestBytes ?? 0));
  const short = p.requestBytes === undefined || p.workingSetBytes > p.requestBytes * 1.1;
  return {
    ...p,
    overRequestBytes: over,
    ...(short ? { suggestedRequestBytes: roundUpToTidy(p.workingSetBytes * MARGIN) } : {}),
  };
}

/** Workloads with more than one pod on this node: spreading them lowers the node's peak. */
function crowdedWorkloads(pods: NodePod[]): Array<{ workload: string; count: number; bytes: number }> {
  const by = new Map<string, { workload: string; count: number; bytes: number }>();
  for (const p of pods) {
    if (!p.workload) continue;
    const key = `${p.namespace}/${p.workload}`;
    const entry = by.get(key) ?? { workload: key, count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += p.workingSetBytes;
    by.set(key, entry);
  }
  return [...by.values()].filter((w) => w.count > 1).sort((a, b) => b.bytes - a.bytes);
}

function describeEvictions(evictions: NodeEviction[]): string | undefined {
  if (evictions.length === 0) return undefined;
  const order = [...evictions]
    .sort((a, b) => a.at - b.at)
    .map((e, i) => `${i + 1}. ${e.namespace}/${e.pod}`)
    .join(', ');
  return `${evictions.length} eviction(s), in order: ${order} (the kubelet evicts BestEffort, then Burstable pods furthest above their request)`;
}

function buildAdvice(d: Omit<NodeDiagnosis, 'advice' | 'headline'>, n: NodeEvidence): string[] {
  const advice: string[] = [];
  // one line per workload: its pods share a template, so its largest pod sizes the request
  const advised = new Set<string>();
  for (const p of d.overRequest) {
    if (advised.size >= 5) break;
    if (p.suggestedRequestBytes === undefined) continue;
    const key = `${p.namespace}/${p.workload ?? p.name}`;
    if (advised.has(key)) continue;
    advised.add(key);
    const from = p.requestBytes === undefined ? 'no request' : toQuantity(p.requestBytes);
    advice.push(
      `raise the memory request of ${p.namespace}/${p.workload ?? p.name} from ${from} to ${toQuantity(p.suggestedRequestBytes)} (+${bytes(p.suggestedRequestBytes - (p.requestBytes ?? 0))}): it uses ${bytes(p.workingSetBytes)}`,
    );
  }
  for (const w of crowdedWorkloads(n.pods).slice(0, 3))
    advice.push(
      `spread ${w.workload}: ${w.count} pods on ${n.name} use ${bytes(w.bytes)} together (topologySpreadConstraints on kubernetes.io/hostname)`,
    );
  const used = n.pods.reduce((s, p) => s + p.workingSetBytes, 0);
  const wanted = d.overRequest.reduce(
    (s, p) => s + ((p.suggestedRequestBytes ?? 0) - (p.requestBytes ?? 0)),
    0,
  );
  const headroom = d.requestsBytes + wanted - n.allocatableBytes;
  if (headroom > 0)
    advice.push(
      `with honest requests the pods here need ${bytes(d.requestsBytes + wanted)} against ${bytes(n.allocatableBytes)} allocatable: ${bytes(headroom)} more node memory, or move pods off ${n.name}`,
    );
  else
    advice.push(
      `node headroom: ${bytes(n.allocatableBytes - used)} of ${bytes(n.allocatableBytes)} allocatable is free at the working sets seen; honest requests make the scheduler keep it that way`,
    );
  advice.push('do not raise the limits of the pods that were killed: they are the victims, not the cause');
  return advice;
}

/** Diagnose one node from its pods, requests, limits and evictions. */
export function diagnoseNode(n: NodeEvidence): NodeDiagnosis {
  const ranked = n.pods.map(rankPod);
  const pods = [...ranked].sort((a, b) => b.workingSetBytes - a.workingSetBytes);
  const overRequest = ranked
    .filter((p) => p.overRequestBytes > 0)
    .sort((a, b) => b.overRequestBytes - a.overRequestBytes);
  const unrequested = pods.filter((p) => p.requestBytes === undefined || p.requestBytes === 0);
  const limitsBytes = n.pods.reduce((s, p) => s + (p.limitBytes ?? p.workingSetBytes), 0);
  const requestsBytes = n.pods.reduce((s, p) => s + (p.requestBytes ?? 0), 0);
  const overcommit = n.allocatableBytes > 0 ? limitsBytes / n.allocatableBytes : 0;
  const reservedBytes = Math.max(0, n.capacityBytes - n.allocatableBytes);
  const evidence: string[] = [];
  const top = pods.slice(0, 3).map((p) => `${p.namespace}/${p.name} ${bytes(p.workingSetBytes)}`);
  if (top.length > 0) evidence.push(`largest working sets on ${n.name}: ${top.join(', ')}`);
  const above = overRequest
    .slice(0, 3)
    .map(
      (p) =>
        `${p.namespace}/${p.name} ${bytes(p.overRequestBytes)} over ${p.requestBytes === undefined ? 'no request' : toQuantity(p.requestBytes)}`,
    );
  if (above.length > 0) evidence.push(`furthest above their request: ${above.join(', ')}`);
  if (unrequested.length > 0) {
    const names = unrequested
      .map((p) => `${p.namespace}/${p.name} (${p.qosClass ?? 'no request'})`)
      .join(', ');
    evidence.push(
      `${unrequested.length} pod(s) without a memory request, invisible to the scheduler: ${names}`,
    );
  }
  evidence.push(
    `limits sum to ${bytes(limitsBytes)} against ${bytes(n.allocatableBytes)} allocatable (${pct(overcommit)}): ${overcommit > 1 ? 'overcommitted' : 'within allocatable'}; requests sum to ${bytes(requestsBytes)}`,
  );
  evidence.push(
    `system-reserved and kube-reserved hold back ${bytes(reservedBytes)} of ${bytes(n.capacityBytes)} (${pct(n.capacityBytes > 0 ? reservedBytes / n.capacityBytes : 0)})`,
  );
  const evictionLine = describeEvictions(n.evictions);
  if (evictionLine) evidence.push(evictionLine);
  const base = {
    node: n.name,
    at: n.at,
    evidence,
    pods,
    overRequest,
    unrequested,
    limitsBytes,
    requestsBytes,
    overcommit,
    reservedBytes,
    evictions: [...n.evictions].sort((a, b) => a.at - b.at),
  };
  const culprit = overRequest[0];
  const headline = culprit
    ? `${n.name}: memory pressure — ${culprit.namespace}/${culprit.name} uses ${bytes(culprit.overRequestBytes)} more than it asked the scheduler for`
    : `${n.name}: memory pressure — the pods' requests cover their use; the node is too small for what is scheduled on it`;
  return { ...base, headline, advice: buildAdvice(base, n) };
}

/** The `node {name, pods[...]}` part of `--output json` for a node diagnosis. */
export function nodeJson(d: NodeDiagnosis): {
  name: string;
  pods: Array<{
    namespace: string;
    name: string;
    workingSetBytes: number;
    requestBytes?: number;
    limitBytes?: number;
    overRequestBytes: number;
    suggestedRequestBytes?: number;
    qosClass?: string;
  }>;
} {
  return {
    name: d.node,
    pods: d.pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      workingSetBytes: p.workingSetBytes,
      ...(p.requestBytes !== undefined ? { requestBytes: p.requestBytes } : {}),
      ...(p.limitBytes !== undefined ? { limitBytes: p.limitBytes } : {}),
      overRequestBytes: p.overRequestBytes,
      ...(p.suggestedRequestBytes !== undefined ? { suggestedRequestBytes: p.suggestedRequestBytes } : {}),
      ...(p.qosClass ? { qosClass: p.qosClass } : {}),
    })),
  };
}
