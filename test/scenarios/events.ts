/**
 * Kubernetes Events derived from the simulation: node memory pressure and system OOMs, pod
 * back-offs, restarts, failed probes and evictions; only those an apiserver with the
 * scenario's Event TTL would still hold.
 */
import { Random } from './random.ts';
import { formatIso, HEX, HOUR, STEP } from './shared.ts';
import type { KubeDocument } from './types.ts';
import type { NodeGen, PodInstance, World } from './world.ts';

export interface EventSpec {
  involved: Record<string, unknown>;
  namespace: string;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  host: string;
  times: number[];
}

/** Events about a node: pressure transitions, eviction thresholds, system OOMs. */
export function listNodeEvents(w: World, node: NodeGen): EventSpec[] {
  const events: EventSpec[] = [];
  const pressStarts: number[] = [];
  const pressEnds: number[] = [];
  if (node.pressure) {
    for (let i = 1; i < w.n; i++) {
      if (node.pressure[i] && !node.pressure[i - 1]) pressStarts.push(w.T0 + i * STEP);
      if (!node.pressure[i] && node.pressure[i - 1]) pressEnds.push(w.T0 + i * STEP);
    }
  }
  const nodeRef = { kind: 'Node', name: node.name, uid: node.name };
  if (pressStarts.length > 0) {
    events.push({
      involved: nodeRef,
      namespace: 'default',
      reason: 'EvictionThresholdMet',
      message: 'Attempting to reclaim memory',
      type: 'Warning',
      host: node.name,
      times: pressStarts.map((t) => t + 5),
    });
    events.push({
      involved: nodeRef,
      namespace: 'default',
      reason: 'NodeHasInsufficientMemory',
      message: `Node ${node.name} status is now: NodeHasInsufficientMemory`,
      type: 'Normal',
      host: node.name,
      times: pressStarts,
    });
  }
  if (pressEnds.length > 0) {
    events.push({
      involved: nodeRef,
      namespace: 'default',
      reason: 'NodeHasSufficientMemory',
      message: `Node ${node.name} status is now: NodeHasSufficientMemory`,
      type: 'Normal',
      host: node.name,
      times: pressEnds,
    });
  }
  for (const s of node.systemOoms) {
    events.push({
      involved: nodeRef,
      namespace: 'default',
      reason: 'SystemOOM',
      message: `System OOM encountered, victim process: ${s.process}, pid: ${s.pid}`,
      type: 'Warning',
      host: node.name,
      times: [s.at],
    });
  }
  return events;
}

/** Events about a pod's main container: back-offs, restarts, failed liveness probes, eviction. */
export function listPodEvents(w: World, pod: PodInstance): EventSpec[] {
  const spec = w.spec;
  const ns = spec.namespace;
  const events: EventSpec[] = [];
  const sim = pod.sim;
  if (!sim) return events;
  const ref = {
    kind: 'Pod',
    namespace: ns,
    name: pod.name,
    uid: pod.uid,
    apiVersion: 'v1',
    fieldPath: `spec.containers{${spec.container}}`,
  };
  const host = pod.node.name;
  const backOffs = sim.terms.filter((t) => t.finishedAt < pod.endAt).map((t) => t.finishedAt + 1);
  if (pod.endKind !== 'deleted' || pod.endAt > w.at - spec.eventTtlHours * HOUR) {
    if (backOffs.length > 0) {
      events.push({
        involved: ref,
        namespace: ns,
        reason: 'BackOff',
        message: `Back-off restarting failed container ${spec.container} in pod ${pod.name}_${ns}(${pod.uid})`,
        type: 'Warning',
        host,
        times: backOffs,
      });
      const starts = sim.lifeStarts.filter((s) => s > pod.createdAt + 30);
      if (starts.length > 0) {
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'Pulled',
          message: `Container image "${pod.rev.image}" already present on machine`,
          type: 'Normal',
          host,
          times: starts.map((s) => s - 1),
        });
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'Created',
          message: `Created container: ${spec.container}`,
          type: 'Normal',
          host,
          times: starts.map((s) => s - 1),
        });
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'Started',
          message: `Started container ${spec.container}`,
          type: 'Normal',
          host,
          times: starts,
        });
      }
    }
    const liveness = sim.terms.filter((t) => t.exitCode === 143);
    if (liveness.length > 0) {
      const fails: number[] = [];
      for (const t of liveness) fails.push(t.finishedAt - 31, t.finishedAt - 21, t.finishedAt - 11);
      events.push({
        involved: ref,
        namespace: ns,
        reason: 'Unhealthy',
        message: `Liveness probe failed: Get "http://${pod.ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        type: 'Warning',
        host,
        times: fails,
      });
      events.push({
        involved: ref,
        namespace: ns,
        reason: 'Killing',
        message: `Container ${spec.container} failed liveness probe, will be restarted`,
        type: 'Normal',
        host,
        times: liveness.map((t) => t.finishedAt - 10),
      });
    }
  }
  if (pod.evictionMessage) {
    const podRef = { kind: 'Pod', namespace: ns, name: pod.name, uid: pod.uid, apiVersion: 'v1' };
    events.push({
      involved: podRef,
      namespace: ns,
      reason: 'Evicted',
      message: pod.evictionMessage,
      type: 'Warning',
      host,
      times: [pod.endAt],
    });
    events.push({
      involved: ref,
      namespace: ns,
      reason: 'Killing',
      message: `Stopping container ${spec.container}`,
      type: 'Normal',
      host,
      times: [pod.endAt + 1],
    });
  }
  return events;
}

export function buildEvents(w: World, specs: EventSpec[]): KubeDocument[] {
  const ttl = w.spec.eventTtlHours * HOUR;
  const r = Random.derive(w.spec.seed, 'events');
  const out: Array<{ last: number; doc: KubeDocument }> = [];
  for (const e of specs) {
    const times = e.times.filter((t) => t <= w.at).sort((a, b) => a - b);
    if (times.length === 0) continue;
    // The event object lives while it is refreshed within the TTL: keep the last streak.
    let start = times.length - 1;
    while (start > 0 && (times[start] as number) - (times[start - 1] as number) < ttl) start--;
    const streak = times.slice(start);
    const last = streak[streak.length - 1] as number;
    if (last < w.at - ttl) continue;
    const first = streak[0] as number;
    const name = String(e.involved.name);
    out.push({
      last,
      doc: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${r.chars(16, HEX)}`, namespace: e.namespace },
        involvedObject: e.involved,
        reason: e.reason,
        message: e.message,
        type: e.type,
        count: streak.length,
        firstTimestamp: formatIso(first),
        lastTimestamp: formatIso(last),
        source: { component: 'kubelet', host: e.host },
        reportingComponent: 'kubelet',
        reportingInstance: e.host,
      },
    });
  }
  return out.sort((a, b) => a.last - b.last).map((x) => x.doc);
}
