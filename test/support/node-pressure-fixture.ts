/**
 * A node under memory pressure, for the node diagnosis tests: worker-1 (16Gi, 15Gi allocatable)
 * holds a BestEffort batch pod that fills it (the hog), two api pods above their 512Mi request, a
 * Guaranteed cache within its request, and a web pod the kubelet evicted. worker-2 holds a bigger
 * pod that must never appear. Cluster objects as `kubectl get -o yaml` shows them, and the working
 * sets as OpenMetrics text ending at `at`.
 */
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/sources/ports.ts';

const MI = 1024 * 1024;
const GI = 1024 * MI;
export const NODE = 'worker-1';
export const HOG = { namespace: 'batch', pod: 'report-builder-28901-x7k2p', bytes: 9 * GI };

interface PodSeed {
  namespace: string;
  name: string;
  node: string;
  owner: { kind: string; name: string; apiVersion: string };
  labels?: Record<string, string>;
  resources?: { requests?: { memory: string }; limits?: { memory: string } };
  qos: 'Guaranteed' | 'Burstable' | 'BestEffort';
  /** Working set; absent for an evicted pod. */
  bytes?: number;
  evicted?: boolean;
}

const PODS: PodSeed[] = [
  {
    ...HOG,
    name: HOG.pod,
    node: NODE,
    owner: { kind: 'Job', name: 'report-builder-28901', apiVersion: 'batch/v1' },
    labels: { 'job-name': 'report-builder-28901' },
    qos: 'BestEffort',
  },
  ...['aaaaa', 'bbbbb'].map(
    (id, i): PodSeed => ({
      namespace: 'shop',
      name: `api-7c9d8f-${id}`,
      node: NODE,
      owner: { kind: 'ReplicaSet', name: 'api-7c9d8f', apiVersion: 'apps/v1' },
      labels: { app: 'api', 'pod-template-hash': '7c9d8f' },
      resources: { requests: { memory: '512Mi' }, limits: { memory: '1Gi' } },
      qos: 'Burstable',
      bytes: (950 - 50 * i) * MI,
    }),
  ),
  {
    namespace: 'shop',
    name: 'cache-0',
    node: NODE,
    owner: { kind: 'StatefulSet', name: 'cache', apiVersion: 'apps/v1' },
    labels: { app: 'cache' },
    resources: { requests: { memory: '2Gi' }, limits: { memory: '2Gi' } },
    qos: 'Guaranteed',
    bytes: 1600 * MI,
  },
  {
    namespace: 'shop',
    name: 'web-5f6d7-ccccc',
    node: NODE,
    owner: { kind: 'ReplicaSet', name: 'web-5f6d7', apiVersion: 'apps/v1' },
    labels: { app: 'web', 'pod-template-hash': '5f6d7' },
    resources: { requests: { memory: '256Mi' }, limits: { memory: '512Mi' } },
    qos: 'Burstable',
    evicted: true,
  },
  {
    namespace: 'shop',
    name: 'api-7c9d8f-zzzzz',
    node: 'worker-2',
    owner: { kind: 'ReplicaSet', name: 'api-7c9d8f', apiVersion: 'apps/v1' },
    labels: { app: 'api', 'pod-template-hash': '7c9d8f' },
    resources: { requests: { memory: '512Mi' }, limits: { memory: '1Gi' } },
    qos: 'Burstable',
    bytes: 12 * GI,
  },
];

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function node(name: string, at: number, pressure: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '3920m', memory: '15Gi', pods: '110' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: iso(at - 86400) },
        {
          type: 'MemoryPressure',
          status: pressure ? 'True' : 'False',
          reason: pressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
          lastTransitionTime: iso(at - 900),
        },
      ],
    },
  };
}

function pod(p: PodSeed, at: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels ?? {},
      ownerReferences: [{ ...p.owner, uid: `uid-${p.owner.name}`, controller: true }],
    },
    spec: {
      nodeName: p.node,
      containers: [
        { name: 'app', image: `registry.example.com/${p.owner.name}:1.0.0`, resources: p.resources ?? {} },
      ],
    },
    status: p.evicted
      ? {
          phase: 'Failed',
          reason: 'Evicted',
          message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 88Mi.',
          qosClass: p.qos,
          startTime: iso(at - 7200),
        }
      : {
          phase: 'Running',
          qosClass: p.qos,
          startTime: iso(at - 7200),
          containerStatuses: [
            {
              name: 'app',
              ready: true,
              restartCount: 0,
              image: `registry.example.com/${p.owner.name}:1.0.0`,
              imageID: '',
              state: { running: { startedAt: iso(at - 7200) } },
            },
          ],
        },
  };
}

/** The cluster objects of the fixture at `at` (epoch seconds). */
export function nodePressureObjects(at: number): KubeObject[] {
  const namespaces = ['shop', 'batch'].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  }));
  const eviction: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-5f6d7-ccccc.evicted', namespace: 'shop' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-5f6d7-ccccc', apiVersion: 'v1' },
    reason: 'Evicted',
    message: 'The node was low on resource: memory. Container app was using 480Mi, request is 256Mi.',
    type: 'Warning',
    count: 1,
    firstTimestamp: iso(at - 600),
    lastTimestamp: iso(at - 600),
    source: { component: 'kubelet', host: NODE },
  };
  return [
    ...namespaces,
    node(NODE, at, true),
    node('worker-2', at, false),
    ...PODS.map((p) => pod(p, at)),
    eviction,
  ];
}

export function nodePressureClusterYaml(at: number): string {
  return nodePressureObjects(at)
    .map((o) => stringify(o))
    .join('---\n');
}

/** Working sets every 60 s for the hour before `at`, each pod rising to its level. */
export function nodePressureOpenMetrics(at: number): string {
  const lines = ['# TYPE container_memory_working_set_bytes gauge'];
  const start = Math.floor(at / 60) * 60 - 3600;
  for (const p of PODS) {
    if (p.bytes === undefined) continue;
    const labels = `container="app",namespace="${p.namespace}",node="${p.node}",pod="${p.name}"`;
    for (let t = start; t <= at; t += 60) {
      const share = 0.8 + (0.2 * (t - start)) / 3600;
      lines.push(`container_memory_working_set_bytes{${labels}} ${Math.round(p.bytes * share)} ${t}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}
