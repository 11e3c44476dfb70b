/**
 * The generator's output types: metric series and families, the scenario.yaml document, the
 * Kubernetes objects and the ground truth kept for tests and benchmarks.
 */
import type { BatchPlan } from './batch-family.ts';
import type { RolloutTruth } from './rollout-family.ts';
import type { ResolvedSpec, ScenarioCause } from './spec.ts';

/** One time series: parallel arrays of timestamps (s) and values, the shape the sources use. */
export interface MetricSeries {
  labels: Record<string, string>;
  t: number[];
  v: number[];
}

export interface MetricFamily {
  name: string;
  type: 'gauge' | 'counter';
  series: MetricSeries[];
}

export interface ExpectBlock {
  cause: ScenarioCause;
  alsoAcceptable?: string[];
  surgeStartedAt?: string;
  runtime?: 'jvm' | 'node' | 'go';
  recommendation?: { container: string; memoryLimitBytes: { min: number; max: number } };
  noLimitIncrease?: boolean;
  oomKills: number;
}

export interface ScenarioDocument {
  name: string;
  description: string;
  at: string;
  request: { service: string; namespace?: string };
  expect: ExpectBlock;
}

export type KubeDocument = Record<string, unknown>;

export interface KillRecord {
  pod: string;
  container: string;
  node: string;
  at: number;
  reason: string;
  exitCode: number;
  /** The container's working set when it died (what the kernel saw, capped at the limit). */
  workingSetBytes: number;
}

/** What the generator knows and the files only imply; for tests and benchmarks, never written. */
export interface ScenarioTruth {
  variant: string;
  windowStart: number;
  at: number;
  limitBytes: number;
  /** The largest uncapped demand of any container lifetime in the window (bytes). */
  peakDemandBytes: number;
  peakDemandPod: string;
  /** Terminations of the main container inside the window, all reasons. */
  terminations: KillRecord[];
  oomKills: number;
  evictions: Array<{ pod: string; node: string; at: number }>;
  surgeStartedAt?: number;
  surgeFactor?: number;
  lastRolloutAt: number;
  distractorRolloutAt?: number;
  pressureNode?: string;
  /**
   * The workload was killed or evicted on the starved node: a victim of a neighbour's memory,
   * which a bigger limit of its own cannot save (it makes the node's overcommit worse).
   */
  nodePressureVictim?: boolean;
  heapCeilingBytes?: number;
  heapSetting?: string;
  /** The rollout family's rollout (deploy_regression and its confounders). */
  rollout?: RolloutTruth;
  /** The batch family: the CronJob's schedule, the growth per run and every run in the window. */
  batch?: Pick<BatchPlan, 'schedule' | 'growthPerRun' | 'runs'>;
}

export interface GeneratedScenario {
  /** Folder name without a corpus index: `<cause>-<service>` (the seed incident: its own name). */
  name: string;
  /** Folder name to write to: `NNN-<cause>-<service>` inside a corpus, else `name`. */
  dirName: string;
  spec: ResolvedSpec;
  scenarioYaml: ScenarioDocument;
  clusterObjects: KubeDocument[];
  metrics: MetricFamily[];
  truth: ScenarioTruth;
}
