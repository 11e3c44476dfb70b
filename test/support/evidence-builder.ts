/**
 * Builds synthetic Evidence for scorer tests: a small simulator of container lifetimes under a
 * memory limit (kills, restarts, back-off), traffic, and node memory, with overrides per test.
 */
import type { ContainerSpec, Evidence, PodInfo, Series, TrafficFamily } from '../../src/domain/types.ts';

export const MI = 2 ** 20;
export const GI = 2 ** 30;
export const AT = Date.parse('2026-11-24T09:30:00Z') / 1000;

export interface MemoryContext {
  pod: number;
  /** Seconds since this container lifetime started. */
  age: number;
  /** Absolute time, epoch seconds. */
  t: number;
  /** Request rate per pod at t. */
  rps: number;
}

export interface EvidenceSpec {
  limit?: number;
  request?: number;
  stepSeconds?: number;
  hours?: number;
  pods?: number;
  container?: string;
  /** Demand of the main container; a kill happens when it reaches the limit. */
  memory: (ctx: MemoryContext) => number;
  /** Requests per second per pod; omit for no traffic metric. */
  traffic?: (t: number, pod: number) => number;
  trafficFamily?: TrafficFamily;
  env?: Record<string, string>;
  args?: string[];
  image?: string;
  sidecar?: boolean;
  /** Restarts that are not OOM kills: every N seconds with this reason/exit code. */
  otherRestarts?: { everySeconds: number; reason: string; exitCode: number };
  /** Pods evicted for node memory. */
  evicted?: number;
  nodeAvailableShare?: (t: number) => number;
  memoryPressure?: boolean;
  /** Scrape gaps: [from, to) in hours before `at`. */
  gaps?: Array<[number, number]>;
  kind?: 'Deployment' | 'StatefulSet';
  lastRolloutHoursAgo?: number;
  /** Deterministic noise amplitude as a share of the value. */
  noise?: number;
}

