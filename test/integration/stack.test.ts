import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';
import { httpGet } from '../stack/proc.ts';
import { type StoppableServer, startAlertmanager, startPrometheus } from '../stack/prometheus.ts';

const CLUSTER_YAML = `
apiVersion: v1
kind: Event
metadata:
  name: api-7d9f8-abcde.17a1
  namespace: stack-test
involvedObject:
  kind: Pod
  namespace: stack-test
  name: api-7d9f8-abcde
  fieldPath: "spec.containers{api}"
reason: BackOff
message: Back-off restarting failed container
type: Warning
count: 7
firstTimestamp: "2026-11-24T09:00:00Z"
lastTimestamp: "2026-11-24T09:28:00Z"
source:
  component: kubelet
  host: node-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: stack-test
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    kubernetes.io/hostname: node-a
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  allocatable: {cpu: 3920m, memory: 15Gi, pods: "110"}
  conditions:
    - type: Ready
      status: "True"
      reason: KubeletReady
      message: kubelet is posting ready status
      lastTransitionTime: "2026-11-14T09:30:00Z"
    - type: MemoryPressure
      status: "True"
      reason: KubeletHasInsufficientMemory
      message: kubelet has insufficient memory available
      lastTransitionTime: "2026-11-24T09:10:00Z"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: stack-test
  uid: uid-from-the-file
  creationTimestamp: "2026-10-14T09:30:00Z"
  generation: 4
  labels: {app: api}
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          resources:
            requests: {memory: 256Mi}
            limits: {memory: 512Mi}
status:
  observedGeneration: 4
  replicas: 1
  updatedReplicas: 1
  readyReplicas: 0
  availableReplicas: 0
  conditions:
    - type: Progressing
      status: "True"
      reason: NewReplicaSetAvailable
      message: ReplicaSet "api-7d9f8" has successfully progressed.
      lastUpdateTime: "2026-11-17T18:25:04Z"
      lastTransitionTime: "2026-11-17T18:23:34Z"
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8
  namespace: stack-test
  labels: {app: api, pod-template-hash: 7d9f8}
  annotations:
    deployment.kubernetes.io/revision: "4"
  ownerReferences:
    - apiVersion: apps/v1
      kind: Deployment
      name: api
      uid: uid-from-the-file
      controller: true
spec:
  replicas: 1
  selector:
    matchLabels: {app: api, pod-template-hash: 7d9f8}
  template:
    metadata:
      labels: {app: api, pod-template-hash: 7d9f8}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          resources:
            requests: {memory: 256Mi}
            limits: {memory: 512Mi}
status:
  replicas: 1
  observedGeneration: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8-abcde
  namespace: stack-test
  labels: {app: api, pod-template-hash: 7d9f8}
  ownerReferences:
    - apiVersion: apps/v1
      kind: ReplicaSet
      name: api-7d9f8
      uid: uid-rs-from-the-file
      controller: true
spec:
  nodeName: node-a
  containers:
    - name: api
      image: registry.example.com/api:1.0.0
      resources:
        requests: {memory: 256Mi}
        limits: {memory: 512Mi}
status:
  phase: Running
  qosClass: Burstable
  hostIP: 10.0.1.10
  podIP: 10.244.1.23
  startTime: "2026-11-22T09:30:00Z"
  containerStatuses:
    - name: api
      image: registry.example.com/api:1.0.0
      imageID: ""
      ready: false
      restartCount: 7
      state:
        waiting:
          reason: CrashLoopBackOff
          message: back-off 5m0s restarting failed container
      lastState:
        terminated:
          reason: OOMKilled
          exitCode: 137
          startedAt: "2026-11-24T09:27:30Z"
          finishedAt: "2026-11-24T09:28:00Z"
`;

