// The workloads people actually run, resolved against a real kube-apiserver through
// ownerReferences: the Kubernetes docs' OOM example (a bare pod), a Job run by hand, a CronJob's
// Job's pod, a ReplicaSet without a Deployment, an Argo Rollout (the test stack's Rollout CRD), and a
// name looked up across namespaces. The same objects read from a scenario file give the same
// answers (the two adapters apply the same selectors). An init container that OOMs is the
// container diagnosed, never the app beside it.
import assert from 'node:assert/strict';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { pickContainer } from '../../src/domain/features.ts';
import type { Target } from '../../src/domain/types.ts';
import { OomBotError } from '../../src/errors.ts';
import { collectEvidence } from '../../src/evidence.ts';
import { readSnapshot, resolveTarget } from '../../src/sources/cluster.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import type { MetricsSource, ObjectLister } from '../../src/sources/ports.ts';
import { createStaticLister, parseClusterYaml } from '../../src/sources/scenario.ts';
import type { ClusterSnapshot } from '../../src/sources/snapshot.ts';
import { installRolloutCrd } from '../stack/crds.ts';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';

const OOM = (name: string, image: string) => `
    - name: ${name}
      image: ${image}
      imageID: ""
      ready: false
      restartCount: 2
      state: {waiting: {reason: CrashLoopBackOff}}
      lastState: {terminated: {reason: OOMKilled, exitCode: 137, finishedAt: "2026-11-24T08:59:50Z"}}`;

const CLUSTER = (rolloutUid: string) => `
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {capacity: {memory: 8Gi}, allocatable: {memory: 7Gi}}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
status: {capacity: {memory: 8Gi}, allocatable: {memory: 7Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: memory-demo-2, namespace: mem-example}
spec:
  nodeName: node-1
  containers:
    - name: memory-demo-2-ctr
      image: polinux/stress
      resources: {limits: {memory: 100Mi}, requests: {memory: 50Mi}}
      command: [stress]
      args: [--vm, "1", --vm-bytes, 250M, --vm-hang, "1"]
status:
  phase: Running
  containerStatuses:${OOM('memory-demo-2-ctr', 'polinux/stress')}
---
apiVersion: v1
kind: Pod
metadata: {name: memory-demo, namespace: mem-example}
spec:
  nodeName: node-2
  containers: [{name: memory-demo-ctr, image: polinux/stress}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: batch}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: report}}
        spec:
          restartPolicy: Never
          containers: [{name: report, image: report:1, resources: {limits: {memory: 256Mi}}}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report-29012345
  namespace: batch
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, controller: true}]
spec:
  template:
    metadata: {labels: {app: report}}
    spec:
      restartPolicy: Never
      containers: [{name: report, image: report:1, resources: {limits: {memory: 256Mi}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: report-29012345-x7k2p
  namespace: batch
  labels: {app: report, job-name: report-29012345}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-29012345, controller: true}]
spec:
  nodeName: node-2
  restartPolicy: Never
  containers: [{name: report, image: report:1, resources: {limits: {memory: 256Mi}}}]
status:
  phase: Failed
  containerStatuses:${OOM('report', 'report:1')}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: batch}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: migrate:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: migrate-q8z4n
  namespace: batch
  labels: {job-name: migrate}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, controller: true}]
spec:
  nodeName: node-1
  restartPolicy: Never
  containers: [{name: migrate, image: migrate:1}]
status: {phase: Succeeded}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: legacy-7f9c8, namespace: shop, labels: {app: legacy}}
spec:
  replicas: 1
  selector: {matchLabels: {app: legacy}}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers: [{name: legacy, image: legacy:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: legacy-7f9c8-vb5tw
  namespace: shop
  labels: {app: legacy}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: legacy-7f9c8, controller: true}]
spec:
  nodeName: node-1
  containers: [{name: legacy, image: legacy:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: migrate-db, image: flyway:1, resources: {limits: {memory: 64Mi}}}]
      containers: [{name: web, image: web:1, resources: {limits: {memory: 512Mi}}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-6d4c9
  namespace: shop
  labels: {app: web, pod-template-hash: 6d4c9}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  selector: {matchLabels: {app: web, pod-template-hash: 6d4c9}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 6d4c9}}
    spec:
      initContainers: [{name: migrate-db, image: flyway:1}]
      containers: [{name: web, image: web:1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-6d4c9-k2x7q
  namespace: shop
  labels: {app: web, pod-template-hash: 6d4c9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-6d4c9, controller: true}]
spec:
  nodeName: node-2
  initContainers: [{name: migrate-db, image: flyway:1, resources: {limits: {memory: 64Mi}}}]
  containers: [{name: web, image: web:1, resources: {limits: {memory: 512Mi}}}]
status:
  phase: Pending
  initContainerStatuses:${OOM('migrate-db', 'flyway:1')}
  containerStatuses:
    - {name: web, image: web:1, imageID: "", ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: canary-5b7d9
  namespace: shop
  labels: {app: canary, rollouts-pod-template-hash: 5b7d9}
  ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: canary, uid: ${rolloutUid}, controller: true}]
spec:
  selector: {matchLabels: {app: canary, rollouts-pod-template-hash: 5b7d9}}
  template:
    metadata: {labels: {app: canary, rollouts-pod-template-hash: 5b7d9}}
    spec:
      containers: [{name: canary, image: canary:2}]
---
apiVersion: v1
kind: Pod
metadata:
  name: canary-5b7d9-m4p2z
  namespace: shop
  labels: {app: canary, rollouts-pod-template-hash: 5b7d9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: canary-5b7d9, controller: true}]
spec:
  nodeName: node-1
  containers: [{name: canary, image: canary:2}]
status: {phase: Running}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: team-a}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: worker, image: worker:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: team-b}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: worker, image: worker:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: team-b}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: checkout, image: checkout:1}]}
---
apiVersion: v1
kind: Event
metadata: {name: memory-demo-2.1, namespace: mem-example}
involvedObject: {kind: Pod, namespace: mem-example, name: memory-demo-2}
reason: BackOff
message: Back-off restarting failed container memory-demo-2-ctr
type: Warning
count: 3
firstTimestamp: "2026-11-24T08:50:00Z"
lastTimestamp: "2026-11-24T08:59:00Z"
---
apiVersion: v1
kind: Event
metadata: {name: memory-demo.1, namespace: mem-example}
involvedObject: {kind: Pod, namespace: mem-example, name: memory-demo}
reason: Pulled
message: Successfully pulled image
type: Normal
firstTimestamp: "2026-11-24T08:50:00Z"
lastTimestamp: "2026-11-24T08:50:00Z"
---
apiVersion: v1
kind: Event
metadata: {name: node-1.1, namespace: default}
involvedObject: {kind: Node, name: node-1}
reason: SystemOOM
message: "System OOM encountered, victim process: stress"
type: Warning
firstTimestamp: "2026-11-24T08:55:00Z"
lastTimestamp: "2026-11-24T08:55:00Z"
---
apiVersion: v1
kind: Event
metadata: {name: node-2.1, namespace: default}
involvedObject: {kind: Node, name: node-2}
reason: SystemOOM
message: "System OOM encountered, victim process: java"
type: Warning
firstTimestamp: "2026-11-24T08:56:00Z"
lastTimestamp: "2026-11-24T08:56:00Z"
`;