function noiseAt(t: number, pod: number): number {
  const x = Math.sin(t * 12.9898 + pod * 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

export function buildEvidence(spec: EvidenceSpec): Evidence {
  const limit = spec.limit ?? 512 * MI;
  const step = spec.stepSeconds ?? 60;
  const hours = spec.hours ?? 24;
  const podCount = spec.pods ?? 2;
  const container = spec.container ?? 'app';
  const end = Math.floor(AT / step) * step;
  const start = end - hours * 3600;
  const kind = spec.kind ?? 'Deployment';
  const podName = (i: number) =>
    kind === 'StatefulSet' ? `svc-${i}` : `svc-7d9f8b6c5d-${'abcdefghij'.slice(i, i + 5).padEnd(5, 'x')}`;
  const inGap = (t: number) => (spec.gaps ?? []).some(([a, b]) => t >= end - a * 3600 && t < end - b * 3600);

  const metrics: Evidence['metrics'] = {
    workingSet: [],
    limits: [],
    requests: [],
    restarts: [],
    lastTerminatedReason: [],
    lastTerminatedExitCode: [],
    nodeAvailable: [],
    nodeTotal: [],
    nodeOomKills: [],
    nodeMemoryPressure: [],
  };
  const pods: PodInfo[] = [];
  const traffic: Series[] = [];
  for (let p = 0; p < podCount; p++) {
    const pod = podName(p);
    const labels = { namespace: 'prod', pod, container, node: `node-${p % 2}` };
    const ws: Series = { labels, t: [], v: [] };
    const lim: Series = { labels: { ...labels, resource: 'memory', unit: 'byte' }, t: [], v: [] };
    const restarts: Series = { labels, t: [], v: [] };
    const reasons = new Map<string, Series>();
    const exit: Series = { labels, t: [], v: [] };
    const rps: Series = { labels: { namespace: 'prod', pod }, t: [], v: [] };
    let lifetimeStart = start - 3600;
    let count = 0;
    let lastReason: string | undefined;
    let lastExit = 0;
    let downUntil = 0;
    let backoff = 10;
    for (let t = start; t <= end; t += step) {
      const rate = spec.traffic ? spec.traffic(t, p) : 0;
      if (t >= downUntil) {
        const age = t - lifetimeStart;
        let demand = spec.memory({ pod: p, age, t, rps: rate });
        demand *= 1 + (spec.noise ?? 0.01) * noiseAt(t, p);
        const other = spec.otherRestarts && age >= spec.otherRestarts.everySeconds;
        if (demand >= limit || other) {
          count++;
          lastReason = other ? spec.otherRestarts?.reason : 'OOMKilled';
          lastExit = other ? (spec.otherRestarts?.exitCode ?? 1) : 137;
          downUntil = t + backoff;
          backoff = Math.min(300, backoff * 2);
          lifetimeStart = downUntil;
          if (!inGap(t)) {
            ws.t.push(t);
            ws.v.push(Math.min(demand, limit * 0.995));
          }
        } else {
          if (age > 600) backoff = 10;
          if (!inGap(t)) {
            ws.t.push(t);
            ws.v.push(demand);
          }
        }
      }
      if (inGap(t)) continue;
      lim.t.push(t);
      lim.v.push(limit);
      restarts.t.push(t);
      restarts.v.push(count);
      if (lastReason) {
        let r = reasons.get(lastReason);
        if (!r) {
          r = { labels: { ...labels, reason: lastReason }, t: [], v: [] };
          reasons.set(lastReason, r);
        }
        r.t.push(t);
        r.v.push(1);
        exit.t.push(t);
        exit.v.push(lastExit);
      }
      if (spec.traffic) {
        rps.t.push(t);
        rps.v.push(rate);
      }
    }
    metrics.workingSet.push(ws);
    metrics.limits.push(lim);
    metrics.restarts.push(restarts);
    metrics.lastTerminatedReason.push(...reasons.values());
    if (exit.t.length > 0) metrics.lastTerminatedExitCode.push(exit);
    if (spec.traffic) traffic.push(rps);
    const evicted = p < (spec.evicted ?? 0);
    pods.push({
      name: pod,
      node: labels.node,
      phase: evicted ? 'Failed' : 'Running',
      reason: evicted ? 'Evicted' : undefined,
      message: evicted ? 'The node was low on resource: memory.' : undefined,
      containers: [
        {
          name: container,
          restartCount: count,
          ready: !evicted,
          lastTerminated: lastReason
            ? { reason: lastReason, exitCode: lastExit, finishedAt: end - 60 }
            : undefined,
        },
      ],
    });
  }
  if (spec.traffic)
    metrics.traffic = { family: spec.trafficFamily ?? 'http_requests_total', scope: 'pod', series: traffic };
  const total = 16 * GI;
  for (const node of ['node-0', 'node-1']) {
    const avail: Series = { labels: { node }, t: [], v: [] };
    const tot: Series = { labels: { node }, t: [], v: [] };
    for (let t = start; t <= end; t += step * 5) {
      avail.t.push(t);
      avail.v.push(total * (spec.nodeAvailableShare ? spec.nodeAvailableShare(t) : 0.6));
      tot.t.push(t);
      tot.v.push(total);
    }
    metrics.nodeAvailable.push(avail);
    metrics.nodeTotal.push(tot);
  }
  const containers: ContainerSpec[] = [
    {
      name: container,
      image: spec.image ?? 'registry.example.com/app:1.0',
      limitBytes: limit,
      requestBytes: spec.request ?? limit / 2,
      env: spec.env ?? {},
      command: [],
      args: spec.args ?? [],
    },
  ];
  if (spec.sidecar)
    containers.push({
      name: 'istio-proxy',
      image: 'istio/proxyv2:1.24',
      limitBytes: 256 * MI,
      requestBytes: 64 * MI,
      env: {},
      command: [],
      args: [],
    });
  return {
    at: AT,
    window: { start, end, stepSeconds: step },
    target: { namespace: 'prod', workload: { kind, name: 'svc' }, selector: { app: 'svc' } },
    workload: {
      ref: { kind, name: 'svc' },
      namespace: 'prod',
      replicas: podCount,
      labels: { app: 'svc' },
      annotations: {},
      containers,
      lastRolloutAt: AT - (spec.lastRolloutHoursAgo ?? 24 * 7) * 3600,
      revisions: [],
    },
    pods,
    events:
      (spec.evicted ?? 0) > 0
        ? [
            {
              objectKind: 'Pod',
              objectName: podName(0),
              reason: 'Evicted',
              message: 'The node was low on resource: memory.',
              type: 'Warning',
              count: 1,
            },
          ]
        : [],
    nodes: [
      {
        name: 'node-0',
        capacityBytes: total,
        allocatableBytes: total * 0.95,
        memoryPressure: Boolean(spec.memoryPressure),
      },
      { name: 'node-1', capacityBytes: total, allocatableBytes: total * 0.95, memoryPressure: false },
    ],
    metrics,
    gaps: [],
  };
}
