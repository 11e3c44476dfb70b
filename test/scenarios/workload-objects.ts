/**
 * The workload's objects: a Deployment with its ReplicaSets, or a StatefulSet with its
 * ControllerRevisions, with status and conditions consistent with the simulated pods.
 */
import { buildMainContainerSpec, listExistingPods, sidecarContainerSpec } from './pod-object.ts';
import type { Random } from './random.ts';
import { DAY, formatIso, STEP } from './shared.ts';
import type { KubeDocument } from './types.ts';
import type { Revision, World } from './world.ts';

/** What the workload's status reports at `at`, and when it last changed. */
interface WorkloadStatus {
  readyNow: number;
  generation: number;
  rolloutDone: number;
  availNow: boolean;
  availSince: number;
}

/** The Deployment or StatefulSet and the objects that record its revisions. */
export function buildWorkloadObjects(w: World, r: Random): KubeDocument[] {
  const status = measureWorkload(w, r);
  return w.spec.workloadKind === 'StatefulSet'
    ? buildStatefulSetObjects(w, r, status)
    : buildDeploymentObjects(w, r, status);
}

function templateFor(w: World, rev: Revision) {
  const spec = w.spec;
  const labels = w.labels;
  const annotations = { ...rev.templateAnnotations };
  if (
    spec.trafficFamily === 'http_requests_total' ||
    spec.trafficFamily === 'http_server_requests_seconds_count'
  ) {
    annotations['prometheus.io/scrape'] = 'true';
    annotations['prometheus.io/port'] = '8080';
  }
  const meta: Record<string, unknown> = { labels: { ...labels } };
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  return {
    metadata: meta,
    spec: {
      // A sidecar declared in the template sits after the application container it serves.
      containers: w.companion
        ? [sidecarContainerSpec(w), buildMainContainerSpec(w, rev.image, rev)]
        : [buildMainContainerSpec(w, rev.image, rev)],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      serviceAccountName: spec.workload,
    },
  };
}

function measureWorkload(w: World, r: Random): WorkloadStatus {
  const spec = w.spec;
  const current = w.revisions[0] as Revision;
  // Current pods (those whose object exists at `at`).
  const currentPods = listExistingPods(w).filter((p) => p.endKind === 'none');
  const readyNow = currentPods.filter((p) => p.sim?.ready[w.n - 1] === 1).length;
  const generation = current.number + r.int(0, 4);
  const rolloutDone = current.createdAt + r.int(40, 160);

  // Availability transitions over the window, for the Available condition.
  const maxUnavailable = Math.floor(spec.replicas * 0.25);
  const availableAt = (i: number) => {
    let c = 0;
    for (const p of w.pods) if (p.sim && i >= p.sim.from && i < p.sim.to && p.sim.ready[i]) c++;
    return c >= spec.replicas - maxUnavailable;
  };
  const availNow = availableAt(w.n - 1);
  let availSince = rolloutDone;
  for (let i = w.n - 2; i >= 0; i -= 1) {
    if (availableAt(i) !== availNow) {
      availSince = w.T0 + (i + 1) * STEP;
      break;
    }
  }
  return { readyNow, generation, rolloutDone, availNow, availSince };
}

function buildDeploymentObjects(w: World, r: Random, status: WorkloadStatus): KubeDocument[] {
  const spec = w.spec;
  const ns = spec.namespace;
  const labels = w.labels;
  const current = w.revisions[0] as Revision;
  const workloadUid = `uid-${spec.workload}`;
  const { readyNow, generation, rolloutDone, availNow, availSince } = status;
  const docs: KubeDocument[] = [];
  docs.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.workload,
      namespace: ns,
      uid: workloadUid,
      labels: { ...labels },
      generation,
      creationTimestamp: formatIso(current.createdAt - r.float(30, 400) * DAY),
      annotations: { 'deployment.kubernetes.io/revision': String(current.number) },
    },
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { ...w.selector } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: templateFor(w, current),
    },
    status: {
      observedGeneration: generation,
      replicas: spec.replicas,
      updatedReplicas: spec.replicas,
      readyReplicas: readyNow,
      availableReplicas: readyNow,
      ...(spec.replicas - readyNow > 0 ? { unavailableReplicas: spec.replicas - readyNow } : {}),
      conditions: [
        {
          type: 'Available',
          status: availNow ? 'True' : 'False',
          reason: availNow ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: availNow
            ? 'Deployment has minimum availability.'
            : 'Deployment does not have minimum availability.',
          lastUpdateTime: formatIso(availSince),
          lastTransitionTime: formatIso(availSince),
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${current.name}" has successfully progressed.`,
          lastUpdateTime: formatIso(rolloutDone),
          lastTransitionTime: formatIso(current.createdAt),
        },
      ],
    },
  });
  for (const rev of w.revisions) {
    const isCurrent = rev === current;
    const rsReady = isCurrent ? readyNow : 0;
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rev.name,
        namespace: ns,
        uid: `uid-${rev.name}`,
        labels: { ...labels, 'pod-template-hash': rev.hash },
        creationTimestamp: formatIso(rev.createdAt),
        generation: isCurrent ? 1 : 2,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(spec.replicas),
          'deployment.kubernetes.io/max-replicas': String(spec.replicas + Math.ceil(spec.replicas * 0.25)),
          'deployment.kubernetes.io/revision': String(rev.number),
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: spec.workload,
            uid: workloadUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: isCurrent ? spec.replicas : 0,
        selector: { matchLabels: { ...w.selector, 'pod-template-hash': rev.hash } },
        template: (() => {
          const tpl = templateFor(w, rev);
          (tpl.metadata.labels as Record<string, string>)['pod-template-hash'] = rev.hash;
          return tpl;
        })(),
      },
      status: isCurrent
        ? {
            replicas: spec.replicas,
            fullyLabeledReplicas: spec.replicas,
            readyReplicas: rsReady,
            availableReplicas: rsReady,
            observedGeneration: 1,
          }
        : { replicas: 0, observedGeneration: 2 },
    });
  }
  return docs;
}

function buildStatefulSetObjects(w: World, r: Random, status: WorkloadStatus): KubeDocument[] {
  const spec = w.spec;
  const ns = spec.namespace;
  const labels = w.labels;
  const current = w.revisions[0] as Revision;
  const workloadUid = `uid-${spec.workload}`;
  const { readyNow, generation } = status;
  const docs: KubeDocument[] = [];
  docs.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: spec.workload,
      namespace: ns,
      uid: workloadUid,
      labels: { ...labels },
      generation,
      creationTimestamp: formatIso(current.createdAt - r.float(30, 400) * DAY),
    },
    spec: {
      replicas: spec.replicas,
      serviceName: spec.service,
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      selector: { matchLabels: { ...w.selector } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: templateFor(w, current),
    },
    status: {
      observedGeneration: generation,
      replicas: spec.replicas,
      readyReplicas: readyNow,
      availableReplicas: readyNow,
      currentReplicas: spec.replicas,
      updatedReplicas: spec.replicas,
      currentRevision: current.name,
      updateRevision: current.name,
      collisionCount: 0,
    },
  });
  for (const rev of w.revisions) {
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: rev.name,
        namespace: ns,
        uid: `uid-${rev.name}`,
        labels: { ...w.selector, 'controller.kubernetes.io/hash': rev.hash },
        creationTimestamp: formatIso(rev.createdAt),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            name: spec.workload,
            uid: workloadUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      revision: rev.number,
      data: { spec: { template: { ...templateFor(w, rev), $patch: 'replace' } } },
    });
  }
  return docs;
}
