import assert from 'node:assert/strict';
import {
  deploymentFromReplicaSet,
  incidentKeyOf,
  targetFromLabels,
  workloadFromPod,
} from '../../../src/alert-labels/target.ts';

describe('alert target: workload from labels and pod names', () => {
  const pods: Array<[string, string]> = [
    // Deployment: <name>-<pod-template-hash>-<5 chars>
    ['auth-service-7d9f8b6c5d-x2x9z', 'auth-service'],
    // a short pod-template-hash (older clusters)
    ['web-5c8d7f-kq2mz', 'web'],
    // a trailing number is no proof of a StatefulSet: a bare pod (the Kubernetes docs' memory-demo-2)
    // keeps its name and goes to the resolver as a pod
    ['memory-demo-2', 'memory-demo-2'],
    ['kafka-12', 'kafka-12'],
    // DaemonSet or Job: <name>-<5 chars>
    ['node-exporter-8x7vz', 'node-exporter'],
    // a bare pod keeps its name
    ['debug-shell', 'debug-shell'],
    // vowels never appear in generated suffixes: "-alpha" is part of the name
    ['svc-alpha', 'svc-alpha'],
    // a name with a number in it but no ordinal suffix
    ['api-v2', 'api-v2'],
  ];
  for (const [pod, workload] of pods) {
    it(`reads ${pod} as ${workload}`, () => {
      assert.equal(workloadFromPod(pod), workload);
    });
  }

  it('strips the pod-template-hash from a ReplicaSet owner', () => {
    assert.equal(deploymentFromReplicaSet('auth-service-7d9f8b6c5d'), 'auth-service');
  });

  const labelRows: Array<[string, Record<string, string>, string]> = [
    // kube-state-metrics labels: the workload comes from the pod name
    [
      'pod labels',
      { namespace: 'prod', pod: 'auth-service-7d9f8b6c5d-x2x9z', container: 'auth' },
      '/prod/auth-service/auth',
    ],
    // an explicit workload label wins over the pod name
    [
      'a workload label',
      { namespace: 'prod', pod: 'x-1', workload: 'payments', container: 'app' },
      '/prod/payments/app',
    ],
    // deployment / statefulset labels (kube-state-metrics workload metrics)
    ['a deployment label', { namespace: 'prod', deployment: 'api' }, '/prod/api/*'],
    ['a statefulset label', { namespace: 'db', statefulset: 'pg', container: 'postgres' }, '/db/pg/postgres'],
    // kube_pod_owner joined in: a ReplicaSet owner names the Deployment
    [
      'a ReplicaSet owner',
      { namespace: 'prod', pod: 'zz', owner_kind: 'ReplicaSet', owner_name: 'api-6b5f4c8d9' },
      '/prod/api/*',
    ],
    // the cluster label (external_labels) is part of the incident key
    ['a cluster label', { cluster: 'eu-1', namespace: 'prod', pod: 'api-0' }, 'eu-1/prod/api-0/*'],
    // node alerts: one incident per node
    ['a node alert', { node: 'worker-3', condition: 'MemoryPressure' }, '/node/worker-3'],
  ];
  for (const [name, labels, key] of labelRows) {
    it(`keys ${name} as ${key}`, () => {
      const r = targetFromLabels(labels);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(incidentKeyOf(r.target), key);
    });
  }

  const noTarget: Array<[string, Record<string, string>, RegExp]> = [
    // a pod without a namespace cannot be found
    ['a pod without namespace', { pod: 'api-0' }, /no namespace/],
    // nothing to go on
    ['no labels', { alertname: 'X' }, /no namespace and pod/],
    // a namespace alone names no workload
    ['a namespace alone', { namespace: 'prod' }, /no namespace and pod/],
  ];
  for (const [name, labels, reason] of noTarget) {
    it(`has no target for ${name}`, () => {
      const r = targetFromLabels(labels);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, reason);
    });
  }
});