describe('test stack: kube-apiserver + etcd', () => {
  let kube: KubeStack | undefined;

  before(async function () {
    // the first run builds kube-apiserver and etcd from source: many minutes on 2 cores
    this.timeout(30 * 60 * 1000);
    kube = await startKube();
  });

  after(async function () {
    this.timeout(60_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  it('answers /readyz with the admin token and refuses anonymous list', async () => {
    assert.ok(kube);
    const ready = await httpGet(`${kube.server}/readyz`, { token: kube.token });
    assert.equal(ready.status, 200, ready.body);
    const anon = await httpGet(`${kube.server}/api/v1/pods`);
    assert.ok(anon.status === 401 || anon.status === 403, `anonymous got ${anon.status}`);
    assert.equal(kube.kubeConfig.getCurrentContext(), 'oom-bot-test');
  });

  it('loads a cluster.yaml and round-trips status, owner uids and events', async () => {
    assert.ok(kube);
    await loadClusterYaml(kube.kubeConfig, CLUSTER_YAML);
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);

    const pod = await core.readNamespacedPod({ name: 'api-7d9f8-abcde', namespace: 'stack-test' });
    assert.equal(pod.spec?.nodeName, 'node-a');
    assert.equal(pod.status?.phase, 'Running');
    const cs = pod.status?.containerStatuses?.[0];
    assert.equal(cs?.restartCount, 7);
    assert.equal(cs?.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(cs?.lastState?.terminated?.exitCode, 137);
    assert.equal(cs?.lastState?.terminated?.finishedAt?.toISOString(), '2026-11-24T09:28:00.000Z');
    assert.equal(cs?.state?.waiting?.reason, 'CrashLoopBackOff');

    const rs = await apps.readNamespacedReplicaSet({ name: 'api-7d9f8', namespace: 'stack-test' });
    const deploy = await apps.readNamespacedDeployment({ name: 'api', namespace: 'stack-test' });
    assert.notEqual(deploy.metadata?.uid, 'uid-from-the-file');
    assert.equal(rs.metadata?.ownerReferences?.[0]?.uid, deploy.metadata?.uid);
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, rs.metadata?.uid);
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], '4');
    assert.equal(rs.status?.replicas, 1);
    const progressing = deploy.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.lastUpdateTime?.toISOString(), '2026-11-17T18:25:04.000Z');
    assert.match(progressing?.message ?? '', /api-7d9f8/);

    const node = await core.readNode({ name: 'node-a' });
    const pressure = node.status?.conditions?.find((c) => c.type === 'MemoryPressure');
    assert.equal(pressure?.status, 'True');
    assert.equal(node.status?.allocatable?.memory, '15Gi');

    const events = await core.listNamespacedEvent({ namespace: 'stack-test' });
    assert.equal(events.items.length, 1);
    const ev = events.items[0];
    assert.equal(ev?.reason, 'BackOff');
    assert.equal(ev?.count, 7);
    assert.equal(ev?.firstTimestamp?.toISOString(), '2026-11-24T09:00:00.000Z');
    assert.equal(ev?.lastTimestamp?.toISOString(), '2026-11-24T09:28:00.000Z');
    assert.equal(ev?.involvedObject.uid, pod.metadata?.uid);
    assert.equal(ev?.source?.host, 'node-a');
  });
});

describe('test stack: Prometheus and Alertmanager', function () {
  this.timeout(120_000);
  let dir: string;
  let prometheus: StoppableServer | undefined;
  let alertmanager: StoppableServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oom-bot-stack-test-'));
    const t0 = 1_795_000_000; // seconds
    const lines = ['# TYPE container_memory_working_set_bytes gauge'];
    for (let i = 0; i < 10; i++) {
      lines.push(
        `container_memory_working_set_bytes{namespace="prod",pod="api-1",container="api"} ${100_000_000 + i * 1_000_000} ${t0 + i * 60}`,
      );
    }
    lines.push('# EOF', '');
    const file = join(dir, 'metrics.om.gz');
    await writeFile(file, gzipSync(lines.join('\n')));
    prometheus = await startPrometheus({ openMetricsFile: file });
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await prometheus?.stop({ keepLogs: failed || undefined });
    await alertmanager?.stop({ keepLogs: failed || undefined });
    await rm(dir, { recursive: true, force: true });
  });

  it('answers an instant query at an explicit time from promtool-created blocks', async () => {
    assert.ok(prometheus);
    const t = 1_795_000_000 + 5 * 60;
    const res = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('container_memory_working_set_bytes{pod="api-1"}')}&time=${t}`,
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      status: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    assert.equal(body.status, 'success');
    assert.equal(body.data.result.length, 1);
    assert.equal(body.data.result[0]?.metric.container, 'api');
    assert.equal(body.data.result[0]?.value[1], '105000000');
  });

  it('starts an Alertmanager with clustering off', async () => {
    alertmanager = await startAlertmanager({
      configYaml: 'route:\n  receiver: none\nreceivers:\n  - name: none\n',
    });
    const res = await fetch(`${alertmanager.url}/api/v2/status`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { cluster?: { status?: string } };
    assert.equal(body.cluster?.status, 'disabled');
  });
});
