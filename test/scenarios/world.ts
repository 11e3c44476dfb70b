/**
 * The simulated world a scenario is generated from: nodes, revisions, pod incarnations and their
 * demand models, on a grid of STEP seconds across the window. Internal to the generator.
 */
import type { BatchPlan } from './batch-family.ts';
import type { Random } from './random.ts';
import { STEP } from './shared.ts';
import type { ResolvedSpec, Tuning } from './spec.ts';

export interface NodeGen {
  name: string;
  ip: string;
  podCidrIndex: number;
  instanceType: string;
  memTotal: number;
  allocatable: number;
  reserved: number;
  createdAt: number;
  othersFrac: number;
  /** Times at which node_vmstat_oom_kill increments. */
  oomKillTimes: number[];
  systemOoms: Array<{ at: number; process: string; pid: number }>;
  episodes: PressureEpisode[];
  thresholdBytes: number;
  /** Filled after simulation. */
  available?: Float64Array;
  pressure?: Uint8Array;
}

export interface PressureEpisode {
  growStart: number;
  pressStart: number;
  release: number;
  releaseDur: number;
  floor: number;
  persist: boolean;
}

export interface Revision {
  number: number;
  hash: string;
  name: string;
  createdAt: number;
  version: string;
  image: string;
  templateAnnotations: Record<string, string>;
  /** The main container's memory limit in this revision's template, when it differs from the spec's. */
  limitBytes?: number;
  /** Env the main container has in this revision only (a config change). */
  extraEnv?: Array<{ name: string; value: string }>;
}

export interface Termination {
  startedAt: number;
  finishedAt: number;
  reason: string;
  exitCode: number;
}

export interface ForcedEvent {
  t: number;
  kind: 'liveness' | 'completed' | 'system-oom';
}

export interface DemandModel {
  /** Traffic-independent footprint (bytes). */
  base: number;
  /** Bytes per request/s of this pod's own rate. */
  perReq: number;
  warmStart: number;
  warmTau: number;
  noise: Float64Array;
  spikes?: Float64Array;
  saw?: { amp: number; period: number };
  leak?: { g: number; p: number };
  leakPerRequest?: number;
  heap?: { ceiling: number; start: number; tau: number; youngAmp: number; youngPeriod: number };
}

export interface SidecarModel {
  base: number;
  perReq: number;
  noise: Float64Array;
}

export interface SimResult {
  from: number;
  to: number;
  running: Uint8Array;
  ready: Uint8Array;
  ws: Float64Array;
  terms: Termination[];
  lifeStarts: number[];
  final: { kind: 'running'; startedAt: number } | { kind: 'waiting'; delay: number } | { kind: 'pending' };
  peakDemand: number;
  lastLifeStart: number;
  lastDelay: number;
}

export interface PodInstance {
  name: string;
  uid: string;
  slot: number;
  rev: Revision;
  node: NodeGen;
  ip: string;
  createdAt: number;
  endAt: number;
  endKind: 'none' | 'deleted' | 'evicted';
  share: number;
  firstLifeStart: number;
  priorRestarts: number;
  priorLast?: Termination;
  model: DemandModel;
  sidecar?: SidecarModel;
  forced: ForcedEvent[];
  /** From this time on the app exits with an error a few seconds after every start. */
  errorSince?: number;
  sim?: SimResult;
  sidecarWs?: Float64Array;
  evictionMessage?: string;
  containerIds: string[];
}

export interface World {
  spec: ResolvedSpec;
  tuning: Tuning;
  rng: Random;
  at: number;
  T0: number;
  W: number;
  n: number;
  L: number;
  request: number;
  killAt: number;
  nodes: NodeGen[];
  revisions: Revision[];
  pods: PodInstance[];
  shares: number[];
  /** Total request rate of the service per step. */
  R: Float64Array;
  /** Cumulative requests of the service per step. */
  cumR: Float64Array;
  Rmean: number;
  lastRolloutAt: number;
  distractorAt?: number;
  surgeAt?: number;
  surgeFactor?: number;
  /** deploy_regression: the new revision's footprint over the old one's. */
  familyStep?: number;
  trackPeak: boolean;
  labels: Record<string, string>;
  selector: Record<string, string>;
  serviceSelector: Record<string, string>;
  runtimeEnv: RuntimeSetup;
  podPseudo: { uidCounter: number };
  process: string;
  alsoAcceptable?: string[];
  pressureNode?: NodeGen;
  evictions: Array<{ pod: string; node: string; at: number }>;
  /** The batch family: the CronJob's schedule and runs. */
  batch?: BatchPlan;
  /** The sidecar-image regression: the application container, quiet, beside the sidecar that dies. */
  companion?: { name: string; image: string };
}

export interface RuntimeSetup {
  env: Array<{ name: string; value: string }>;
  command?: string[];
  args?: string[];
  heapCeiling?: number;
  flag?: string;
}

export function toStep(w: World, t: number): number {
  return Math.floor((t - w.T0) / STEP);
}

export function makeArNoise(rng: Random, n: number, sd: number, tauSeconds: number): Float64Array {
  const out = new Float64Array(n);
  const rho = Math.exp(-STEP / tauSeconds);
  const innov = sd * Math.sqrt(1 - rho * rho);
  let x = rng.normal(0, sd);
  for (let i = 0; i < n; i++) {
    x = rho * x + innov * rng.normal();
    out[i] = x;
  }
  return out;
}
