/** Node memory around the pods: evictions (seen or inferred), global OOM kills, pressure, headroom. */
import { peakOf, someWithin } from './container-series.ts';
import type { Disappearance, NodeAnalysis } from './feature-types.ts';
import { max } from './series.ts';
import type { Evidence, Series } from './types.ts';

/** True when node `node` was out of memory within 15 minutes of `t`: MemoryPressure or under 5% available. */
export function nodeStarvedAt(evidence: Evidence, node: string | undefined, t: number): boolean {
  if (!node) return false;
  const near = (s: Series, test: (v: number) => boolean) => someWithin(s, t, 900, test);
  if (evidence.metrics.nodeMemoryPressure.some((s) => s.labels.node === node && near(s, (v) => v >= 1)))
    return true;
  const total = peakOf(evidence.metrics.nodeTotal.find((s) => s.labels.node === node));
  const capacity =
    Number.isFinite(total) && total > 0 ? total : evidence.nodes.find((n) => n.name === node)?.capacityBytes;
  if (!capacity) return false;
  return evidence.metrics.nodeAvailable.some(
    (s) => s.labels.node === node && near(s, (v) => v / capacity < 0.05),
  );
}

export function analyseNodes(
  evidence: Evidence,
  podNames: Set<string>,
  disappearances: Disappearance[],
): NodeAnalysis {
  const evicted = new Set<string>();
  const messages: string[] = [];
  for (const pod of evidence.pods) {
    if (pod.reason === 'Evicted') {
      evicted.add(pod.name);
      if (pod.message) messages.push(pod.message);
    }
  }
  let systemOom = 0;
  for (const e of evidence.events) {
    if (e.reason === 'Evicted' && (e.objectKind === 'Pod' ? podNames.has(e.objectName) : true)) {
      if (e.objectKind === 'Pod') evicted.add(e.objectName);
      if (e.message) messages.push(e.message);
    }
    if (e.reason === 'SystemOOM' || e.reason === 'OOMKilling') systemOom += e.count;
  }
  let kernelOomKills = 0;
  for (const s of evidence.metrics.nodeOomKills) {
    for (let i = 1; i < s.v.length; i++) {
      const d = (s.v[i] as number) - (s.v[i - 1] as number);
      if (d > 0) kernelOomKills += d;
    }
  }
  const pressure = new Set<string>(evidence.nodes.filter((n) => n.memoryPressure).map((n) => n.name));
  for (const s of evidence.metrics.nodeMemoryPressure)
    if (s.v.some((v) => v >= 1) && s.labels.node) pressure.add(s.labels.node);
  for (const e of evidence.events) {
    if (
      e.objectKind === 'Node' &&
      (e.reason === 'EvictionThresholdMet' || e.reason === 'NodeHasInsufficientMemory')
    )
      pressure.add(e.objectName);
  }
  const podNode = new Map(evidence.pods.map((p) => [p.name, p.node]));
  const inferred = disappearances.filter(
    (d) => !evicted.has(d.pod) && nodeStarvedAt(evidence, d.node ?? podNode.get(d.pod), d.t),
  );
  const analysis: NodeAnalysis = {
    inferredEvictions: inferred,
    evictedPods: [...evicted],
    evictionMessages: [...new Set(messages)],
    systemOomEvents: systemOom,
    kernelOomKills,
    pressureNodes: [...pressure],
  };
  const totals = new Map(evidence.metrics.nodeTotal.map((s) => [s.labels.node ?? '', max(s.v)]));
  for (const s of evidence.metrics.nodeAvailable) {
    const node = s.labels.node ?? '';
    const total = totals.get(node) ?? evidence.nodes.find((n) => n.name === node)?.capacityBytes;
    if (!total || s.v.length === 0) continue;
    let low = Number.POSITIVE_INFINITY;
    for (const v of s.v) low = Math.min(low, v);
    const share = low / total;
    if (analysis.minAvailableShare === undefined || share < analysis.minAvailableShare) {
      analysis.minAvailableShare = share;
      analysis.minAvailableBytes = low;
      analysis.minAvailableNode = node;
      analysis.nodeTotalBytes = total;
    }
  }
  const allocatable = evidence.nodes.map((n) => n.allocatableBytes ?? 0).filter((x) => x > 0);
  if (allocatable.length > 0) analysis.largestAllocatableBytes = max(allocatable);
  return analysis;
}

/**
 * The node whose memory pressure killed the workload: where most of its starved kills happened,
 * else where its pods were evicted (seen or inferred), else the node under MemoryPressure or
 * lowest on memory. Undefined when nothing names one.
 */
export function pressureNodeOf(
  kills: ReadonlyArray<{ node?: string; nodeStarved?: boolean }>,
  analysis: NodeAnalysis,
  evidence: Evidence,
): string | undefined {
  const votes = new Map<string, number>();
  const vote = (node: string | undefined, weight: number) => {
    if (node) votes.set(node, (votes.get(node) ?? 0) + weight);
  };
  for (const k of kills) if (k.nodeStarved) vote(k.node, 3);
  const podNode = new Map(evidence.pods.map((p) => [p.name, p.node]));
  for (const pod of analysis.evictedPods) vote(podNode.get(pod), 2);
  for (const d of analysis.inferredEvictions) vote(d.node ?? podNode.get(d.pod), 2);
  for (const node of analysis.pressureNodes) vote(node, 1);
  vote(analysis.minAvailableNode, 0.5);
  let best: string | undefined;
  let bestVotes = 0;
  for (const [node, n] of [...votes].sort((a, b) => a[0].localeCompare(b[0])))
    if (n > bestVotes) {
      best = node;
      bestVotes = n;
    }
  return best;
}
