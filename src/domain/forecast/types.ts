/**
 * The forecast's model: what the bulk pass measures per workload container (ContainerStats),
 * what the screening rules flag (Flag), and what the scan reports (Risk, Forecast). Pure data.
 */
import type { Action } from '../action-types.ts';
import type { Cause, ContainerSpec } from '../types.ts';
import type { WorkloadRef } from '../workload-ref.ts';

export const RISK_KINDS = [
  'recent_kills',
  'leak',
  'heap_above_limit',
  'near_limit',
  'request_far_below_usage',
] as const;
export type RiskKind = (typeof RISK_KINDS)[number];

/** One container of one workload: what a risk is about. */
export interface RiskTarget {
  cluster?: string;
  namespace: string;
  workload: WorkloadRef;
  container: string;
  /** Label selector of the workload's pods (its spec.selector.matchLabels); absent for a bare pod. */
  selector?: Record<string, string>;
}

/** One pod's container as the bulk queries see it at the scan time. */
export interface PodContainerRow {
  namespace: string;
  pod: string;
  container: string;
  /** Highest working set over the scan window. */
  peakBytes?: number;
  /** Working set now (the highest sample of the last few minutes). */
  currentBytes?: number;
  /** Least-squares slope of the working set over the trend range (PromQL deriv). */
  slopeBytesPerSecond?: number;
  limitBytes?: number;
  requestBytes?: number;
  /** Restarts over the scan window. */
  restarts: number;
  /** kube-state-metrics reported OOMKilled as the last termination inside the window. */
  oomKilled: boolean;
}

/** One workload container, the pods' rows folded together, with what the cluster lists say. */
export interface ContainerStats {
  target: RiskTarget;
  pods: string[];
  nodes: string[];
  spec?: ContainerSpec;
  limitBytes?: number;
  requestBytes?: number;
  peakBytes?: number;
  currentBytes?: number;
  /** The pod closest to its limit by trend: its slope and its usage now. */
  worstTrend?: { pod: string; slopeBytesPerSecond: number; currentBytes: number };
  restarts: number;
  oomKilled: boolean;
  /** Nodes of its pods that reported MemoryPressure inside the window. */
  pressureNodes: string[];
}

/** What the cheap screening says about one container: a candidate for the full analysis. */
export interface Flag {
  stats: ContainerStats;
  risk: RiskKind;
  etaSeconds: number | null;
  evidence: string[];
  /** Static risks are final from the spec alone: no full analysis needed. */
  final: boolean;
}

export interface Risk {
  target: RiskTarget;
  risk: RiskKind;
  /** Seconds until the next kill is expected, when a trend or a kill cadence gives one. */
  etaSeconds: number | null;
  evidence: string[];
  actions: Action[];
  /** The diagnosis's cause, when the full analysis diagnosed the kills (recent_kills). */
  cause?: Cause;
}

export interface Forecast {
  at: number;
  risks: Risk[];
}

export interface ForecastOptions {
  /** Only warn about a kill expected within this many seconds (leak, recent kills). */
  horizonSeconds: number;
  /** A container at or above this share of its limit is near it. */
  nearLimitShare: number;
  /** Usage at least this many times the request puts the pod first in line for eviction. */
  requestFactor: number;
}

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = {
  horizonSeconds: 24 * 3600,
  nearLimitShare: 0.9,
  requestFactor: 2,
};
