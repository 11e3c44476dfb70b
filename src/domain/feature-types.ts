/**
 * The measured features of one diagnosis, as types only: what kills.ts, trends.ts, traffic.ts
 * and nodes.ts compute, what features.ts assembles and what every cause scorer reads. A leaf
 * module so that the measurements and their assembly do not import each other.
 */
import type { HeapSetting, Runtime } from './heap.ts';
import type { ContainerSpec } from './types.ts';

export interface Kill {
  pod: string;
  t: number;
  reason: string;
  exitCode?: number;
  /** Highest working set seen in the two steps before the kill. */
  usageBytes?: number;
  limitBytes?: number;
  node?: string;
  /** The pod's node was out of memory (MemoryPressure or under 5% available) at the kill. */
  nodeStarved?: boolean;
}

export interface Lifetime {
  pod: string;
  start: number;
  end: number;
  t: number[];
  v: number[];
  /** Ended by an OOM kill. */
  killed: boolean;
}

export interface LifetimeTrend {
  pod: string;
  durationSeconds: number;
  slopeBytesPerSecond: number;
  lateSlopeBytesPerSecond: number;
  monotonicity: number;
  growthShareOfLimit: number;
  trafficMonotonicity?: number;
  leaky: boolean;
  /** Grows, but traffic grew alike: this lifetime cannot tell a leak from load. */
  trafficExplained: boolean;
}

export interface TrafficAnalysis {
  family: string;
  scope: 'pod' | 'service';
  /** Total requests per second over the window, bucketed. */
  total: { t: number[]; v: number[] };
  changeAt?: number;
  baselineRate?: number;
  recentRate?: number;
  /** recent median / baseline p90: above 1.5 is a jump beyond the earlier range. */
  jumpRatio?: number;
  killsAfterChangeShare?: number;
  perPodPeakRate?: number;
  perPodBaselineRate?: number;
  /** Rank correlation of working set with per-pod request rate (uncensored samples). */
  memoryTrafficCorrelation?: number;
  bytesPerRps?: number;
  baseBytes?: number;
  fitSamples: number;
}

export interface Disappearance {
  pod: string;
  t: number;
  usageBytes: number;
  node?: string;
}

export interface NodeAnalysis {
  /** Pod instances that vanished while their node was out of memory: evictions whose events are gone. */
  inferredEvictions: Disappearance[];
  evictedPods: string[];
  evictionMessages: string[];
  systemOomEvents: number;
  kernelOomKills: number;
  pressureNodes: string[];
  minAvailableShare?: number;
  minAvailableBytes?: number;
  minAvailableNode?: string;
  nodeTotalBytes?: number;
  largestAllocatableBytes?: number;
}

export interface Features {
  container: string;
  spec?: ContainerSpec;
  limitBytes?: number;
  requestBytes?: number;
  podNames: string[];
  kills: Kill[];
  oomKills: Kill[];
  otherTerminations: Kill[];
  restartsInWindow: number;
  /** Usage at OOM kills relative to the limit (median). */
  usageAtKillShare?: number;
  lifetimes: Lifetime[];
  trends: LifetimeTrend[];
  peakBytes?: number;
  /** p95 of post-warm-up usage, uncensored samples only. */
  typicalBytes?: number;
  p99Bytes?: number;
  censoredSamples: number;
  currentLifetime?: { pod: string; ageSeconds: number; usageBytes: number };
  traffic?: TrafficAnalysis;
  node: NodeAnalysis;
  heap: HeapSetting[];
  runtime?: Runtime;
  recentRolloutAt?: number;
  missing: string[];
}
