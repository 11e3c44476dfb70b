/** no_oom: the container restarted for another reason (exit 143, liveness, Completed) or never restarted. */
import type { Features } from '../feature-types.ts';
import { bytes, pct } from '../format.ts';
import type { CauseAssessment, Evidence } from '../types.ts';

function describeExit(code: number | undefined, reason: string): string {
  if (code === 143)
    return `${reason} exit 143 (SIGTERM: stopped by the kubelet, e.g. a failed liveness probe)`;
  if (code === 137)
    return `${reason} exit 137 (SIGKILL without the OOM killer: e.g. a probe timeout or preStop)`;
  if (code === 0) return `${reason} exit 0 (the process ended by itself)`;
  return `${reason}${code === undefined ? '' : ` exit ${code}`}`;
}

export function assessNoOom(f: Features, e: Evidence): CauseAssessment {
  const statusOom = e.pods.some((p) =>
    p.containers.some(
      (c) =>
        c.name === f.container &&
        (c.lastTerminated?.reason === 'OOMKilled' || c.terminated?.reason === 'OOMKilled'),
    ),
  );
  const oom = f.oomKills.length;
  const nodeKills = f.node.evictedPods.length + f.node.inferredEvictions.length + f.node.systemOomEvents;
  if (oom > 0 || statusOom) {
    const n = Math.max(oom, statusOom ? 1 : 0);
    return {
      cause: 'no_oom',
      score: 0,
      evidence: [],
      reason: `${n} OOMKilled termination${n === 1 ? '' : 's'} (exit 137) of ${f.container} in the window`,
    };
  }
  if (nodeKills > 0) {
    return {
      cause: 'no_oom',
      score: 0.15,
      evidence: [],
      reason: `the node took the memory back: ${f.node.evictedPods.length + f.node.inferredEvictions.length} eviction(s), ${f.node.systemOomEvents} SystemOOM event(s)`,
    };
  }
  const unhealthy = e.events.filter((ev) => ev.reason === 'Unhealthy').reduce((sum, ev) => sum + ev.count, 0);
  const evidence: string[] = [];
  const other = f.otherTerminations;
  if (f.restartsInWindow === 0 && other.length === 0) {
    evidence.push(`${f.container} did not restart in the window: no OOM kill to explain`);
  } else {
    const last = other[other.length - 1];
    const statusLast = e.pods
      .flatMap((p) => p.containers.filter((c) => c.name === f.container))
      .find((c) => c.lastTerminated)?.lastTerminated;
    const reason = last?.reason ?? statusLast?.reason ?? 'unknown';
    const code = last?.exitCode ?? statusLast?.exitCode;
    evidence.push(
      `${f.restartsInWindow} restart(s) in the window, none OOMKilled; last: ${describeExit(code, reason)}`,
    );
  }
  if (unhealthy > 0)
    evidence.push(
      `${unhealthy} Unhealthy probe event(s): the kubelet restarted the container after failed probes`,
    );
  if (f.peakBytes !== undefined && f.limitBytes) {
    evidence.push(
      `peak working set ${bytes(f.peakBytes)}, ${pct(f.peakBytes / f.limitBytes)} of the ${bytes(f.limitBytes)} limit`,
    );
  }
  return { cause: 'no_oom', score: 0.92, evidence, reason: '' };
}
