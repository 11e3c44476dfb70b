/**
 * The domain model: what the diagnosis reads (Evidence) and what it returns (Diagnosis).
 * Pure data, no I/O. Times are epoch seconds; memory is in bytes.
 */

import type { Action } from './action-types.ts';
import type { HpaInfo, VpaInfo } from './autoscaler-types.ts';
import type { WorkloadKind, WorkloadRef } from './workload-ref.ts';

export const CAUSES = [
  'limit_too_low',
  'memory_leak',
  'traffic_surge',
  'node_pressure',
  'heap_misconfigured',
  'no_oom',
  'deploy_regression',
  'native_memory',
  'unknown',
] as const;
export type Cause = (typeof CAUSES)[number];

/** What the user (or an alert) asked about, once resolved to one workload. */
export interface Target {
  cluster?: string;
  namespace: string;
  workload: WorkloadRef;
  /** The Service the request named, when it named one. */
  service?: string;
  /** Every Service in the namespace that selects the workload's pods. */
  services?: string[];
  /** Label selector of the workload's pods. */
  selector: Record<string, string>;
  /**
   * The object whose pod template a patch must change, and where the template sits in it
   * (a CronJob's `spec.jobTemplate.spec.template`). Absent when no object's template can be
   * patched: a bare Pod, or a Job (its template is immutable).
   */
  podTemplate?: {
    kind: WorkloadKind;
    name: string;
    path: 'spec.template' | 'spec.jobTemplate.spec.template';
  };
}

/** A time series: parallel arrays of timestamps (s) and values. */
export interface Series {
  labels: Record<string, string>;
  t: number[];
  v: number[];
}

export interface TimeWindow {
  start: number;
  end: number;
  stepSeconds: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  limitBytes?: number;
  requestBytes?: number;
  env: Record<string, string>;
  command: string[];
  args: string[];
}

