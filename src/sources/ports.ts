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
    ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
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
  'Pod',
  'Node',
  'Event',
  'HorizontalPodAutoscaler',
  'VerticalPodAutoscaler',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Lists objects of one kind, in one namespace or (namespace undefined) in all. */
export interface ObjectLister {
  list(kind: ObjectKind, namespace?: string): Promise<KubeObject[]>;
  /** A name the lister answers for in messages ("cluster prod-eu", "scenario auth-service"). */
  readonly name: string;
}

/** Answers metric range queries. */
export interface MetricsSource {
  queryRange(spec: QuerySpec, window: TimeWindow): Promise<Series[]>;
  readonly name: string;
}
