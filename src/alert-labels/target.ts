/**
 * What an alert is about, from its labels: the cluster, namespace, workload and container
 * (kube-state-metrics labels), or a node for node-level alerts. The workload comes from a
 * workload or owner label when there is one. An alert with only a pod label groups its pods by the
 * generated part of their names (Deployment pods are `<name>-<pod-template-hash>-<5 chars>`,
 * DaemonSet and Job pods `<name>-<5 chars>`); any other pod name (`memory-demo-2` may be a bare
 * pod as well as a StatefulSet's) is not guessed at: the pod goes to the resolver as a pod.
 */

export type AlertTarget =
  | {
      kind: 'workload';
      cluster: string;
      namespace: string;
      workload: string;
      container: string;
      pod?: string;
    }
  | { kind: 'node'; cluster: string; node: string };

type TargetResult = { ok: true; target: AlertTarget } | { ok: false; reason: string };

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels, no 0, 1 or 3. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const GENERATED_POD = new RegExp(`^(.+)-${SAFE}{5}$`);
const REPLICASET = new RegExp(`^(.+)-${SAFE}{6,10}$`);

/** Labels naming the workload directly, in order of preference. */
const WORKLOAD_LABELS = ['workload', 'deployment', 'statefulset', 'daemonset'] as const;

/**
 * The name a pod's alerts are grouped and diagnosed under: the generated suffixes stripped, else the
 * pod's own name (a trailing ordinal is no proof of a StatefulSet).
 */
export function workloadFromPod(pod: string): string {
  return DEPLOYMENT_POD.exec(pod)?.[1] ?? GENERATED_POD.exec(pod)?.[1] ?? pod;
}

/** A ReplicaSet name without its pod-template-hash. */
export function deploymentFromReplicaSet(name: string): string {
  return REPLICASET.exec(name)?.[1] ?? name;
}

function workloadOf(labels: Readonly<Record<string, string>>): string | undefined {
  for (const name of WORKLOAD_LABELS) if (labels[name]) return labels[name];
  const owner = labels.owner_name;
  if (owner && labels.owner_kind === 'ReplicaSet') return deploymentFromReplicaSet(owner);
  if (owner && labels.owner_kind && labels.owner_kind !== '<none>' && labels.owner_kind !== 'Node')
    return owner;
  if (labels.replicaset) return deploymentFromReplicaSet(labels.replicaset);
  if (labels.pod) return workloadFromPod(labels.pod);
  return undefined;
}

/** The target of an alert, or why it has none. */
export function targetFromLabels(labels: Readonly<Record<string, string>>): TargetResult {
  const cluster = labels.cluster ?? '';
  const namespace = labels.namespace;
  const workload = workloadOf(labels);
  if (namespace && workload) {
    const container = labels.container ?? labels.container_name ?? '';
    return {
      ok: true,
      target: {
        kind: 'workload',
        cluster,
        namespace,
        workload,
        container,
        ...(labels.pod ? { pod: labels.pod } : {}),
      },
    };
  }
  if (labels.node && !labels.pod) return { ok: true, target: { kind: 'node', cluster, node: labels.node } };
  if (!namespace && workload) return { ok: false, reason: 'no namespace label' };
  return { ok: false, reason: 'no namespace and pod (or workload) labels, and no node label' };
}

/** One incident per cluster + namespace + workload + container (or cluster + node). */
export function incidentKeyOf(t: AlertTarget): string {
  if (t.kind === 'node') return `${t.cluster}/node/${t.node}`;
  return `${t.cluster}/${t.namespace}/${t.workload}/${t.container || '*'}`;
}