export interface TerminatedState {
  reason: string;
  exitCode: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface ContainerStatus {
  name: string;
  restartCount: number;
  ready: boolean;
  waitingReason?: string;
  running?: boolean;
  lastTerminated?: TerminatedState;
  terminated?: TerminatedState;
}

export interface PodInfo {
  name: string;
  node?: string;
  phase?: string;
  /** Pod-level reason, e.g. Evicted. */
  reason?: string;
  message?: string;
  qosClass?: string;
  priorityClassName?: string;
  startTime?: number;
  containers: ContainerStatus[];
}

export interface EventInfo {
  objectKind: string;
  objectName: string;
  reason: string;
  message: string;
  type: string;
  count: number;
  firstAt?: number;
  lastAt?: number;
  node?: string;
}

export interface NodeInfo {
  name: string;
  capacityBytes?: number;
  allocatableBytes?: number;
  memoryPressure: boolean;
  memoryPressureSince?: number;
}

export interface Revision {
  name: string;
  revision: number;
  createdAt?: number;
  /** The ReplicaSet's pod-template-hash label. */
  podTemplateHash?: string;
  /** The containers of the ReplicaSet's pod template (images, limits, env). */
  containers?: ContainerSpec[];
}

export interface WorkloadInfo {
  ref: WorkloadRef;
  namespace: string;
  generation?: number;
  replicas?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containers: ContainerSpec[];
  lastRolloutAt?: number;
  revisions: Revision[];
}

export type TrafficFamily =
  | 'http_requests_total'
  | 'http_server_requests_seconds_count'
  | 'istio_requests_total'
  | 'nginx_ingress_controller_requests';

export interface TrafficSeries {
  family: TrafficFamily;
  /** 'pod': one series per pod; 'service': one series for the whole service. */
  scope: 'pod' | 'service';
  /** Request rate per second. */
  series: Series[];
}

export interface MetricsEvidence {
  workingSet: Series[];
  limits: Series[];
  requests: Series[];
  restarts: Series[];
  lastTerminatedReason: Series[];
  lastTerminatedExitCode: Series[];
  nodeAvailable: Series[];
  nodeTotal: Series[];
  nodeOomKills: Series[];
  nodeMemoryPressure: Series[];
  traffic?: TrafficSeries;
}

/** Something the bot wanted to read and could not: named, never silently dropped. */
export interface Gap {
  source: 'cluster' | 'metrics' | 'traffic';
  what: string;
  reason: string;
}

export interface Evidence {
  at: number;
  window: TimeWindow;
  target: Target;
  workload?: WorkloadInfo;
  pods: PodInfo[];
  events: EventInfo[];
  nodes: NodeInfo[];
  hpa?: HpaInfo;
  vpa?: VpaInfo;
  metrics: MetricsEvidence;
  gaps: Gap[];
}

/** One scorer's judgement of one cause. */
export interface CauseAssessment {
  cause: Cause;
  /** 0..1: how well the evidence supports this cause. */
  score: number;
  /** Evidence lines for this cause, with numbers. */
  evidence: string[];
  /** Why the cause is rejected, when its score is low. */
  reason: string;
}

export interface Recommendation {
  container: string;
  memoryLimitBytes: number;
  memoryRequestBytes: number;
  memoryLimit: string;
  memoryRequest: string;
  currentLimitBytes?: number;
  currentRequestBytes?: number;
  rationale: string;
  replay?: ReplayResult;
}

export interface ReplayResult {
  /** Kills the observed series would have caused under the proposed limit. */
  projectedKills: number;
  /** Smallest distance between observed usage and the proposed limit. */
  minHeadroomBytes: number;
  /** Observed kills in the same window, for comparison. */
  observedKills: number;
  /** Samples seen at the old limit: their real demand is only known to be at least that. */
  censoredSamples: number;
}

export interface KillSummary {
  oomKills: number;
  otherRestarts: number;
  evictions: number;
  firstKillAt?: number;
  lastKillAt?: number;
  exitCodes: number[];
}

export interface ChartData {
  window: TimeWindow;
  pods: Array<{ pod: string; series: { t: number[]; v: number[] } }>;
  limitBytes?: number;
  requestBytes?: number;
  proposedLimitBytes?: number;
  /** Terminations to mark; `eviction` marks a pod the node took back (kind defaults from `oom`). */
  kills: Array<{ pod: string; t: number; oom: boolean; kind?: 'oom' | 'restart' | 'eviction' }>;
  traffic?: { t: number[]; v: number[]; label: string };
  /** A rollout inside the window, marked as a vertical line at its time. */
  rollout?: { t: number; label: string };
}

export interface Diagnosis {
  target: Target;
  container: string;
  at: number;
  cause: Cause;
  confidence: number;
  headline: string;
  summary: string;
  evidence: string[];
  rejected: Array<{ cause: Cause; reason: string }>;
  ranking: Array<{ cause: Cause; score: number }>;
  investigateFirst: string;
  recommendation?: Recommendation;
  actions: Action[];
  kills: KillSummary;
  facts: DiagnosisFacts;
  missing: string[];
  chart: ChartData;
  /** The rollout inside the window, when the revisions before and after it are known. */
  rollout?: RolloutFacts;
  /** node_pressure: the node that starved the workload, and its node incident's thread when one is open. */
  pressureNode?: PressureNodeFacts;
}

/** The node behind a node_pressure diagnosis; `incident` is filled by the job, not the engine. */
export interface PressureNodeFacts {
  name: string;
  incident?: { channel: string; threadTs: string };
}

/** One revision of a workload as a rollout report names it. */
export interface RevisionFacts {
  replicaSet: string;
  revision: number;
  images: string[];
  /** Settled working set of the diagnosed container in this revision's pods (p50), if measured. */
  footprintBytes?: number;
}

/** A rollout: the revision before it, the one it created, and when. */
export interface RolloutFacts {
  from: RevisionFacts;
  to: RevisionFacts;
  at: number;
}

/** Key numbers for the headline and the root message. */
export interface DiagnosisFacts {
  limitBytes?: number;
  requestBytes?: number;
  peakBytes?: number;
  restarts: number;
  podCount: number;
  since?: number;
}
