/** node_pressure: the node ran out of memory and took it back while the container was under its own limit. */
import type { Features, Kill } from '../feature-types.ts';
import { bytes, clock, pct } from '../format.ts';
import { median } from '../series.ts';
import type { CauseAssessment, Evidence } from '../types.ts';

/**
 * A kill seen below this share of the container's own limit is suspect. Scrapes miss the last
 * seconds before a cgroup kill, so 70-90% at the last scrape is normal for a limit kill.
 */
export const UNDER_LIMIT_SHARE = 0.6;

/** OOM kills on a starved node while the container was clearly under its own limit. */
export function starvedKills(f: Features): Kill[] {
  if (!f.limitBytes) return [];
  const limit = f.limitBytes;
  return f.oomKills.filter((k) => k.nodeStarved && k.usageBytes !== undefined && k.usageBytes < limit * 0.9);
}

export function assessNodePressure(f: Features, e: Evidence): CauseAssessment {
  const n = f.node;
  const evidence: string[] = [];
  let score = 0;
  if (n.evictedPods.length > 0) {
    score = Math.max(score, 0.9);
    const msg = n.evictionMessages[0] ? `: "${n.evictionMessages[0]}"` : '';
    evidence.push(`${n.evictedPods.length} pod(s) evicted by the kubelet for node memory${msg}`);
  }
  if (n.inferredEvictions.length > 0) {
    score = Math.max(score, 0.8);
    const d = n.inferredEvictions[0] as (typeof n.inferredEvictions)[number];
    const share = f.limitBytes ? `, ${pct(d.usageBytes / f.limitBytes)} of its limit` : '';
    evidence.push(
      `${n.inferredEvictions.length} pod instance(s) vanished without an OOM kill while their node was out of memory: ${d.pod} at ${clock(d.t, e.at)} using ${bytes(d.usageBytes)}${share} (evicted; the events have expired)`,
    );
  }
  if (n.systemOomEvents > 0) {
    score = Math.max(score, 0.8);
    evidence.push(`${n.systemOomEvents} SystemOOM event(s): the kernel's global OOM killer ran on the node`);
  }
  const underLimitKills = f.oomKills.filter(
    (k) =>
      k.usageBytes !== undefined &&
      f.limitBytes !== undefined &&
      k.usageBytes < f.limitBytes * UNDER_LIMIT_SHARE,
  );
  const nodeLow = n.minAvailableShare !== undefined && n.minAvailableShare < 0.08;
  if (n.pressureNodes.length > 0) {
    score = Math.max(score, 0.45);
    evidence.push(`MemoryPressure on ${n.pressureNodes.join(', ')}`);
  }
  if (nodeLow) {
    score = Math.max(score, 0.4);
    evidence.push(
      `node ${n.minAvailableNode} fell to ${bytes(n.minAvailableBytes ?? 0)} available of ${bytes(n.nodeTotalBytes ?? 0)} (${pct(n.minAvailableShare ?? 0)})`,
    );
  }
  if (underLimitKills.length > 0 && f.oomKills.length > 0) {
    const share = underLimitKills.length / f.oomKills.length;
    // node_vmstat_oom_kill also counts cgroup kills: only kills beyond the container's own are the node's.
    const foreignKills = n.kernelOomKills > f.oomKills.length;
    if (share >= 0.5 && (nodeLow || n.pressureNodes.length > 0 || foreignKills))
      score = Math.max(score, 0.85);
    else if (share >= 0.5) score = Math.max(score, 0.2);
    evidence.push(
      `${underLimitKills.length} of ${f.oomKills.length} OOM kills hit while ${f.container} was under ${pct(UNDER_LIMIT_SHARE)} of its own limit`,
    );
  }
  const starved = starvedKills(f);
  if (starved.length > 0 && starved.length >= f.oomKills.length / 2) {
    score = Math.max(score, 0.88);
    const share = median(starved.map((k) => (k.usageBytes as number) / (f.limitBytes as number)));
    evidence.push(
      `${starved.length} of ${f.oomKills.length} OOM kills came while the pod's node was out of memory, with ${f.container} at ${pct(share)} of its own limit: the kernel's global OOM killer, not the limit`,
    );
  }
  if (n.kernelOomKills > f.oomKills.length && evidence.length > 0) {
    evidence.push(
      `node_vmstat_oom_kill rose by ${n.kernelOomKills}, more than this container's ${f.oomKills.length} kills`,
    );
  }
  const atLimit = f.usageAtKillShare !== undefined && f.usageAtKillShare >= 0.95 && f.oomKills.length > 0;
  if (atLimit && n.evictedPods.length === 0 && n.systemOomEvents === 0 && n.inferredEvictions.length === 0)
    score *= 0.4;
  if (score >= 0.5) return { cause: 'node_pressure', score, evidence, reason: '' };
  const parts: string[] = [];
  if (n.evictedPods.length === 0 && n.inferredEvictions.length === 0) parts.push('no evictions');
  if (n.systemOomEvents === 0) parts.push('no SystemOOM events');
  if (n.pressureNodes.length === 0) parts.push('no MemoryPressure');
  if (n.minAvailableShare !== undefined)
    parts.push(`node memory never below ${pct(n.minAvailableShare)} available`);
  if (atLimit)
    parts.push(`the container was at ${pct(f.usageAtKillShare ?? 0)} of its own limit at the kills`);
  return { cause: 'node_pressure', score, evidence, reason: parts.join(', ') };
}