const ROLLOUT_YAML = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary, namespace: shop}
spec:
  selector: {matchLabels: {app: canary}}
  template:
    metadata: {labels: {app: canary}}
    spec:
      containers: [{name: canary, image: "canary:2", resources: {limits: {memory: 1Gi}}}]
  strategy: {canary: {steps: [{setWeight: 20}]}}
`;

/** Install the CRD, create the Rollout once the CRD is served, and return the Rollout's uid. */
async function createRollout(kc: KubeConfig): Promise<string> {
  await installRolloutCrd(kc);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await loadClusterYaml(kc, ROLLOUT_YAML);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const created = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace: 'shop',
    plural: 'rollouts',
    name: 'canary',
  })) as { metadata: { uid: string } };
  return created.metadata.uid;
}

const noMetrics: MetricsSource = { name: 'no metrics', queryRange: async () => [] };

/** What a user sees of a target: kind, name, namespace, pod selector and template holder. */
function shown(t: Target) {
  return {
    namespace: t.namespace,
    workload: t.workload,
    selector: t.selector,
    podTemplate: t.podTemplate,
    services: t.services,
  };
}

/** A snapshot without what only a server sets (generation, a Job's labels, creation times, the QoS class). */
function seen(snapshot: ClusterSnapshot) {
  return {
    ...snapshot,
    workload: snapshot.workload && {
      ...snapshot.workload,
      generation: undefined,
      labels: {},
      revisions: snapshot.workload.revisions.map((r) => ({ ...r, createdAt: undefined })),
    },
    pods: snapshot.pods.map((p) => ({ ...p, qosClass: undefined })),
  };
}

describe('workloads found through ownerReferences, against a real kube-apiserver', function () {
  this.timeout(180_000);
  let kube: KubeStack | undefined;
  let live: ObjectLister;
  let file: ObjectLister;

  before(async () => {
    kube = await startKube();
    const rolloutUid = await createRollout(kube.kubeConfig);
    const yaml = CLUSTER(rolloutUid);
    await loadClusterYaml(kube.kubeConfig, yaml);
    live = createKubernetesLister(kube.kubeConfig);
    file = createStaticLister(
      [...parseClusterYaml(yaml), ...parseClusterYaml(ROLLOUT_YAML)],
      'scenario workloads',
    );
  });
  after(async () => {
    await kube?.stop();
  });

  const both = async (name: string, namespace?: string) => {
    const [a, b] = await Promise.all([
      resolveTarget(live, { name, namespace }),
      resolveTarget(file, { name, namespace }),
    ]);
    assert.deepEqual(shown(b), shown(a), 'the scenario adapter resolves as the cluster does');
    return a;
  };

  it('finds the docs’ bare pod by its name: kind Pod, no template to patch, its own events and node', async () => {
    const target = await both('memory-demo-2', 'mem-example');
    assert.deepEqual(target.workload, { kind: 'Pod', name: 'memory-demo-2' });
    assert.equal(target.podTemplate, undefined, 'a bare pod cannot be patched: no Apply');
    const snapshot = await readSnapshot(live, target);
    assert.deepEqual(
      snapshot.pods.map((p) => p.name),
      ['memory-demo-2'],
      'not memory-demo, whose name is a prefix',
    );
    assert.equal(snapshot.pods[0]?.containers[0]?.lastTerminated?.reason, 'OOMKilled');
    assert.deepEqual(
      snapshot.workload?.containers.map((c) => c.name),
      ['memory-demo-2-ctr'],
    );
    assert.deepEqual(snapshot.events.map((e) => e.objectName).sort(), ['memory-demo-2', 'node-1']);
    assert.deepEqual(
      snapshot.nodes.map((n) => n.name),
      ['node-1'],
    );
    assert.deepEqual(seen(await readSnapshot(file, target)), seen(snapshot));
  });

  it('follows a pod of a CronJob’s Job up to the CronJob, whose jobTemplate holds the template', async () => {
    for (const name of ['report-29012345-x7k2p', 'report-29012345', 'report']) {
      const target = await both(name, 'batch');
      assert.deepEqual(target.workload, { kind: 'CronJob', name: 'report' }, name);
      assert.deepEqual(target.podTemplate, {
        kind: 'CronJob',
        name: 'report',
        path: 'spec.jobTemplate.spec.template',
      });
    }
    const target = await both('report', 'batch');
    const snapshot = await readSnapshot(live, target);
    assert.deepEqual(
      snapshot.pods.map((p) => p.name),
      ['report-29012345-x7k2p'],
    );
    assert.deepEqual(
      snapshot.workload?.containers.map((c) => c.name),
      ['report'],
    );
    assert.equal(snapshot.workload?.containers[0]?.limitBytes, 256 * 1024 ** 2);
    assert.deepEqual(seen(await readSnapshot(file, target)), seen(snapshot));
  });

  it('takes a Job run by hand as itself, with advice but no template to patch', async () => {
    const target = await both('migrate-q8z4n', 'batch');
    assert.deepEqual(target.workload, { kind: 'Job', name: 'migrate' });
    assert.deepEqual(target.selector, { 'job-name': 'migrate' });
    assert.equal(target.podTemplate, undefined, 'a Job’s template is immutable');
    const snapshot = await readSnapshot(live, target);
    assert.deepEqual(
      snapshot.pods.map((p) => p.name),
      ['migrate-q8z4n'],
    );
    assert.deepEqual(seen(await readSnapshot(file, target)), seen(snapshot));
  });

  it('takes a ReplicaSet without a Deployment as the workload, and an Argo Rollout above its ReplicaSet', async () => {
    const legacy = await both('legacy-7f9c8-vb5tw', 'shop');
    assert.deepEqual(legacy.workload, { kind: 'ReplicaSet', name: 'legacy-7f9c8' });
    assert.equal(legacy.podTemplate?.path, 'spec.template');
    const rollout = await both('canary');
    assert.deepEqual(rollout.workload, { kind: 'Rollout', name: 'canary' });
    assert.deepEqual(rollout.podTemplate, { kind: 'Rollout', name: 'canary', path: 'spec.template' });
    const snapshot = await readSnapshot(live, rollout);
    assert.deepEqual(
      snapshot.pods.map((p) => p.name),
      ['canary-5b7d9-m4p2z'],
    );
    assert.equal(snapshot.workload?.containers[0]?.limitBytes, 1024 ** 3);
    assert.deepEqual(seen(await readSnapshot(file, rollout)), seen(snapshot));
  });

  it('looks a name up across namespaces: one match is the target, two are named', async () => {
    const checkout = await both('checkout');
    assert.deepEqual([checkout.namespace, checkout.workload.kind], ['team-b', 'Deployment']);
    for (const lister of [live, file]) {
      await assert.rejects(
        resolveTarget(lister, { name: 'worker' }),
        (e: unknown) =>
          e instanceof OomBotError &&
          e.code === 'target_ambiguous' &&
          /team-a\/deployment\/worker/.test(e.userMessage) &&
          /team-b\/deployment\/worker/.test(e.userMessage),
      );
      await assert.rejects(
        resolveTarget(lister, { name: 'checkuot' }),
        (e: unknown) => e instanceof OomBotError && /did you mean checkout/.test(e.userMessage),
      );
    }
  });

  it('diagnoses the init container that was OOM-killed, not the app container beside it', async () => {
    const target = await both('web', 'shop');
    const evidence = await collectEvidence({ cluster: live, metrics: noMetrics }, target, {
      at: Date.parse('2026-11-24T09:00:00Z') / 1000,
    });
    assert.deepEqual(
      evidence.workload?.containers.map((c) => c.name),
      ['web', 'migrate-db'],
    );
    assert.equal(pickContainer(evidence), 'migrate-db');
  });
});
