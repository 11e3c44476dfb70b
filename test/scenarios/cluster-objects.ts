/**
 * The scenario's cluster.yaml content: Namespace, Nodes, the workload and its revisions, the
 * Service, the Pods whose objects exist at `at`, and the Events, in that order.
 */
import { asJobPod, buildBatchObjects, keptRuns } from './batch-family.ts';
import { buildEvents, type EventSpec, listNodeEvents, listPodEvents } from './events.ts';
import { buildMainContainerSpec, buildPodObject, listExistingPods } from './pod-object.ts';
import { Random } from './random.ts';
import { formatIso, GI, STEP } from './shared.ts';
import type { KubeDocument } from './types.ts';
import { buildWorkloadObjects } from './workload-objects.ts';
import type { NodeGen, World } from './world.ts';

/** Every object of cluster.yaml. Draws from one stream, in document order. */
export function buildObjects(w: World): KubeDocument[] {
  const r = Random.derive(w.spec.seed, 'objects');
  const docs: KubeDocument[] = [buildNamespaceObject(w)];
  const events: EventSpec[] = [];
  for (const node of w.nodes) {
    docs.push(buildNodeObject(w, node, r));
    events.push(...listNodeEvents(w, node));
  }
  if (w.batch) docs.push(...buildBatchPodsAndJobs(w, r));
  else {
    docs.push(...buildWorkloadObjects(w, r));
    docs.push(buildServiceObject(w, r));
    for (const pod of listExistingPods(w)) {
      docs.push(buildPodObject(w, pod, r));
    }
  }
  for (const pod of w.pods) events.push(...listPodEvents(w, pod));
  docs.push(...buildEvents(w, events));
  return docs;
}

/** A CronJob, the Jobs it keeps and their pods (a Job's pod has no probes and no Service). */
function buildBatchPodsAndJobs(w: World, r: Random): KubeDocument[] {
  const plan = w.batch as NonNullable<World['batch']>;
  const rev = w.revisions[0] as World['revisions'][number];
  const container = buildMainContainerSpec(w, rev.image, rev);
  delete container.livenessProbe;
  delete container.readinessProbe;
  delete container.ports;
  const docs = buildBatchObjects(w, plan, container);
  const kept = new Set(keptRuns(plan).map((run) => run.job));
  plan.runs.forEach((run, k) => {
    const pod = w.pods[k];
    if (pod && kept.has(run.job)) docs.push(asJobPod(buildPodObject(w, pod, r), run, w.spec.container));
  });
  return docs;
}

function buildNamespaceObject(w: World): KubeDocument {
  const ns = w.spec.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
  };
}

function buildNodeObject(w: World, node: NodeGen, r: Random): KubeDocument {
  const pressNow = (node.pressure?.[w.n - 1] ?? 0) === 1;
  let since = node.createdAt;
  if (node.pressure) {
    for (let i = w.n - 1; i > 0; i--) {
      if (node.pressure[i] !== node.pressure[i - 1]) {
        since = w.T0 + i * STEP;
        break;
      }
    }
  }
  const nodeHb = w.at - r.int(5, 40);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': node.instanceType,
      },
      creationTimestamp: formatIso(node.createdAt),
    },
    spec: pressNow
      ? {
          taints: [
            { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: formatIso(since) },
          ],
        }
      : {},
    status: {
      capacity: {
        cpu: String(Math.max(2, node.memTotal / GI / 4)),
        memory: `${node.memTotal / 1024}Ki`,
        pods: '110',
      },
      allocatable: {
        cpu: `${Math.max(2, node.memTotal / GI / 4) * 1000 - 80}m`,
        memory: `${Math.round(node.allocatable / 1024)}Ki`,
        pods: '110',
      },
      conditions: [
        {
          type: 'MemoryPressure',
          status: pressNow ? 'True' : 'False',
          reason: pressNow ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
          message: pressNow
            ? 'kubelet has insufficient memory available'
            : 'kubelet has sufficient memory available',
          lastHeartbeatTime: formatIso(nodeHb),
          lastTransitionTime: formatIso(since),
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastHeartbeatTime: formatIso(nodeHb),
          lastTransitionTime: formatIso(node.createdAt),
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
          lastHeartbeatTime: formatIso(nodeHb),
          lastTransitionTime: formatIso(node.createdAt),
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: formatIso(nodeHb),
          lastTransitionTime: formatIso(node.createdAt + 40),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.31.4',
        containerRuntimeVersion: 'containerd://1.7.24',
        osImage: 'Ubuntu 22.04.5 LTS',
        kernelVersion: '6.8.0-1021',
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
    },
  };
}

function buildServiceObject(w: World, r: Random): KubeDocument {
  const spec = w.spec;
  const ns = spec.namespace;
  const labels = w.labels;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.service, namespace: ns, labels: { ...labels } },
    spec: {
      type: 'ClusterIP',
      clusterIP: `10.96.${r.int(0, 255)}.${r.int(1, 254)}`,
      selector: { ...w.serviceSelector },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
    status: { loadBalancer: {} },
  };
}
