/**
 * The ports evidence is read through. Two adapters implement each: the live one (Kubernetes API,
 * Prometheus) and the scenario-file one (cluster.yaml, metrics.om). The diagnosis cannot tell
 * them apart.
 */
import type { Series, TimeWindow } from '../domain/types.ts';
import type { QuerySpec } from './queries.ts';

/** A Kubernetes object as plain JSON (what `kubectl get -o json` prints). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion?: string;
      kind?: string;
      name?: string;
      uid?: string;
      controller?: boolean;
    }>;
    generation?: number;
    creationTimestamp?: string | Date;
    resourceVersion?: string;
    uid?: string;
  };
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
  status?: any;
  [key: string]: unknown;
}

export const OBJECT_KINDS = [
  'Namespace',
  'Service',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  /** Argo Rollouts (argoproj.io/v1alpha1); where the CRD is absent, lists are empty and gets undefined. */
  'Rollout',
  'Pod',
  'Node',
  'Event',
  'HorizontalPodAutoscaler',
  'VerticalPodAutoscaler',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/**
 * Server-side filters, with the apiserver's syntax. Field selectors: `metadata.name=`,
 * `metadata.namespace=`, `involvedObject.kind=`, `involvedObject.name=`, `spec.nodeName=`, an Event's `reason=`.
 * Label selectors: `k=v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined with commas.
 */
export interface ListOptions {
  fieldSelector?: string;
  labelSelector?: string;
  /** At most this many objects: the apiserver's first page of that size (its `limit`). */
  limit?: number;
}

/**
 * Reads objects of one kind. Lists cover one namespace or (namespace undefined) all of them, and
 * take selectors so that a read costs what it returns, not what the cluster holds.
 */
export interface ObjectLister {
  list(kind: ObjectKind, namespace?: string, options?: ListOptions): Promise<KubeObject[]>;
  /** One object by name (namespace undefined for cluster-scoped kinds); undefined when absent. */
  get(kind: ObjectKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** A name the lister answers for in messages ("cluster prod-eu", "scenario auth-service"). */
  readonly name: string;
}

/** Answers metric range queries. */
export interface MetricsSource {
  queryRange(spec: QuerySpec, window: TimeWindow): Promise<Series[]>;
  readonly name: string;
}

/** The two sources a diagnosis reads: the cluster and the metrics. */
export interface EvidenceSources {
  cluster: ObjectLister;
  metrics: MetricsSource;
}
