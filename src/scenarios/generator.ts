/**
 * A seeded, varied, adversarial generator of OOM scenarios in the exchange format of
 * FORMAT.md: `scenario.yaml` (what a correct diagnosis says), `cluster.yaml` (Kubernetes
 * objects with status) and `metrics.om.gz` (24 h of the series a kube-prometheus stack has).
 *
 * The generator simulates each container on a 5 s grid: a demand curve (footprint, traffic,
 * noise, spikes, sawtooth, leak or heap growth, warm-up after each start), the kernel killing
 * the container when the demand reaches the limit (the working set is capped just below it),
 * CrashLoopBackOff delays (10 s doubling to 300 s, reset after 10 min of running), evictions
 * and node-wide OOM kills. Every series, every Pod status and every Event is derived from that
 * one simulation, so the files agree with each other. Nothing that a real cluster would not
 * have carries the answer: the cause lives only in scenario.yaml's `expect` block.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Document, visit } from 'yaml';
import { Random } from './random.ts';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export const SCENARIO_CAUSES = [
  'limit_too_low',
  'memory_leak',
  'traffic_surge',
  'node_pressure',
  'heap_misconfigured',
  'no_oom',
] as const;
export type ScenarioCause = (typeof SCENARIO_CAUSES)[number];

export const TRAFFIC_CHOICES = [
  'http_requests_total',
  'http_server_requests_seconds_count',
  'istio_requests_total',
  'nginx_ingress_controller_requests',
  'none',
] as const;
export type TrafficChoice = (typeof TRAFFIC_CHOICES)[number];

export type RuntimeChoice = 'jvm' | 'node' | 'go' | 'none';
export type WorkloadKindChoice = 'Deployment' | 'StatefulSet';
export type ScrapeInterval = 15 | 30 | 60;

/** The shapes each cause comes in; `variant` in a spec picks one. */
export const VARIANTS = {
  limit_too_low: ['spikes', 'sawtooth', 'warmup-plateau'],
  memory_leak: ['linear', 'curved', 'traffic-driven', 'slow-single-kill'],
  traffic_surge: ['proportional', 'steady-footprint'],
  node_pressure: ['eviction', 'system-oom', 'eviction-and-oom'],
  heap_misconfigured: ['env', 'args', 'percentage'],
  no_oom: ['liveness', 'completed', 'app-error', 'no-restarts'],
} as const satisfies Record<ScenarioCause, readonly string[]>;

/** Fine control for hand-made scenarios (the seed incident); fractions are of the memory limit. */
export interface Tuning {
  /** traffic_surge: the busiest pod's pre-surge peak demand as a fraction of the limit. */
  preSurgeFraction?: number;
  /** traffic_surge: the share of the pre-surge demand that does not depend on traffic. */
  baseShare?: number;
  /** Working set at a container start as a fraction of its warmed-up footprint. */
  warmupStart?: number;
  /** Time constant of the warm-up ramp after a start. */
  warmupTauSeconds?: number;
  /** How far past the limit the demand goes before the kill (reclaimable page cache). */
  killOvershoot?: number;
  nodeCount?: number;
  lastRolloutDaysAgo?: number;
  diurnalAmplitude?: number;
  /** Total requests per second of the service before any surge. */
  requestRate?: number;
  surgeRampSeconds?: number;
  /** Memory noise as a fraction of the footprint. */
  noise?: number;
}

export interface ScenarioSpec {
  seed: number;
  cause: ScenarioCause;
  name?: string;
  namespace?: string;
  /** The Service's name. */
  service?: string;
  /** The Deployment's or StatefulSet's name (may differ from the Service's). */
  workload?: string;
  container?: string;
  workloadKind?: WorkloadKindChoice;
  replicas?: number;
  intervalSeconds?: ScrapeInterval;
  trafficFamily?: TrafficChoice;
  /** An istio-proxy sidecar in every pod; it is never the container that dies. */
  sidecar?: boolean;
  namespaceInRequest?: boolean;
  limitBytes?: number;
  requestBytes?: number;
  windowHours?: number;
  /** Scrape gaps: minutes of missing samples per scrape target. */
  gaps?: boolean;
  runtime?: RuntimeChoice;
  /** The moment of diagnosis, RFC 3339. */
  at?: string;
  variant?: string;
  /** Replicas take unequal shares of the traffic. */
  unevenLoad?: boolean;
  /** A rollout inside the window that is not the cause (a distractor). */
  recentRollout?: boolean;
  /** App-exported request counters reset at each container restart and vanish while it is down. */
  appCounterResets?: boolean;
  /** Each scrape target has its own phase inside the interval (timestamps not aligned). */
  scrapeOffsets?: boolean;
  /** Whether the request names the Service or the workload. */
  requestBy?: 'service' | 'workload';
  /** traffic_surge: the factor of the jump (2-4). */
  surgeFactor?: number;
  /** traffic_surge: when the jump starts, RFC 3339. */
  surgeStartedAt?: string;
  /** How long Events survive in the apiserver. */
  eventTtlHours?: number;
  tuning?: Tuning;
}

/** Every knob after defaults were drawn from the seed. */
export interface ResolvedSpec {
  seed: number;
  cause: ScenarioCause;
  variant: string;
  name: string;
  namespace: string;
  service: string;
  workload: string;
  container: string;
  workloadKind: WorkloadKindChoice;
  replicas: number;
  intervalSeconds: ScrapeInterval;
  trafficFamily: TrafficChoice;
  sidecar: boolean;
  namespaceInRequest: boolean;
  limitBytes: number;
  requestBytes: number;
  windowHours: number;
  gaps: boolean;
  runtime: RuntimeChoice;
  at: string;
  unevenLoad: boolean;
  recentRollout: boolean;
  appCounterResets: boolean;
  scrapeOffsets: boolean;
  requestBy: 'service' | 'workload';
  eventTtlHours: number;
}

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
  heapCeilingBytes?: number;
  heapSetting?: string;
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

// ---------------------------------------------------------------------------------------------
// Constants and small helpers
// ---------------------------------------------------------------------------------------------

const MI = 2 ** 20;
const GI = 2 ** 30;
/** Simulation resolution in seconds. */
const STEP = 5;
const HOUR = 3600;
const DAY = 86400;
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX = '0123456789abcdef';
const READY_DELAY = 10;

const SERVICE_NAMES = [
  'checkout',
  'payments-api',
  'cart',
  'inventory',
  'search-indexer',
  'recommendations',
  'notification-worker',
  'user-profile',
  'billing',
  'ledger',
  'api-gateway',
  'catalog',
  'image-resizer',
  'pricing',
  'fraud-scorer',
  'session-store',
  'report-worker',
  'order-events',
  'email-sender',
  'geo-lookup',
  'feature-flags',
  'media-transcoder',
  'shipping-quotes',
  'loyalty',
  'reviews',
  'tax-calculator',
  'identity',
  'token-service',
  'audit-log',
  'ml-scorer',
  'thumbnailer',
  'webhooks',
  'metrics-aggregator',
  'event-consumer',
  'graphql-gateway',
  'quote-engine',
  'ledger-sync',
  'pdf-renderer',
];
const NAMESPACES = [
  'prod',
  'shop',
  'payments',
  'platform',
  'data',
  'search',
  'core',
  'checkout',
  'identity',
  'media',
  'batch',
  'growth',
  'backend',
  'api',
  'default',
];
const LIMIT_CHOICES_MI = [256, 384, 512, 640, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192];

function iso(sec: number): string {
  return new Date(Math.round(sec) * 1000).toISOString().replace('.000Z', 'Z');
}

function parseIso(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`${what}: not an RFC 3339 time: ${text}`);
  return Math.round(ms / 1000);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

function smoothstep(x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return x * x * (3 - 2 * x);
}

function frac(x: number): number {
  return x - Math.floor(x);
}

/** A Kubernetes quantity: Gi or Mi when exact, else plain bytes. */
export function quantity(bytes: number): string {
  if (bytes % GI === 0) return `${bytes / GI}Gi`;
  if (bytes % MI === 0) return `${bytes / MI}Mi`;
  return String(Math.round(bytes));
}

/** Go's time.Duration formatting for whole seconds: 10s, 1m20s, 5m0s. */
function goDuration(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

function roundTo(x: number, unit: number): number {
  return Math.round(x / unit) * unit;
}

function ceilTo(x: number, unit: number): number {
  return Math.ceil(x / unit) * unit;
}

function bumpPatch(version: string, by: number): string {
  const parts = version.split('.');
  const patch = Number(parts[2] ?? 0) + by;
  return `${parts[0]}.${parts[1]}.${patch}`;
}

// ---------------------------------------------------------------------------------------------
// Spec resolution: every unspecified knob is drawn from the seed
// ---------------------------------------------------------------------------------------------

const NAME_SUFFIXES = ['-api', '-service', '-worker', '-svc', '-server'];

function differentName(name: string, rng: Random): string {
  const options: string[] = [`${name}-svc`, `${name}-http`, `${name}-internal`];
  for (const suffix of NAME_SUFFIXES) {
    if (name.endsWith(suffix) && name.length > suffix.length + 1) options.push(name.slice(0, -suffix.length));
  }
  if (!NAME_SUFFIXES.some((s) => name.endsWith(s))) options.push(`${name}-api`, `${name}-service`);
  return rng.pick(options.filter((o) => o !== name));
}

function containerNameFor(workload: string, rng: Random): string {
  const tokens = workload.split('-');
  const first = tokens[0] ?? workload;
  const last = tokens[tokens.length - 1] ?? workload;
  const generic = new Set(['api', 'service', 'svc', 'server', 'worker', 'http']);
  const options = [workload, 'app', 'server', 'main'];
  if (!generic.has(first)) options.push(first, first);
  if (!generic.has(last) && last !== first) options.push(last);
  return rng.pick(options);
}

function resolveSpec(spec: ScenarioSpec, rng: Random): ResolvedSpec {
  const cause = spec.cause;
  if (!SCENARIO_CAUSES.includes(cause)) throw new Error(`unknown cause: ${cause}`);
  const r = rng.fork('knobs');

  let runtime: RuntimeChoice;
  if (cause === 'heap_misconfigured') {
    runtime =
      spec.runtime ??
      r.weighted<RuntimeChoice>([
        ['jvm', 0.5],
        ['node', 0.25],
        ['go', 0.25],
      ]);
    if (runtime === 'none') throw new Error('heap_misconfigured needs a runtime (jvm, node or go)');
  } else {
    runtime =
      spec.runtime ??
      r.weighted<RuntimeChoice>([
        ['jvm', 0.35],
        ['node', 0.2],
        ['go', 0.2],
        ['none', 0.25],
      ]);
  }

  const variants: readonly string[] = VARIANTS[cause];
  let variant = spec.variant ?? r.pick(variants);
  if (!variants.includes(variant)) throw new Error(`unknown variant "${variant}" for ${cause}`);
  if (cause === 'heap_misconfigured') {
    if (runtime === 'go' && variant !== 'env') variant = 'env';
    if (runtime === 'node' && variant === 'percentage') variant = 'env';
  }

  let workload = spec.workload;
  let service = spec.service;
  const differs = r.chance(0.3);
  if (!workload && !service) {
    const base = r.pick(SERVICE_NAMES);
    workload = base;
    service = differs ? differentName(base, r) : base;
  } else if (!workload) {
    workload = differs ? differentName(service as string, r) : (service as string);
  } else if (!service) {
    service = differs ? differentName(workload, r) : workload;
  }
  const workloadName = workload as string;
  const serviceName = service as string;

  const limitBytes = spec.limitBytes ?? r.pick(LIMIT_CHOICES_MI) * MI;
  let requestBytes = spec.requestBytes;
  if (requestBytes === undefined) {
    const ratio =
      cause === 'node_pressure' ? r.pick([0.2, 0.25, 0.3]) : r.pick([0.5, 0.5, 0.625, 0.75, 0.75, 1]);
    requestBytes = Math.max(16 * MI, roundTo(limitBytes * ratio, 16 * MI));
  }

  let trafficFamily = spec.trafficFamily;
  if (trafficFamily === undefined) {
    const weights: Array<readonly [TrafficChoice, number]> = [
      ['http_requests_total', 0.3],
      ['http_server_requests_seconds_count', runtime === 'jvm' ? 0.3 : 0.05],
      ['istio_requests_total', 0.2],
      ['nginx_ingress_controller_requests', 0.2],
      ['none', cause === 'traffic_surge' ? 0 : 0.15],
    ];
    trafficFamily = r.weighted(weights);
  }
  const sidecar = spec.sidecar ?? (trafficFamily === 'istio_requests_total' ? true : r.chance(0.2));
  const replicas =
    spec.replicas ??
    r.weighted<number>([
      [1, 0.12],
      [2, 0.25],
      [3, 0.3],
      [4, 0.13],
      [5, 0.1],
      [6, 0.1],
    ]);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 50) throw new Error(`replicas: ${replicas}`);
  const intervalSeconds =
    spec.intervalSeconds ??
    r.weighted<ScrapeInterval>([
      [15, 0.3],
      [30, 0.4],
      [60, 0.3],
    ]);
  const windowHours = spec.windowHours ?? 24;
  let at = spec.at;
  if (at === undefined) {
    const start = Date.UTC(2026, 0, 5) / 1000;
    const end = Date.UTC(2026, 11, 20) / 1000;
    at = iso(roundTo(r.float(start, end), 60));
  }
  const name = spec.name ?? `${serviceName}-${cause.replaceAll('_', '-')}`;
  const recentDefault = variant === 'slow-single-kill' ? false : r.chance(0.3);
  const requestBy =
    spec.requestBy ?? (workloadName !== serviceName && r.chance(0.25) ? 'workload' : 'service');

  return {
    seed: spec.seed,
    cause,
    variant,
    name,
    namespace: spec.namespace ?? r.pick(NAMESPACES),
    service: serviceName,
    workload: workloadName,
    container: spec.container ?? containerNameFor(workloadName, r),
    workloadKind: spec.workloadKind ?? (r.chance(0.2) ? 'StatefulSet' : 'Deployment'),
    replicas,
    intervalSeconds,
    trafficFamily,
    sidecar,
    namespaceInRequest: spec.namespaceInRequest ?? r.chance(0.6),
    limitBytes,
    requestBytes,
    windowHours,
    gaps: spec.gaps ?? r.chance(0.35),
    runtime,
    at,
    unevenLoad: spec.unevenLoad ?? (replicas > 1 && r.chance(0.35)),
    recentRollout: spec.recentRollout ?? recentDefault,
    appCounterResets: spec.appCounterResets ?? r.chance(0.4),
    scrapeOffsets: spec.scrapeOffsets ?? r.chance(0.5),
    requestBy,
    eventTtlHours: spec.eventTtlHours ?? r.pick([1, 1, 2, 3]),
  };
}

// ---------------------------------------------------------------------------------------------
// The simulated world
// ---------------------------------------------------------------------------------------------

interface NodeGen {
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

interface PressureEpisode {
  growStart: number;
  pressStart: number;
  release: number;
  releaseDur: number;
  floor: number;
  persist: boolean;
}

interface Revision {
  number: number;
  hash: string;
  name: string;
  createdAt: number;
  version: string;
  image: string;
  templateAnnotations: Record<string, string>;
}

interface Termination {
  startedAt: number;
  finishedAt: number;
  reason: string;
  exitCode: number;
}

interface ForcedEvent {
  t: number;
  kind: 'liveness' | 'completed' | 'system-oom';
}

interface DemandModel {
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

interface SidecarModel {
  base: number;
  perReq: number;
  noise: Float64Array;
}

interface SimResult {
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

interface PodInstance {
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

interface World {
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
}

interface RuntimeSetup {
  env: Array<{ name: string; value: string }>;
  command?: string[];
  args?: string[];
  heapCeiling?: number;
  flag?: string;
}

function stepOf(w: World, t: number): number {
  return Math.floor((t - w.T0) / STEP);
}

function arNoise(rng: Random, n: number, sd: number, tauSeconds: number): Float64Array {
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

// ---------------------------------------------------------------------------------------------
// Nodes, revisions, pods
// ---------------------------------------------------------------------------------------------

function makeNodes(w: World, count: number): NodeGen[] {
  const r = w.rng.fork('nodes');
  const style = r.pick(['eks', 'eks', 'gke', 'aks', 'plain']);
  const region = r.pick(['us-east-1', 'eu-west-1', 'us-west-2', 'eu-central-1']);
  const clusterName = r.pick(['prod', 'main', 'core', 'apps', 'blue']);
  const gkeHash = r.chars(8, HEX);
  const aksId = String(r.int(10000000, 99999999));
  const sizes = [8, 16, 32, 64, 128];
  // Size nodes so that our pods are a minority of the node's memory.
  const perNode = Math.ceil(w.spec.replicas / count) + 1;
  const needGi = ((perNode * (w.L + (w.spec.sidecar ? 256 * MI : 0))) / 0.35 + 2 * GI) / GI;
  const minGi = sizes.find((s) => s >= needGi) ?? 128;
  const nodes: NodeGen[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    const gi = r.chance(0.7) ? minGi : (sizes.find((s) => s > minGi) ?? minGi);
    const ipC = r.int(0, 63);
    const ipD = r.int(2, 250);
    const ip = `10.0.${ipC}.${ipD}`;
    let name: string;
    let instanceType: string;
    const family = r.pick(['m5', 'm6i', 'r5', 'c6i']);
    const awsSize =
      gi <= 8 ? 'large' : gi <= 16 ? 'xlarge' : gi <= 32 ? '2xlarge' : gi <= 64 ? '4xlarge' : '8xlarge';
    if (style === 'eks') {
      name =
        region === 'us-east-1'
          ? `ip-10-0-${ipC}-${ipD}.ec2.internal`
          : `ip-10-0-${ipC}-${ipD}.${region}.compute.internal`;
      instanceType = `${family}.${awsSize}`;
    } else if (style === 'gke') {
      name = `gke-${clusterName}-default-pool-${gkeHash}-${r.chars(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
      instanceType = `e2-standard-${Math.max(2, gi / 4)}`;
    } else if (style === 'aks') {
      name = `aks-nodepool1-${aksId}-vmss${String(r.int(0, 60)).padStart(6, '0')}`;
      instanceType = `Standard_D${Math.max(2, gi / 4)}s_v5`;
    } else {
      name = `worker-${r.int(1, 40)}`;
      instanceType = `${family}.${awsSize}`;
    }
    if (used.has(name)) {
      i--;
      continue;
    }
    used.add(name);
    const memTotal = gi * GI;
    const reserved = roundTo(memTotal * r.float(0.05, 0.08), MI);
    nodes.push({
      name,
      ip,
      podCidrIndex: i + 1 + r.int(0, 30) * 8,
      instanceType,
      memTotal,
      allocatable: memTotal - roundTo(memTotal * 0.03, MI) - 100 * MI,
      reserved,
      createdAt: w.at - r.float(3, 60) * DAY,
      othersFrac: r.float(0.25, 0.5),
      oomKillTimes: [],
      systemOoms: [],
      episodes: [],
      thresholdBytes: 100 * MI,
    });
  }
  return nodes;
}

function k8sHash(rng: Random, length = 10): string {
  return rng.chars(length, K8S_ALPHABET);
}

function makeRevisions(w: World): Revision[] {
  const r = w.rng.fork('revisions');
  const spec = w.spec;
  const sts = spec.workloadKind === 'StatefulSet';
  const current = r.int(3, 40);
  const version = `${r.int(1, 4)}.${r.int(0, 40)}.${r.int(3, 15)}`;
  const count = r.chance(0.5) ? 3 : 2;
  const registry = r.pick([
    `registry.example.com/${spec.namespace}/${spec.workload}`,
    `ghcr.io/example-org/${spec.workload}`,
    `123456789012.dkr.ecr.us-east-1.amazonaws.com/${spec.workload}`,
  ]);
  // A distractor rollout is an image bump or a plain `kubectl rollout restart`.
  const restartOnly = w.distractorAt !== undefined && r.chance(0.35);
  const revs: Revision[] = [];
  let t = w.distractorAt ?? w.lastRolloutAt;
  for (let k = 0; k < count; k++) {
    const hash = sts ? r.chars(10, 'bcdf0123456789') : k8sHash(r);
    const v = bumpPatch(version, restartOnly && k > 0 ? 1 - k : -k);
    const templateAnnotations: Record<string, string> = {};
    if (restartOnly && k === 0)
      templateAnnotations['kubectl.kubernetes.io/restartedAt'] = iso(t - r.int(5, 40));
    revs.push({
      number: current - k,
      hash,
      name: `${spec.workload}-${hash}`,
      createdAt: Math.round(t),
      version: restartOnly && k === 0 ? bumpPatch(version, 0) : v,
      image: '',
      templateAnnotations,
    });
    t -= r.float(2, 25) * DAY;
  }
  if (restartOnly && revs[1]) revs[1].version = revs[0]?.version ?? revs[1].version;
  for (const rev of revs) rev.image = `${registry}:${rev.version}`;
  return revs;
}

function podIp(node: NodeGen, rng: Random): string {
  return `10.244.${node.podCidrIndex % 250}.${rng.int(2, 250)}`;
}

function newPodName(w: World, rev: Revision, slot: number, rng: Random): string {
  if (w.spec.workloadKind === 'StatefulSet') return `${w.spec.workload}-${slot}`;
  return `${w.spec.workload}-${rev.hash}-${rng.chars(5, K8S_ALPHABET)}`;
}

function emptyModel(w: World): DemandModel {
  return { base: 0, perReq: 0, warmStart: 1, warmTau: 60, noise: new Float64Array(w.n) };
}

function makePod(
  w: World,
  slot: number,
  rev: Revision,
  node: NodeGen,
  createdAt: number,
  endAt: number,
  endKind: PodInstance['endKind'],
  rng: Random,
): PodInstance {
  const name = newPodName(w, rev, slot, rng);
  w.podPseudo.uidCounter++;
  return {
    name,
    uid: `uid-${name}${w.spec.workloadKind === 'StatefulSet' ? `-${w.podPseudo.uidCounter}` : ''}`,
    slot,
    rev,
    node,
    ip: podIp(node, rng),
    createdAt,
    endAt,
    endKind,
    share: w.shares[slot] ?? 1 / w.spec.replicas,
    firstLifeStart: createdAt + rng.float(3, 25),
    priorRestarts: 0,
    model: emptyModel(w),
    forced: [],
    containerIds: [],
  };
}

function makePods(w: World): PodInstance[] {
  const r = w.rng.fork('pods');
  const spec = w.spec;
  const pods: PodInstance[] = [];
  const current = w.revisions[0] as Revision;
  const previous = w.revisions[1] as Revision;
  const offset = r.int(0, w.nodes.length - 1);
  const nodeFor = (slot: number) => {
    if (r.chance(0.25)) return r.pick(w.nodes);
    return w.nodes[(slot + offset) % w.nodes.length] as NodeGen;
  };
  const stagger = r.float(15, 60);
  for (let slot = 0; slot < spec.replicas; slot++) {
    const order = spec.workloadKind === 'StatefulSet' ? spec.replicas - 1 - slot : slot;
    if (w.distractorAt !== undefined) {
      const switchAt = w.distractorAt + order * stagger;
      const old = makePod(
        w,
        slot,
        previous,
        nodeFor(slot),
        previous.createdAt + order * stagger,
        switchAt + READY_DELAY + 5,
        'deleted',
        r,
      );
      old.firstLifeStart = old.createdAt + r.float(3, 25);
      pods.push(old);
      pods.push(makePod(w, slot, current, nodeFor(slot + 1), switchAt, Number.POSITIVE_INFINITY, 'none', r));
    } else {
      // Pods start at the rollout, or later when they were rescheduled.
      let createdAt = current.createdAt + order * stagger;
      if (r.chance(0.3)) createdAt = r.float(createdAt, Math.max(createdAt, w.T0 - 2 * HOUR));
      pods.push(makePod(w, slot, current, nodeFor(slot), createdAt, Number.POSITIVE_INFINITY, 'none', r));
    }
  }
  return pods;
}

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

function buildTraffic(w: World, amplitude: number, r: Random): void {
  const R0 = w.tuning.requestRate ?? clamp(r.logNormal(35 * w.spec.replicas, 0.8), 2, 5000);
  const peakHour = r.float(12, 20);
  const noise = arNoise(r, w.n, r.float(0.015, 0.04), r.float(120, 900));
  const ramp = w.tuning.surgeRampSeconds ?? r.float(180, 1500);
  const R = new Float64Array(w.n);
  const cum = new Float64Array(w.n);
  let sum = 0;
  let acc = 0;
  for (let i = 0; i < w.n; i++) {
    const t = w.T0 + i * STEP;
    const hour = (t % DAY) / HOUR;
    let rate = R0 * (1 + amplitude * Math.cos((2 * Math.PI * (hour - peakHour)) / 24));
    if (w.surgeAt !== undefined && w.surgeFactor !== undefined) {
      rate *= 1 + (w.surgeFactor - 1) * smoothstep((t - w.surgeAt) / ramp);
    }
    rate *= 1 + (noise[i] as number);
    if (rate < 0) rate = 0;
    R[i] = rate;
    if (i > 0) acc += ((rate + (R[i - 1] as number)) / 2) * STEP;
    cum[i] = acc;
    sum += rate;
  }
  w.R = R;
  w.cumR = cum;
  w.Rmean = sum / w.n;
}

function makeShares(replicas: number, uneven: boolean, r: Random): number[] {
  const raw: number[] = [];
  for (let i = 0; i < replicas; i++) raw.push(uneven ? r.logNormal(1, 0.4) : r.float(0.97, 1.03));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => x / total);
}

// ---------------------------------------------------------------------------------------------
// Runtime settings (heap flags)
// ---------------------------------------------------------------------------------------------

function javaSize(bytes: number, r: Random): string {
  const mb = Math.round(bytes / MI);
  if (mb % 1024 === 0 && r.chance(0.6)) return `${mb / 1024}${r.pick(['g', 'G'])}`;
  return `${mb}${r.pick(['m', 'm', 'M'])}`;
}

function goSize(bytes: number, r: Random): string {
  const mb = Math.round(bytes / MI);
  if (mb % 1024 === 0 && r.chance(0.7)) return `${mb / 1024}GiB`;
  if (r.chance(0.15)) return String(mb * MI);
  return `${mb}MiB`;
}

function safeRuntime(w: World, r: Random): RuntimeSetup {
  const L = w.L;
  const rt = w.spec.runtime;
  if (rt === 'none' || r.chance(0.25)) return { env: [] };
  if (rt === 'jvm') {
    const envName = r.pick(['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JAVA_TOOL_OPTIONS']);
    if (r.chance(0.3)) {
      const pct = r.pick([50, 60, 65, 70]);
      return {
        env: [{ name: envName, value: `-XX:MaxRAMPercentage=${pct}.0 -XX:+UseG1GC` }],
        heapCeiling: (L * pct) / 100,
      };
    }
    const xmx = roundTo(L * r.float(0.5, 0.72), 32 * MI);
    const xms = roundTo(Math.min(xmx, L * 0.25), 32 * MI);
    return {
      env: [{ name: envName, value: `-Xms${javaSize(xms, r)} -Xmx${javaSize(xmx, r)} -XX:+UseG1GC` }],
      heapCeiling: xmx,
    };
  }
  if (rt === 'node') {
    const mb = Math.round((L * r.float(0.5, 0.72)) / MI);
    return { env: [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${mb}` }], heapCeiling: mb * MI };
  }
  const lim = roundTo(L * r.float(0.7, 0.85), 16 * MI);
  return { env: [{ name: 'GOMEMLIMIT', value: goSize(lim, r) }], heapCeiling: lim };
}

function badRuntime(w: World, r: Random, ceiling: number): RuntimeSetup {
  const rt = w.spec.runtime;
  const variant = w.spec.variant;
  if (rt === 'jvm') {
    const envName = r.pick(['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS']);
    if (variant === 'percentage') {
      const pct = Math.round((ceiling / w.L) * 100);
      const flag = `-XX:MaxRAMPercentage=${pct}.0`;
      return {
        env: [{ name: envName, value: `${flag} -XX:+UseG1GC` }],
        heapCeiling: (w.L * pct) / 100,
        flag,
      };
    }
    const flag = `-Xmx${javaSize(ceiling, r)}`;
    const xms = `-Xms${javaSize(roundTo(Math.min(ceiling, w.L) * 0.25, 32 * MI), r)}`;
    if (variant === 'args') {
      return {
        env: [],
        command: ['java'],
        args: [xms, flag, '-XX:+UseG1GC', '-jar', '/app/app.jar'],
        heapCeiling: ceiling,
        flag,
      };
    }
    return { env: [{ name: envName, value: `${xms} ${flag} -XX:+UseG1GC` }], heapCeiling: ceiling, flag };
  }
  if (rt === 'node') {
    const mb = Math.round(ceiling / MI);
    const flag = `--max-old-space-size=${mb}`;
    if (variant === 'args') {
      return { env: [], command: ['node'], args: [flag, 'dist/server.js'], heapCeiling: mb * MI, flag };
    }
    const value = r.chance(0.4) ? `--enable-source-maps ${flag}` : flag;
    return { env: [{ name: 'NODE_OPTIONS', value }], heapCeiling: mb * MI, flag };
  }
  const value = goSize(ceiling, r);
  const env = [{ name: 'GOMEMLIMIT', value }];
  if (r.chance(0.6)) env.push({ name: 'GOGC', value: 'off' });
  return { env, heapCeiling: ceiling, flag: `GOMEMLIMIT=${value}` };
}

// ---------------------------------------------------------------------------------------------
// Demand models, one builder per cause
// ---------------------------------------------------------------------------------------------

function addSpike(arr: Float64Array, w: World, t: number, height: number, duration: number): void {
  const rise = duration * 0.3;
  const from = Math.max(0, stepOf(w, t));
  const to = Math.min(w.n, stepOf(w, t + duration) + 1);
  for (let i = from; i < to; i++) {
    const dt = w.T0 + i * STEP - t;
    if (dt < 0) continue;
    const shape = dt < rise ? dt / rise : Math.max(0, 1 - (dt - rise) / (duration - rise));
    arr[i] = (arr[i] as number) + height * shape;
  }
}

function baseModel(
  w: World,
  r: Random,
  footprint: number,
  trafficShare: number,
  pod: PodInstance,
): DemandModel {
  const podRate = w.Rmean * pod.share;
  const perReq = podRate > 0 ? (footprint * trafficShare) / podRate : 0;
  return {
    base: footprint * (1 - trafficShare),
    perReq,
    warmStart: w.tuning.warmupStart ?? r.float(0.55, 0.85),
    warmTau: w.tuning.warmupTauSeconds ?? r.float(20, 180),
    noise: arNoise(r, w.n, footprint * (w.tuning.noise ?? r.float(0.004, 0.012)), r.float(20, 240)),
  };
}

function addJvmGc(w: World, r: Random, m: DemandModel): void {
  if (w.spec.runtime === 'jvm' && !m.saw)
    m.saw = { amp: w.L * r.float(0.01, 0.04), period: r.float(30, 300) };
}

function buildLimitTooLow(w: World, r: Random): void {
  const L = w.L;
  const variant = w.spec.variant;
  const level = r.float(0.74, 0.88);
  const sawAmp = variant === 'sawtooth' ? r.float(0.08, 0.18) : 0;
  const sawTop = r.float(0.93, 0.985);
  const sawPeriod = r.float(60, 720);
  const trafficShare = r.float(0, 0.1);
  for (const pod of w.pods) {
    const pr = r.fork(pod.name);
    const footprint = L * (variant === 'sawtooth' ? sawTop - sawAmp : level) * pr.float(0.98, 1.02);
    const m = baseModel(w, pr, footprint, trafficShare, pod);
    if (variant === 'warmup-plateau') {
      m.warmStart = pr.float(0.25, 0.5);
      m.warmTau = pr.float(180, 480);
    }
    if (variant === 'sawtooth') m.saw = { amp: L * sawAmp, period: sawPeriod * pr.float(0.9, 1.1) };
    else addJvmGc(w, pr, m);
    const spikes = new Float64Array(w.n);
    const top = footprint + (m.saw?.amp ?? 0);
    const count = Math.max(1, Math.round((pr.float(4, 24) * w.W) / DAY));
    for (let k = 0; k < count; k++) {
      const t = pr.float(w.T0, w.at);
      const need = w.killAt - top;
      let h =
        variant === 'sawtooth'
          ? need * pr.float(0.5, 1.5) + (m.saw?.amp ?? 0) * pr.float(0, 0.5)
          : need * pr.float(0.45, 1.4);
      h = Math.min(h, L * 1.42 - top);
      if (h > 0) addSpike(spikes, w, t, h, pr.float(20, 300));
    }
    m.spikes = spikes;
    pod.model = m;
    setChronicStart(w, pod, pr.float(0, 6 * HOUR));
  }
}

function setChronicStart(w: World, pod: PodInstance, ageAtStart: number): void {
  const simStart = Math.max(w.T0, pod.createdAt);
  const wanted = simStart - ageAtStart;
  if (wanted > pod.createdAt + 60) {
    pod.firstLifeStart = wanted;
  }
}

function buildMemoryLeak(w: World, r: Random): void {
  const L = w.L;
  const variant = w.spec.variant;
  const level = r.float(0.2, 0.5);
  const p = variant === 'curved' ? (r.chance(0.5) ? r.float(0.65, 0.85) : r.float(1.15, 1.35)) : 1;
  const single = variant === 'slow-single-kill';
  const Tk = single ? r.float(1.3, 1.7) * w.W : r.float(0.06, 0.4) * w.W;
  const trafficShare = r.float(0, 0.15);
  let killer = true;
  const order = r.shuffle(w.pods.map((_, i) => i));
  for (const idx of order) {
    const pod = w.pods[idx] as PodInstance;
    const pr = r.fork(pod.name);
    const footprint = L * level * pr.float(0.97, 1.03);
    const m = baseModel(w, pr, footprint, trafficShare, pod);
    if (r.chance(0.35)) {
      m.warmStart = pr.float(0.3, 0.5);
      m.warmTau = pr.float(120, 900);
    }
    addJvmGc(w, pr, m);
    const room = w.killAt - footprint - (m.saw?.amp ?? 0) * 0.5;
    const tk = Tk * pr.float(0.9, 1.1);
    if (variant === 'traffic-driven') {
      m.leakPerRequest = room / (w.Rmean * pod.share * tk);
    } else {
      m.leak = { g: room / tk ** p, p };
    }
    pod.model = m;
    if (single) {
      const simStart = Math.max(w.T0, pod.createdAt);
      if (killer && pod.endKind === 'none') {
        // The one kill of the window happens between 25 % and 80 % of it.
        const killAt = w.T0 + pr.float(0.25, 0.8) * w.W;
        const age = tk - (killAt - simStart);
        pod.createdAt = Math.max(
          pod.rev.createdAt + 60,
          Math.min(pod.createdAt, simStart - age - pr.float(0, 1) * DAY),
        );
        pod.firstLifeStart = simStart - age;
        killer = false;
      } else {
        const maxAge = Math.max(0, tk - (w.at - simStart) - 0.15 * w.W);
        pod.firstLifeStart = Math.max(pod.createdAt + 10, simStart - pr.float(0, maxAge));
      }
    } else {
      setChronicStart(w, pod, pr.float(0, tk * 0.95));
    }
  }
}

function buildTrafficSurge(w: World, r: Random): void {
  const L = w.L;
  const m = w.surgeFactor as number;
  const tS = w.surgeAt as number;
  const proportional = w.spec.variant === 'proportional';
  let p = w.tuning.preSurgeFraction ?? r.float(0.5, 0.8);
  let beta = w.tuning.baseShare ?? (proportional ? r.float(0.2, 0.5) : r.float(0.55, 0.75));
  const needQ = 1.12 * (1 + (w.killAt / L - 1));
  // Post-surge demand q = p(beta + m(1 - beta)) must clear the limit.
  const betaMax = (m - needQ / p) / (m - 1);
  if (beta > betaMax) beta = Math.max(0.1, betaMax);
  if (p * (beta + m * (1 - beta)) < needQ) p = Math.min(0.82, needQ / (beta + m * (1 - beta)));
  if (p >= 0.78) w.alsoAcceptable = ['limit_too_low'];
  const maxShare = Math.max(...w.shares);
  let preMax = 0;
  const sTo = Math.max(0, Math.min(w.n, stepOf(w, tS)));
  for (let i = 0; i < sTo; i++) preMax = Math.max(preMax, w.R[i] as number);
  if (preMax === 0) preMax = w.R[0] as number;
  const perReq = ((1 - beta) * p * L) / (preMax * maxShare);
  const base = beta * p * L;
  for (const pod of w.pods) {
    const pr = r.fork(pod.name);
    const model = baseModel(w, pr, p * L * 0.95, 0, pod);
    model.base = base * pr.float(0.98, 1.02);
    model.perReq = perReq;
    model.warmStart = w.tuning.warmupStart ?? pr.float(0.35, 0.7);
    model.warmTau = w.tuning.warmupTauSeconds ?? pr.float(20, 240);
    addJvmGc(w, pr, model);
    pod.model = model;
  }
}

function buildHeapMisconfigured(w: World, r: Random): void {
  const L = w.L;
  const rt = w.spec.runtime;
  let nonHeap =
    L * (rt === 'jvm' ? r.float(0.12, 0.3) : rt === 'node' ? r.float(0.06, 0.15) : r.float(0.03, 0.08));
  let ceiling: number;
  if (rt === 'jvm') {
    if (w.spec.variant === 'percentage') ceiling = (L * r.pick([90, 95, 100])) / 100;
    else
      ceiling = r.chance(0.7)
        ? ceilTo(L * r.float(0.9, 1.0), 32 * MI)
        : ceilTo(L * r.float(1.0, 1.6), 64 * MI);
  } else if (rt === 'node') {
    ceiling = ceilTo(L * r.float(1.0, 2.0), 64 * MI);
  } else {
    ceiling = ceilTo(L * r.float(1.0, 1.5), 64 * MI);
  }
  w.runtimeEnv = badRuntime(w, r, ceiling);
  ceiling = w.runtimeEnv.heapCeiling ?? ceiling;
  if (nonHeap + ceiling < w.killAt * 1.08) nonHeap = w.killAt * 1.08 - ceiling;
  const h0 = r.float(0.1, 0.3);
  const youngAmp = L * r.float(0.02, 0.06);
  for (const pod of w.pods) {
    const pr = r.fork(pod.name);
    const m = baseModel(w, pr, nonHeap, pr.float(0, 0.1), pod);
    // Time to reach the limit: the climb to the heap ceiling crosses it.
    const tc = w.W * pr.float(0.03, 0.25);
    const y = clamp(((w.killAt - nonHeap - youngAmp * 0.5) / ceiling - h0) / (1 - h0), 0.05, 0.95);
    const tau = -tc / Math.log(1 - y);
    m.heap = { ceiling, start: h0, tau, youngAmp, youngPeriod: pr.float(20, 180) };
    pod.model = m;
    setChronicStart(w, pod, pr.float(0, tc));
  }
}

function buildQuiet(w: World, r: Random, lo: number, hi: number): void {
  const level = r.float(lo, hi);
  for (const pod of w.pods) {
    const pr = r.fork(pod.name);
    const m = baseModel(w, pr, w.L * level * pr.float(0.97, 1.03), pr.float(0, 0.35), pod);
    if (pr.chance(0.4)) {
      m.warmStart = pr.float(0.3, 0.5);
      m.warmTau = pr.float(120, 600);
    }
    addJvmGc(w, pr, m);
    pod.model = m;
  }
}

function buildNoOom(w: World, r: Random): void {
  buildQuiet(w, r, 0.2, 0.55);
  const variant = w.spec.variant;
  if (variant === 'no-restarts') return;
  const alive = w.pods.filter((p) => p.endKind === 'none');
  if (variant === 'liveness') {
    const count = r.int(1, 3 + w.spec.replicas);
    for (let k = 0; k < count; k++) {
      const pod = r.pick(alive);
      pod.forced.push({ t: r.float(w.T0 + 0.05 * w.W, w.at - 120), kind: 'liveness' });
    }
  } else if (variant === 'completed') {
    for (const pod of alive) {
      const period = r.float(1, 5) * HOUR;
      for (let t = w.T0 + r.float(0, period); t < w.at - 60; t += period * r.float(0.8, 1.2)) {
        pod.forced.push({ t, kind: 'completed' });
      }
    }
  } else {
    // A dependency went away: the app exits with an error on every start since then.
    const since = w.at - r.float(0.03, 0.15) * w.W;
    const victims = r.chance(0.5) ? alive : [r.pick(alive)];
    for (const pod of victims) pod.errorSince = since + r.float(0, 120);
  }
  for (const pod of w.pods) pod.forced.sort((a, b) => a.t - b.t);
}

function buildNodePressure(w: World, r: Random): void {
  buildQuiet(w, r, 0.3, 0.62);
  const variant = w.spec.variant;
  const current = w.pods.filter((p) => p.endKind === 'none');
  const first = r.pick(current);
  const node = first.node;
  w.pressureNode = node;
  node.thresholdBytes = r.pick([100 * MI, 100 * MI, 200 * MI, 500 * MI]);
  const others = w.nodes.filter((n) => n !== node);
  const healthy = others.length > 0 ? others : w.nodes;
  const onNode = (t: number) => current.filter((p) => p.node === node && p.createdAt < t && p.endAt > t);
  const oomEpisodes = variant === 'eviction' ? 0 : r.int(1, 3);
  const evict = variant !== 'system-oom';
  const lastAt = w.at - r.float(0.01, 0.2) * w.W;
  const times: number[] = [];
  const span = lastAt - (w.T0 + 0.15 * w.W);
  for (let k = 0; k < oomEpisodes; k++)
    times.push(w.T0 + 0.15 * w.W + span * ((k + r.float(0.2, 0.8)) / (oomEpisodes + (evict ? 1 : 0))));
  if (!evict && times.length > 0) times[times.length - 1] = lastAt;
  times.sort((a, b) => a - b);
  const neighbourProcs = ['python3', 'java', 'ffmpeg', 'node', 'postgres', 'spark-executor'];
  for (const tK of times) {
    node.episodes.push({
      growStart: tK - r.float(2, 20) * 60,
      pressStart: tK - r.float(5, 50),
      release: tK + r.float(5, 60),
      releaseDur: r.float(30, 300),
      floor: r.float(2, 40) * MI,
      persist: false,
    });
    const victims = onNode(tK);
    const victim = victims.length > 0 ? r.pick(victims) : undefined;
    if (victim) victim.forced.push({ t: tK, kind: 'system-oom' });
    if (!victim || r.chance(0.5)) {
      const t2 = tK + r.float(1, 30);
      node.oomKillTimes.push(t2);
      node.systemOoms.push({ at: t2, process: r.pick(neighbourProcs), pid: r.int(3000, 90000) });
    }
  }
  if (evict) {
    const pressStart = lastAt;
    const tE = pressStart + r.float(10, 60);
    const persist = r.chance(0.4);
    const victims = onNode(tE);
    const chosen = victims.length > 1 && r.chance(0.5) ? victims : victims.slice(0, 1);
    let t = tE;
    for (const victim of chosen) {
      evictPod(w, victim, t, r, healthy);
      t += r.float(15, 120);
    }
    node.episodes.push({
      growStart: pressStart - r.float(10, 90) * 60,
      pressStart,
      release: t + r.float(30, 300),
      releaseDur: r.float(60, 600),
      floor: node.thresholdBytes * r.float(0.35, 0.85),
      persist,
    });
  }
  for (const pod of w.pods) pod.forced.sort((a, b) => a.t - b.t);
}

function evictPod(w: World, pod: PodInstance, at: number, r: Random, healthy: NodeGen[]): void {
  const t = Math.round(at);
  const sts = w.spec.workloadKind === 'StatefulSet';
  pod.endAt = t;
  pod.endKind = sts ? 'deleted' : 'evicted';
  w.evictions.push({ pod: pod.name, node: pod.node.name, at: t });
  const node = r.pick(healthy);
  const createdAt = t + (sts ? r.float(3, 12) : r.float(1, 3));
  const replacement = makePod(w, pod.slot, pod.rev, node, createdAt, Number.POSITIVE_INFINITY, 'none', r);
  const pr = r.fork(replacement.name);
  const m = pod.model;
  replacement.model = {
    ...m,
    noise: arNoise(pr, w.n, m.base * 0.008 + MI, pr.float(20, 240)),
    ...(m.saw ? { saw: { ...m.saw } } : {}),
    ...(m.leak ? { leak: { ...m.leak } } : {}),
    ...(m.heap ? { heap: { ...m.heap } } : {}),
  };
  w.pods.push(replacement);
}

// ---------------------------------------------------------------------------------------------
// Simulation of one container
// ---------------------------------------------------------------------------------------------

function demandAt(w: World, m: DemandModel, share: number, i: number, age: number, lifeCum0: number): number {
  let warm = 1;
  if (age < m.warmTau * 12) warm = m.warmStart + (1 - m.warmStart) * (1 - Math.exp(-age / m.warmTau));
  let d = warm * (m.base + m.perReq * share * (w.R[i] as number)) + (m.noise[i] as number);
  if (m.spikes) d += m.spikes[i] as number;
  if (m.saw) d += warm * m.saw.amp * frac(age / m.saw.period);
  if (m.leak) d += m.leak.g * age ** m.leak.p;
  if (m.leakPerRequest !== undefined) d += m.leakPerRequest * share * ((w.cumR[i] as number) - lifeCum0);
  if (m.heap) {
    const h = m.heap;
    d +=
      h.ceiling * (h.start + (1 - h.start) * (1 - Math.exp(-age / h.tau))) +
      h.youngAmp * frac(age / h.youngPeriod);
  }
  return Math.max(d, 4 * MI);
}

function cumAt(w: World, t: number): number {
  if (t <= w.T0) return -(w.T0 - t) * w.Rmean;
  const i = Math.min(w.n - 1, stepOf(w, t));
  return w.cumR[i] as number;
}

function podSteps(w: World, pod: PodInstance): [number, number] {
  const from = Math.max(0, Math.ceil((pod.createdAt - w.T0) / STEP));
  const to = pod.endAt >= w.at ? w.n : Math.max(from, Math.min(w.n, Math.ceil((pod.endAt - w.T0) / STEP)));
  return [from, to];
}

function simulatePod(w: World, pod: PodInstance): SimResult {
  const r = Random.derive(w.spec.seed, `sim:${pod.name}:${pod.createdAt}`);
  const [from, to] = podSteps(w, pod);
  const n = w.n;
  const running = new Uint8Array(n);
  const ready = new Uint8Array(n);
  const ws = new Float64Array(n);
  const terms: Termination[] = [];
  const lifeStarts: number[] = [];
  const m = pod.model;
  const L = w.L;
  const capLevel = L * 0.9975;
  let waiting = pod.firstLifeStart > w.T0 + from * STEP;
  let lifeStart = pod.firstLifeStart;
  let restartAt = pod.firstLifeStart;
  let lifeCum0 = cumAt(w, lifeStart);
  let consecutive = 0;
  let delay = 0;
  let fi = 0;
  const forced = pod.forced;
  let peak = 0;
  const uStart = pod.firstLifeStart;
  const uCum0 = lifeCum0;
  if (!waiting) lifeStarts.push(lifeStart);
  const errorSince = pod.errorSince ?? Number.POSITIVE_INFINITY;

  const terminate = (t: number, reason: string, exitCode: number) => {
    terms.push({ startedAt: Math.round(lifeStart), finishedAt: Math.round(t), reason, exitCode });
    if (t - lifeStart >= 600) consecutive = 0;
    consecutive++;
    delay = Math.min(10 * 2 ** (consecutive - 1), 300);
    restartAt = t + delay + r.float(0.5, 3);
    waiting = true;
  };

  for (let i = from; i < to; i++) {
    const t = w.T0 + i * STEP;
    if (w.trackPeak && t >= uStart) {
      const du = demandAt(w, m, pod.share, i, t - uStart, uCum0);
      if (du > peak) peak = du;
    }
    if (waiting) {
      if (t < restartAt) continue;
      waiting = false;
      lifeStart = restartAt;
      lifeCum0 = cumAt(w, lifeStart);
      lifeStarts.push(lifeStart);
    }
    const age = t - lifeStart;
    const d = demandAt(w, m, pod.share, i, age, lifeCum0);
    running[i] = 1;
    if (age >= READY_DELAY) ready[i] = 1;
    if (d > peak && w.trackPeak) peak = d;
    while (fi < forced.length && (forced[fi] as ForcedEvent).t < lifeStart) fi++;
    const f = forced[fi];
    if (t >= errorSince && t - Math.max(lifeStart, errorSince) >= r.float(4, 15)) {
      ws[i] = Math.min(d, capLevel);
      terminate(t, 'Error', 1);
      continue;
    }
    if (f && f.t <= t) {
      fi++;
      ws[i] = Math.min(d, capLevel);
      if (f.kind === 'liveness') terminate(t, 'Error', 143);
      else if (f.kind === 'completed') terminate(t, 'Completed', 0);
      else terminate(t, 'OOMKilled', 137);
      continue;
    }
    if (d >= w.killAt) {
      ws[i] = L - L * r.float(0.0004, 0.0025);
      terminate(t, 'OOMKilled', 137);
      continue;
    }
    ws[i] = d >= capLevel ? L - L * r.float(0.0004, 0.0025) : d;
  }
  let final: SimResult['final'];
  if (!waiting) final = { kind: 'running', startedAt: lifeStart };
  else if (terms.length > 0 || pod.priorRestarts > 0) final = { kind: 'waiting', delay };
  else final = { kind: 'pending' };
  return {
    from,
    to,
    running,
    ready,
    ws,
    terms,
    lifeStarts,
    final,
    peakDemand: peak,
    lastLifeStart: lifeStart,
    lastDelay: delay,
  };
}

function simulateSidecar(w: World, pod: PodInstance): Float64Array {
  const sc = pod.sidecar;
  const out = new Float64Array(w.n);
  if (!sc || !pod.sim) return out;
  const { from, to } = pod.sim;
  const start = pod.createdAt + 2;
  for (let i = from; i < to; i++) {
    const t = w.T0 + i * STEP;
    if (t < start) continue;
    out[i] = Math.max(
      20 * MI,
      sc.base + sc.perReq * pod.share * (w.R[i] as number) + (sc.noise[i] as number),
    );
  }
  return out;
}

function terminationsInWindow(w: World): KillRecord[] {
  const out: KillRecord[] = [];
  for (const pod of w.pods) {
    const sim = pod.sim;
    if (!sim) continue;
    for (const t of sim.terms) {
      if (t.finishedAt <= w.T0 || t.finishedAt > w.at) continue;
      const i = clamp(stepOf(w, t.finishedAt), 0, w.n - 1);
      out.push({
        pod: pod.name,
        container: w.spec.container,
        node: pod.node.name,
        at: t.finishedAt,
        reason: t.reason,
        exitCode: t.exitCode,
        workingSetBytes: Math.round(sim.ws[i] as number),
      });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.pod.localeCompare(b.pod));
}

// ---------------------------------------------------------------------------------------------
// Node memory
// ---------------------------------------------------------------------------------------------

function buildNodeMemory(w: World): void {
  for (const node of w.nodes) {
    const r = Random.derive(w.spec.seed, `node-mem:${node.name}`);
    const ours = new Float64Array(w.n);
    for (const pod of w.pods) {
      if (pod.node !== node || !pod.sim) continue;
      const { from, to, ws, running } = pod.sim;
      for (let i = from; i < to; i++) {
        if (running[i]) ours[i] = (ours[i] as number) + (ws[i] as number);
        if (pod.sidecarWs) ours[i] = (ours[i] as number) + (pod.sidecarWs[i] as number);
      }
    }
    let maxOurs = 0;
    for (let i = 0; i < w.n; i++) if ((ours[i] as number) > maxOurs) maxOurs = ours[i] as number;
    const othersMax = Math.max(0, node.memTotal - node.reserved - maxOurs - 0.18 * node.memTotal);
    const othersBase = Math.min(node.othersFrac * node.memTotal, othersMax * 0.85);
    const walk = arNoise(r, w.n, othersBase * 0.05, r.float(1800, 7200));
    const jitter = arNoise(r, w.n, 6 * MI, 60);
    const amp = r.float(0, 0.08);
    const phase = r.float(0, 24);
    const available = new Float64Array(w.n);
    for (let i = 0; i < w.n; i++) {
      const t = w.T0 + i * STEP;
      const hour = (t % DAY) / HOUR;
      let others =
        othersBase * (1 + amp * Math.sin((2 * Math.PI * (hour - phase)) / 24)) + (walk[i] as number);
      others = clamp(others, 0, othersMax);
      let avail = node.memTotal - node.reserved - others - (ours[i] as number) + (jitter[i] as number);
      let e = 0;
      let floor = 0;
      for (const ep of node.episodes) {
        let v = 0;
        if (t >= ep.growStart && t < ep.pressStart)
          v = smoothstep((t - ep.growStart) / (ep.pressStart - ep.growStart));
        else if (t >= ep.pressStart && (t < ep.release || ep.persist)) v = 1;
        else if (t >= ep.release && t < ep.release + ep.releaseDur) v = 1 - (t - ep.release) / ep.releaseDur;
        if (v > e) {
          e = v;
          floor = ep.floor * (ep.persist && t >= ep.release ? 1.2 + 0.5 * Math.abs(Math.sin(t / 97)) : 1);
        }
      }
      if (e > 0) avail = avail * (1 - e) + (floor + Math.abs(jitter[i] as number) * 0.5) * e;
      available[i] = Math.max(0, avail);
    }
    node.available = available;
    // The kubelet reports MemoryPressure while available memory is under the eviction
    // threshold, and for the pressure-transition period (5 min) after.
    const pressure = new Uint8Array(w.n);
    const hold = Math.round(300 / STEP);
    let lastBelow = -Infinity;
    for (let i = 0; i < w.n; i++) {
      if ((available[i] as number) < node.thresholdBytes) lastBelow = i;
      if (i - lastBelow <= hold) pressure[i] = 1;
    }
    node.pressure = pressure;
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

interface ScrapeTarget {
  times: number[];
}

class Scraper {
  private readonly targets = new Map<string, ScrapeTarget>();
  private readonly w: World;
  private readonly r: Random;

  constructor(w: World) {
    this.w = w;
    this.r = Random.derive(w.spec.seed, 'scrape');
  }

  /** Sample times of a target inside [from, to], gaps removed. */
  times(id: string, from: number, to: number): number[] {
    let target = this.targets.get(id);
    if (!target) {
      target = this.makeTarget(id);
      this.targets.set(id, target);
    }
    const all = target.times;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((all[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < all.length; i++) {
      const t = all[i] as number;
      if (t > to) break;
      out.push(t);
    }
    return out;
  }

  private makeTarget(id: string): ScrapeTarget {
    const w = this.w;
    const r = this.r.fork(id);
    const interval = w.spec.intervalSeconds;
    const phase = w.spec.scrapeOffsets ? r.int(0, interval - 1) : 0;
    const gaps: Array<[number, number]> = [];
    if (w.spec.gaps && r.chance(0.55)) {
      const count = r.int(1, 3);
      for (let k = 0; k < count; k++) {
        const start = r.float(w.T0, w.at - 600);
        gaps.push([start, start + r.float(60, 20 * 60)]);
      }
    }
    const times: number[] = [];
    for (let t = w.T0 + phase; t <= w.at; t += interval) {
      if (gaps.some(([a, b]) => t >= a && t < b)) continue;
      times.push(t);
    }
    return { times };
  }
}

class FamilySet {
  private readonly families = new Map<string, MetricFamily>();
  private readonly byKey = new Map<string, MetricSeries>();

  /** The series of `name` with exactly these labels; the same object for the same labels. */
  series(name: string, type: 'gauge' | 'counter', labels: Record<string, string>): MetricSeries {
    let fam = this.families.get(name);
    if (!fam) {
      fam = { name, type, series: [] };
      this.families.set(name, fam);
    }
    const key = `${name}${labelKey(labels)}`;
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const s: MetricSeries = { labels, t: [], v: [] };
    this.byKey.set(key, s);
    fam.series.push(s);
    return s;
  }

  list(): MetricFamily[] {
    const out = [...this.families.values()];
    for (const f of out) {
      f.series = f.series.filter((s) => s.t.length > 0);
      for (const s of f.series) sortSamples(s);
      f.series.sort((a, b) => {
        const ka = labelKey(a.labels);
        const kb = labelKey(b.labels);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    }
    return out
      .filter((f) => f.series.length > 0)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Samples of two pod incarnations with the same labels (a StatefulSet pod) in time order. */
function sortSamples(s: MetricSeries): void {
  let sorted = true;
  for (let i = 1; i < s.t.length; i++) {
    if ((s.t[i] as number) <= (s.t[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const idx = s.t.map((_, i) => i).sort((a, b) => (s.t[a] as number) - (s.t[b] as number));
  const t: number[] = [];
  const v: number[] = [];
  for (const i of idx) {
    if (t.length > 0 && t[t.length - 1] === s.t[i]) continue;
    t.push(s.t[i] as number);
    v.push(s.v[i] as number);
  }
  s.t = t;
  s.v = v;
}

function labelKey(labels: Record<string, string>): string {
  return renderLabels(labels);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function renderLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels)
    .filter((k) => labels[k] !== '')
    .sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`;
}

function page(bytes: number): number {
  return Math.round(bytes / 4096) * 4096;
}

function lastTermAt(pod: PodInstance, t: number): Termination | undefined {
  const terms = pod.sim?.terms ?? [];
  let found: Termination | undefined;
  for (const term of terms) {
    if (term.finishedAt <= t) found = term;
    else break;
  }
  return found ?? (pod.priorLast && pod.priorLast.finishedAt <= t ? pod.priorLast : undefined);
}

function restartsAt(pod: PodInstance, t: number): number {
  let count = pod.priorRestarts;
  for (const term of pod.sim?.terms ?? []) {
    if (term.finishedAt <= t) count++;
    else break;
  }
  return count;
}

/** KSM keeps exporting a pod while its object exists: until deletion, or until `at` for evicted pods. */
function objectEnd(w: World, pod: PodInstance): number {
  return pod.endKind === 'deleted' ? pod.endAt : w.at;
}

function buildMetrics(w: World): MetricFamily[] {
  const fs = new FamilySet();
  const sc = new Scraper(w);
  const spec = w.spec;
  const ns = spec.namespace;
  const L = w.L;
  const sidecarLimit = w.spec.sidecar ? sidecarLimitBytes(w) : 0;

  for (const pod of w.pods) {
    const sim = pod.sim as SimResult;
    const node = pod.node.name;
    const objFrom = Math.max(w.T0, pod.createdAt);
    const objTo = Math.min(w.at, objectEnd(w, pod));
    const runTo = Math.min(w.at, pod.endAt);
    // cAdvisor: only while the container runs.
    const cadTimes = sc.times(`kubelet:${node}`, objFrom, runTo);
    const cadLabels = (container: string, image: string) => ({
      container,
      image,
      job: 'kubelet',
      metrics_path: '/metrics/cadvisor',
      namespace: ns,
      node,
      pod: pod.name,
    });
    const wsS = fs.series(
      'container_memory_working_set_bytes',
      'gauge',
      cadLabels(spec.container, pod.rev.image),
    );
    const limS = fs.series(
      'container_spec_memory_limit_bytes',
      'gauge',
      cadLabels(spec.container, pod.rev.image),
    );
    for (const t of cadTimes) {
      const i = stepOf(w, t);
      if (i < sim.from || i >= sim.to || !sim.running[i]) continue;
      wsS.t.push(t);
      wsS.v.push(Math.min(page(sim.ws[i] as number), L - 4096));
      limS.t.push(t);
      limS.v.push(L);
    }
    if (pod.sidecarWs) {
      const scWs = fs.series(
        'container_memory_working_set_bytes',
        'gauge',
        cadLabels('istio-proxy', SIDECAR_IMAGE),
      );
      const scLim = fs.series(
        'container_spec_memory_limit_bytes',
        'gauge',
        cadLabels('istio-proxy', SIDECAR_IMAGE),
      );
      for (const t of cadTimes) {
        const i = stepOf(w, t);
        const v = pod.sidecarWs[i] as number;
        if (!(v > 0)) continue;
        scWs.t.push(t);
        scWs.v.push(page(v));
        scLim.t.push(t);
        scLim.v.push(sidecarLimit);
      }
    }
    // kube-state-metrics: while the Pod object exists.
    const ksmTimes = sc.times('kube-state-metrics', objFrom, objTo);
    const ksmLabels = (container: string) => ({
      container,
      job: 'kube-state-metrics',
      namespace: ns,
      node,
      pod: pod.name,
    });
    const res = (name: string, container: string, value: number) => {
      const s = fs.series(name, 'gauge', { ...ksmLabels(container), resource: 'memory', unit: 'byte' });
      for (const t of ksmTimes) {
        s.t.push(t);
        s.v.push(value);
      }
    };
    res('kube_pod_container_resource_limits', spec.container, L);
    res('kube_pod_container_resource_requests', spec.container, w.request);
    const restarts = fs.series(
      'kube_pod_container_status_restarts_total',
      'counter',
      ksmLabels(spec.container),
    );
    const exitS = fs.series(
      'kube_pod_container_status_last_terminated_exitcode',
      'gauge',
      ksmLabels(spec.container),
    );
    const reasonSeries = new Map<string, MetricSeries>();
    for (const t of ksmTimes) {
      restarts.t.push(t);
      restarts.v.push(restartsAt(pod, t));
      const last = lastTermAt(pod, t);
      if (!last) continue;
      exitS.t.push(t);
      exitS.v.push(last.exitCode);
      let rs = reasonSeries.get(last.reason);
      if (!rs) {
        rs = fs.series('kube_pod_container_status_last_terminated_reason', 'gauge', {
          ...ksmLabels(spec.container),
          reason: last.reason,
        });
        reasonSeries.set(last.reason, rs);
      }
      rs.t.push(t);
      rs.v.push(1);
    }
    if (spec.sidecar) {
      if (sidecarLimit > 0) res('kube_pod_container_resource_limits', 'istio-proxy', sidecarLimit);
      res('kube_pod_container_resource_requests', 'istio-proxy', 128 * MI);
      const scR = fs.series('kube_pod_container_status_restarts_total', 'counter', ksmLabels('istio-proxy'));
      for (const t of ksmTimes) {
        scR.t.push(t);
        scR.v.push(0);
      }
    }
  }

  for (const node of w.nodes) {
    const neTimes = sc.times(`node-exporter:${node.name}`, w.T0, w.at);
    const neLabels = { instance: `${node.name}:9100`, job: 'node-exporter', node: node.name };
    const total = fs.series('node_memory_MemTotal_bytes', 'gauge', neLabels);
    const avail = fs.series('node_memory_MemAvailable_bytes', 'gauge', neLabels);
    const ooms = fs.series('node_vmstat_oom_kill', 'counter', neLabels);
    const killTimes = node.oomKillTimes.slice().sort((a, b) => a - b);
    const r = Random.derive(w.spec.seed, `oom-base:${node.name}`);
    const base = r.int(0, 120);
    let k = 0;
    for (const t of neTimes) {
      const i = stepOf(w, t);
      total.t.push(t);
      total.v.push(node.memTotal);
      avail.t.push(t);
      avail.v.push(page(node.available?.[i] ?? node.memTotal / 2));
      while (k < killTimes.length && (killTimes[k] as number) <= t) k++;
      ooms.t.push(t);
      ooms.v.push(base + k);
    }
    const ksmTimes = sc.times('kube-state-metrics', w.T0, w.at);
    const cl = { condition: 'MemoryPressure', job: 'kube-state-metrics', node: node.name };
    const yes = fs.series('kube_node_status_condition', 'gauge', { ...cl, status: 'true' });
    const no = fs.series('kube_node_status_condition', 'gauge', { ...cl, status: 'false' });
    for (const t of ksmTimes) {
      const p = node.pressure?.[stepOf(w, t)] ?? 0;
      yes.t.push(t);
      yes.v.push(p);
      no.t.push(t);
      no.v.push(1 - p);
    }
  }

  buildTrafficMetrics(w, fs, sc);
  return fs.list();
}

const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.24.2';

function sidecarLimitBytes(w: World): number {
  const r = Random.derive(w.spec.seed, 'sidecar-limit');
  return r.pick([GI, GI, 512 * MI, 0]);
}

interface Split {
  labels: Record<string, string>;
  frac: number;
}

function normaliseSplits(splits: Split[]): Split[] {
  const total = splits.reduce((a, s) => a + s.frac, 0);
  return splits.map((s) => ({ ...s, frac: s.frac / total }));
}

function buildTrafficMetrics(w: World, fs: FamilySet, sc: Scraper): void {
  const family = w.spec.trafficFamily;
  if (family === 'none') return;
  const r = Random.derive(w.spec.seed, `traffic-labels:${family}`);
  const ns = w.spec.namespace;
  const cumAtT = (t: number) => w.cumR[clamp(stepOf(w, t), 0, w.n - 1)] as number;

  if (family === 'http_requests_total' || family === 'http_server_requests_seconds_count') {
    const spring = family === 'http_server_requests_seconds_count';
    const serviceMonitor = r.chance(0.5);
    const port = r.pick(['8080', '8080', '9090', '3000']);
    const splits: Split[] = [];
    if (spring) {
      const uris = r
        .shuffle([
          '/api/v1/orders',
          '/api/v1/items/{id}',
          '/api/v1/search',
          '/actuator/health',
          '/api/v1/users/{id}',
        ])
        .slice(0, r.int(2, 4));
      for (const uri of uris) {
        splits.push({
          labels: {
            exception: 'None',
            method: uri.includes('search') ? 'POST' : 'GET',
            outcome: 'SUCCESS',
            status: '200',
            uri,
          },
          frac: r.float(0.2, 1),
        });
      }
      splits.push({
        labels: {
          exception: 'None',
          method: 'GET',
          outcome: 'CLIENT_ERROR',
          status: '404',
          uri: 'NOT_FOUND',
        },
        frac: 0.01,
      });
    } else {
      splits.push({ labels: { code: '200', method: 'GET' }, frac: r.float(0.5, 0.8) });
      if (r.chance(0.7)) splits.push({ labels: { code: '200', method: 'POST' }, frac: r.float(0.1, 0.4) });
      if (r.chance(0.5)) splits.push({ labels: { code: '500', method: 'GET' }, frac: r.float(0.002, 0.02) });
      if (r.chance(0.4)) splits.push({ labels: { code: '404', method: 'GET' }, frac: r.float(0.005, 0.03) });
    }
    const norm = normaliseSplits(splits);
    for (const pod of w.pods) {
      const sim = pod.sim as SimResult;
      const objFrom = Math.max(w.T0, pod.createdAt);
      const runTo = Math.min(w.at, pod.endAt);
      const times = sc.times(`app:${pod.name}:${pod.createdAt}`, objFrom, runTo);
      const common: Record<string, string> = {
        job: serviceMonitor ? w.spec.service : `${ns}/${w.spec.workload}`,
        namespace: ns,
        pod: pod.name,
        instance: `${pod.ip}:${port}`,
      };
      if (serviceMonitor) {
        common.service = w.spec.service;
        common.endpoint = 'http-metrics';
        common.container = w.spec.container;
      }
      if (spring) common.application = w.spec.workload;
      const pr = r.fork(pod.name);
      for (const split of norm) {
        const s = fs.series(family, 'counter', { ...common, ...split.labels });
        const offset = w.spec.appCounterResets ? 0 : Math.floor(pr.float(1e4, 5e6) * split.frac);
        for (const t of times) {
          const i = stepOf(w, t);
          let value: number;
          if (w.spec.appCounterResets) {
            if (i < sim.from || i >= sim.to || !sim.running[i]) continue;
            const life = lifeStartBefore(sim, t);
            value = (cumAtT(t) - cumAt(w, life)) * pod.share * split.frac;
          } else {
            value = offset + (cumAtT(t) - cumAt(w, pod.createdAt)) * pod.share * split.frac;
          }
          s.t.push(t);
          s.v.push(Math.max(0, Math.floor(value)));
        }
      }
    }
    return;
  }

  if (family === 'istio_requests_total') {
    const sources = r
      .shuffle([
        ['istio-ingressgateway', 'istio-system'],
        ['frontend', ns],
        ['api-gateway', ns],
        ['web', 'web'],
        ['mobile-bff', 'edge'],
      ])
      .slice(0, r.int(1, 3));
    const splits: Split[] = [];
    for (const [src, srcNs] of sources) {
      const weight = r.float(0.2, 1);
      splits.push({
        labels: {
          source_workload: src as string,
          source_workload_namespace: srcNs as string,
          source_app: src as string,
          source_canonical_service: src as string,
          source_principal: `spiffe://cluster.local/ns/${srcNs}/sa/${src}`,
          response_code: '200',
          response_flags: '-',
        },
        frac: weight,
      });
      if (r.chance(0.4))
        splits.push({
          labels: {
            source_workload: src as string,
            source_workload_namespace: srcNs as string,
            source_app: src as string,
            source_canonical_service: src as string,
            source_principal: `spiffe://cluster.local/ns/${srcNs}/sa/${src}`,
            response_code: '503',
            response_flags: 'UF',
          },
          frac: weight * 0.004,
        });
    }
    const common = {
      connection_security_policy: 'mutual_tls',
      destination_app: w.spec.workload,
      destination_canonical_revision: 'latest',
      destination_canonical_service: w.spec.workload,
      destination_principal: `spiffe://cluster.local/ns/${ns}/sa/${w.spec.workload}`,
      destination_service: `${w.spec.service}.${ns}.svc.cluster.local`,
      destination_service_name: w.spec.service,
      destination_service_namespace: ns,
      destination_version: 'unknown',
      destination_workload: w.spec.workload,
      destination_workload_namespace: ns,
      reporter: 'destination',
      request_protocol: 'http',
      source_canonical_revision: 'latest',
      source_version: 'unknown',
      job: 'istio-mesh',
    };
    const times = sc.times('istio', w.T0, w.at);
    for (const split of normaliseSplits(splits)) {
      const s = fs.series('istio_requests_total', 'counter', { ...common, ...split.labels });
      const offset = Math.floor(r.float(1e5, 5e7) * split.frac);
      for (const t of times) {
        s.t.push(t);
        s.v.push(offset + Math.floor(cumAtT(t) * split.frac));
      }
    }
    return;
  }

  // nginx ingress: per Service, one series per controller pod and status.
  const controllers = r.int(1, 3);
  const ctrlHash = k8sHash(r);
  const host = `${w.spec.service}.${r.pick(['example.com', 'example.org', 'internal.example.net'])}`;
  const ingress = r.chance(0.6) ? w.spec.service : `${w.spec.service}-ingress`;
  const splits: Split[] = [];
  for (let c = 0; c < controllers; c++) {
    const ctrlPod = `ingress-nginx-controller-${ctrlHash}-${r.chars(5, K8S_ALPHABET)}`;
    const base = {
      controller_class: 'k8s.io/ingress-nginx',
      controller_namespace: 'ingress-nginx',
      controller_pod: ctrlPod,
      exported_namespace: ns,
      host,
      ingress,
      job: 'ingress-nginx-controller-metrics',
      namespace: 'ingress-nginx',
      path: '/',
      pod: ctrlPod,
      service: w.spec.service,
    };
    const weight = r.float(0.8, 1.2);
    splits.push({ labels: { ...base, method: 'GET', status: '200' }, frac: weight * 0.8 });
    splits.push({ labels: { ...base, method: 'POST', status: '200' }, frac: weight * 0.18 });
    if (r.chance(0.5))
      splits.push({ labels: { ...base, method: 'GET', status: '499' }, frac: weight * 0.005 });
    if (r.chance(0.5))
      splits.push({ labels: { ...base, method: 'GET', status: '502' }, frac: weight * 0.002 });
  }
  const times = sc.times('ingress-nginx', w.T0, w.at);
  for (const split of normaliseSplits(splits)) {
    const s = fs.series('nginx_ingress_controller_requests', 'counter', split.labels);
    const offset = Math.floor(r.float(1e4, 1e7) * split.frac);
    for (const t of times) {
      s.t.push(t);
      s.v.push(offset + Math.floor(cumAtT(t) * split.frac));
    }
  }
}

function lifeStartBefore(sim: SimResult, t: number): number {
  let found = sim.lifeStarts[0] ?? t;
  for (const s of sim.lifeStarts) {
    if (s <= t) found = s;
    else break;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects
// ---------------------------------------------------------------------------------------------

interface EventSpec {
  involved: Record<string, unknown>;
  namespace: string;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  host: string;
  times: number[];
}

function buildEvents(w: World, specs: EventSpec[]): KubeDocument[] {
  const ttl = w.spec.eventTtlHours * HOUR;
  const r = Random.derive(w.spec.seed, 'events');
  const out: Array<{ last: number; doc: KubeDocument }> = [];
  for (const e of specs) {
    const times = e.times.filter((t) => t <= w.at).sort((a, b) => a - b);
    if (times.length === 0) continue;
    // The event object lives while it is refreshed within the TTL: keep the last streak.
    let start = times.length - 1;
    while (start > 0 && (times[start] as number) - (times[start - 1] as number) < ttl) start--;
    const streak = times.slice(start);
    const last = streak[streak.length - 1] as number;
    if (last < w.at - ttl) continue;
    const first = streak[0] as number;
    const name = String(e.involved.name);
    out.push({
      last,
      doc: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${r.chars(16, HEX)}`, namespace: e.namespace },
        involvedObject: e.involved,
        reason: e.reason,
        message: e.message,
        type: e.type,
        count: streak.length,
        firstTimestamp: iso(first),
        lastTimestamp: iso(last),
        source: { component: 'kubelet', host: e.host },
        reportingComponent: 'kubelet',
        reportingInstance: e.host,
      },
    });
  }
  return out.sort((a, b) => a.last - b.last).map((x) => x.doc);
}

function probeSpec(port: number): Record<string, unknown> {
  return {
    livenessProbe: {
      httpGet: { path: '/healthz', port, scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    },
    readinessProbe: {
      httpGet: { path: '/ready', port, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    },
  };
}

function mainContainerSpec(w: World, image: string): Record<string, unknown> {
  const c: Record<string, unknown> = { name: w.spec.container, image };
  const rt = w.runtimeEnv;
  if (rt.command) c.command = rt.command;
  if (rt.args) c.args = rt.args;
  c.ports = [{ containerPort: 8080, name: 'http', protocol: 'TCP' }];
  const env = [...rt.env];
  env.push({ name: 'LOG_LEVEL', value: 'info' });
  c.env = env;
  c.resources = {
    requests: { cpu: '250m', memory: quantity(w.request) },
    limits: { memory: quantity(w.L) },
  };
  Object.assign(c, probeSpec(8080));
  c.imagePullPolicy = 'IfNotPresent';
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  return c;
}

function sidecarContainerSpec(w: World): Record<string, unknown> {
  const limit = sidecarLimitBytes(w);
  const resources: Record<string, unknown> = { requests: { cpu: '100m', memory: '128Mi' } };
  if (limit > 0) resources.limits = { cpu: '2', memory: quantity(limit) };
  return {
    name: 'istio-proxy',
    image: SIDECAR_IMAGE,
    args: [
      'proxy',
      'sidecar',
      '--domain',
      `${w.spec.namespace}.svc.cluster.local`,
      '--proxyLogLevel=warning',
    ],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    resources,
  };
}

function containerId(r: Random): string {
  return `containerd://${r.chars(64, HEX)}`;
}

function imageId(image: string, r: Random): string {
  return `${image.split(':')[0]}@sha256:${r.chars(64, HEX)}`;
}

function buildObjects(w: World): KubeDocument[] {
  const r = Random.derive(w.spec.seed, 'objects');
  const spec = w.spec;
  const ns = spec.namespace;
  const sts = spec.workloadKind === 'StatefulSet';
  const current = w.revisions[0] as Revision;
  const docs: KubeDocument[] = [];
  const events: EventSpec[] = [];
  const workloadUid = `uid-${spec.workload}`;

  docs.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
  });

  // Nodes
  for (const node of w.nodes) {
    const pressNow = (node.pressure?.[w.n - 1] ?? 0) === 1;
    let since = node.createdAt;
    if (node.pressure) {
      for (let i = w.n - 1; i > 0; i--) {
        if (node.pressure[i] !== node.pressure[i - 1]) {
          since = w.T0 + i * STEP;
          break;
        }
      }
    }
    const nodeHb = w.at - r.int(5, 40);
    docs.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node.name,
        labels: {
          'kubernetes.io/hostname': node.name,
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/instance-type': node.instanceType,
        },
        creationTimestamp: iso(node.createdAt),
      },
      spec: pressNow
        ? {
            taints: [
              { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: iso(since) },
            ],
          }
        : {},
      status: {
        capacity: {
          cpu: String(Math.max(2, node.memTotal / GI / 4)),
          memory: `${node.memTotal / 1024}Ki`,
          pods: '110',
        },
        allocatable: {
          cpu: `${Math.max(2, node.memTotal / GI / 4) * 1000 - 80}m`,
          memory: `${Math.round(node.allocatable / 1024)}Ki`,
          pods: '110',
        },
        conditions: [
          {
            type: 'MemoryPressure',
            status: pressNow ? 'True' : 'False',
            reason: pressNow ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
            message: pressNow
              ? 'kubelet has insufficient memory available'
              : 'kubelet has sufficient memory available',
            lastHeartbeatTime: iso(nodeHb),
            lastTransitionTime: iso(since),
          },
          {
            type: 'DiskPressure',
            status: 'False',
            reason: 'KubeletHasNoDiskPressure',
            message: 'kubelet has no disk pressure',
            lastHeartbeatTime: iso(nodeHb),
            lastTransitionTime: iso(node.createdAt),
          },
          {
            type: 'PIDPressure',
            status: 'False',
            reason: 'KubeletHasSufficientPID',
            message: 'kubelet has sufficient PID available',
            lastHeartbeatTime: iso(nodeHb),
            lastTransitionTime: iso(node.createdAt),
          },
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: iso(nodeHb),
            lastTransitionTime: iso(node.createdAt + 40),
          },
        ],
        addresses: [
          { type: 'InternalIP', address: node.ip },
          { type: 'Hostname', address: node.name },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.31.4',
          containerRuntimeVersion: 'containerd://1.7.24',
          osImage: 'Ubuntu 22.04.5 LTS',
          kernelVersion: '6.8.0-1021',
          architecture: 'amd64',
          operatingSystem: 'linux',
        },
      },
    });
    // Node events: pressure transitions, eviction thresholds, system OOMs.
    const pressStarts: number[] = [];
    const pressEnds: number[] = [];
    if (node.pressure) {
      for (let i = 1; i < w.n; i++) {
        if (node.pressure[i] && !node.pressure[i - 1]) pressStarts.push(w.T0 + i * STEP);
        if (!node.pressure[i] && node.pressure[i - 1]) pressEnds.push(w.T0 + i * STEP);
      }
    }
    const nodeRef = { kind: 'Node', name: node.name, uid: node.name };
    if (pressStarts.length > 0) {
      events.push({
        involved: nodeRef,
        namespace: 'default',
        reason: 'EvictionThresholdMet',
        message: 'Attempting to reclaim memory',
        type: 'Warning',
        host: node.name,
        times: pressStarts.map((t) => t + 5),
      });
      events.push({
        involved: nodeRef,
        namespace: 'default',
        reason: 'NodeHasInsufficientMemory',
        message: `Node ${node.name} status is now: NodeHasInsufficientMemory`,
        type: 'Normal',
        host: node.name,
        times: pressStarts,
      });
    }
    if (pressEnds.length > 0) {
      events.push({
        involved: nodeRef,
        namespace: 'default',
        reason: 'NodeHasSufficientMemory',
        message: `Node ${node.name} status is now: NodeHasSufficientMemory`,
        type: 'Normal',
        host: node.name,
        times: pressEnds,
      });
    }
    for (const s of node.systemOoms) {
      events.push({
        involved: nodeRef,
        namespace: 'default',
        reason: 'SystemOOM',
        message: `System OOM encountered, victim process: ${s.process}, pid: ${s.pid}`,
        type: 'Warning',
        host: node.name,
        times: [s.at],
      });
    }
  }

  const labels = w.labels;
  const templateFor = (rev: Revision) => {
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
        containers: [mainContainerSpec(w, rev.image)],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        serviceAccountName: spec.workload,
      },
    };
  };

  // Current pods (those whose object exists at `at`).
  const existing = w.pods.filter((p) => p.endKind !== 'deleted' && p.createdAt <= w.at);
  const currentPods = existing.filter((p) => p.endKind === 'none');
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

  if (!sts) {
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: spec.workload,
        namespace: ns,
        uid: workloadUid,
        labels: { ...labels },
        generation,
        creationTimestamp: iso(current.createdAt - r.float(30, 400) * DAY),
        annotations: { 'deployment.kubernetes.io/revision': String(current.number) },
      },
      spec: {
        replicas: spec.replicas,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { ...w.selector } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: templateFor(current),
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
            lastUpdateTime: iso(availSince),
            lastTransitionTime: iso(availSince),
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${current.name}" has successfully progressed.`,
            lastUpdateTime: iso(rolloutDone),
            lastTransitionTime: iso(current.createdAt),
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
          creationTimestamp: iso(rev.createdAt),
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
            const tpl = templateFor(rev);
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
  } else {
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {
        name: spec.workload,
        namespace: ns,
        uid: workloadUid,
        labels: { ...labels },
        generation,
        creationTimestamp: iso(current.createdAt - r.float(30, 400) * DAY),
      },
      spec: {
        replicas: spec.replicas,
        serviceName: spec.service,
        podManagementPolicy: 'OrderedReady',
        revisionHistoryLimit: 10,
        selector: { matchLabels: { ...w.selector } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        template: templateFor(current),
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
          creationTimestamp: iso(rev.createdAt),
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
        data: { spec: { template: { ...templateFor(rev), $patch: 'replace' } } },
      });
    }
  }

  docs.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.service, namespace: ns, labels: { ...labels } },
    spec: {
      type: 'ClusterIP',
      clusterIP: `10.96.${r.int(0, 255)}.${r.int(1, 254)}`,
      selector: { ...w.serviceSelector },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
    status: { loadBalancer: {} },
  });

  for (const pod of existing) {
    docs.push(podObject(w, pod, r));
  }

  // Pod events.
  for (const pod of w.pods) {
    const sim = pod.sim;
    if (!sim) continue;
    const ref = {
      kind: 'Pod',
      namespace: ns,
      name: pod.name,
      uid: pod.uid,
      apiVersion: 'v1',
      fieldPath: `spec.containers{${spec.container}}`,
    };
    const host = pod.node.name;
    const backOffs = sim.terms.filter((t) => t.finishedAt < pod.endAt).map((t) => t.finishedAt + 1);
    if (pod.endKind !== 'deleted' || pod.endAt > w.at - spec.eventTtlHours * HOUR) {
      if (backOffs.length > 0) {
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'BackOff',
          message: `Back-off restarting failed container ${spec.container} in pod ${pod.name}_${ns}(${pod.uid})`,
          type: 'Warning',
          host,
          times: backOffs,
        });
        const starts = sim.lifeStarts.filter((s) => s > pod.createdAt + 30);
        if (starts.length > 0) {
          events.push({
            involved: ref,
            namespace: ns,
            reason: 'Pulled',
            message: `Container image "${pod.rev.image}" already present on machine`,
            type: 'Normal',
            host,
            times: starts.map((s) => s - 1),
          });
          events.push({
            involved: ref,
            namespace: ns,
            reason: 'Created',
            message: `Created container: ${spec.container}`,
            type: 'Normal',
            host,
            times: starts.map((s) => s - 1),
          });
          events.push({
            involved: ref,
            namespace: ns,
            reason: 'Started',
            message: `Started container ${spec.container}`,
            type: 'Normal',
            host,
            times: starts,
          });
        }
      }
      const liveness = sim.terms.filter((t) => t.exitCode === 143);
      if (liveness.length > 0) {
        const fails: number[] = [];
        for (const t of liveness) fails.push(t.finishedAt - 31, t.finishedAt - 21, t.finishedAt - 11);
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'Unhealthy',
          message: `Liveness probe failed: Get "http://${pod.ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
          type: 'Warning',
          host,
          times: fails,
        });
        events.push({
          involved: ref,
          namespace: ns,
          reason: 'Killing',
          message: `Container ${spec.container} failed liveness probe, will be restarted`,
          type: 'Normal',
          host,
          times: liveness.map((t) => t.finishedAt - 10),
        });
      }
    }
    if (pod.evictionMessage) {
      const podRef = { kind: 'Pod', namespace: ns, name: pod.name, uid: pod.uid, apiVersion: 'v1' };
      events.push({
        involved: podRef,
        namespace: ns,
        reason: 'Evicted',
        message: pod.evictionMessage,
        type: 'Warning',
        host,
        times: [pod.endAt],
      });
      events.push({
        involved: ref,
        namespace: ns,
        reason: 'Killing',
        message: `Stopping container ${spec.container}`,
        type: 'Normal',
        host,
        times: [pod.endAt + 1],
      });
    }
  }
  docs.push(...buildEvents(w, events));
  return docs;
}

function podObject(w: World, pod: PodInstance, r: Random): KubeDocument {
  const spec = w.spec;
  const ns = spec.namespace;
  const sim = pod.sim as SimResult;
  const sts = spec.workloadKind === 'StatefulSet';
  const labels: Record<string, string> = { ...w.labels };
  if (sts) {
    labels['controller-revision-hash'] = pod.rev.name;
    labels['statefulset.kubernetes.io/pod-name'] = pod.name;
    labels['apps.kubernetes.io/pod-index'] = String(pod.slot);
  } else {
    labels['pod-template-hash'] = pod.rev.hash;
  }
  const annotations: Record<string, string> = { ...pod.rev.templateAnnotations };
  const containers: Record<string, unknown>[] = [mainContainerSpec(w, pod.rev.image)];
  if (spec.sidecar) {
    labels['security.istio.io/tlsMode'] = 'istio';
    labels['service.istio.io/canonical-name'] = spec.workload;
    labels['service.istio.io/canonical-revision'] = 'latest';
    annotations['sidecar.istio.io/status'] =
      '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}';
    containers.push(sidecarContainerSpec(w));
  }
  const evicted = pod.endKind === 'evicted';
  const startTime = pod.createdAt + 1;
  const terms = sim.terms;
  const lastTerm = terms.length > 0 ? terms[terms.length - 1] : pod.priorLast;
  const restartCount = pod.priorRestarts + terms.length;
  const ids = r.fork(pod.name);
  const mainStatus: Record<string, unknown> = {
    name: spec.container,
    image: pod.rev.image,
    imageID: imageId(pod.rev.image, ids),
    containerID: containerId(ids),
    restartCount,
    started: false,
    ready: false,
  };
  const lastState: Record<string, unknown> = {};
  if (lastTerm) {
    lastState.terminated = {
      exitCode: lastTerm.exitCode,
      reason: lastTerm.reason,
      startedAt: iso(lastTerm.startedAt),
      finishedAt: iso(lastTerm.finishedAt),
      containerID: containerId(ids),
    };
  }
  let readyNow = false;
  let readySince = startTime;
  if (evicted) {
    mainStatus.state = {
      terminated: {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: 'The container could not be located when the pod was terminated',
        startedAt: iso(sim.lastLifeStart),
        finishedAt: iso(pod.endAt),
      },
    };
    readySince = pod.endAt;
  } else if (sim.final.kind === 'running') {
    readyNow = w.at - sim.final.startedAt >= READY_DELAY;
    mainStatus.state = { running: { startedAt: iso(sim.final.startedAt) } };
    mainStatus.started = true;
    mainStatus.ready = readyNow;
    readySince = sim.final.startedAt + (readyNow ? READY_DELAY : 0);
  } else if (sim.final.kind === 'waiting') {
    mainStatus.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(sim.lastDelay)} restarting failed container=${spec.container} pod=${pod.name}_${ns}(${pod.uid})`,
      },
    };
    readySince = lastTerm?.finishedAt ?? startTime;
  } else {
    mainStatus.state = { waiting: { reason: 'ContainerCreating' } };
  }
  mainStatus.lastState = lastState;
  const statuses: Record<string, unknown>[] = [mainStatus];
  if (spec.sidecar) {
    const scIds = r.fork(`${pod.name}:sidecar`);
    statuses.push({
      name: 'istio-proxy',
      image: SIDECAR_IMAGE,
      imageID: imageId(SIDECAR_IMAGE, scIds),
      containerID: containerId(scIds),
      restartCount: 0,
      started: !evicted,
      ready: !evicted,
      state: evicted
        ? {
            terminated: {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
              startedAt: iso(startTime + 2),
              finishedAt: iso(pod.endAt),
            },
          }
        : { running: { startedAt: iso(startTime + 2) } },
      lastState: {},
    });
  }
  const readyStatus = readyNow ? 'True' : 'False';
  const notReady = readyNow
    ? {}
    : {
        reason: evicted ? 'PodFailed' : 'ContainersNotReady',
        message: evicted ? undefined : `containers with unready status: [${spec.container}]`,
      };
  const clean = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const conditions: Record<string, unknown>[] = [
    {
      type: 'PodReadyToStartContainers',
      status: evicted ? 'False' : 'True',
      lastTransitionTime: iso(evicted ? pod.endAt : startTime + 2),
    },
    { type: 'Initialized', status: 'True', lastTransitionTime: iso(startTime + 1) },
    clean({ type: 'Ready', status: readyStatus, lastTransitionTime: iso(readySince), ...notReady }),
    clean({ type: 'ContainersReady', status: readyStatus, lastTransitionTime: iso(readySince), ...notReady }),
    { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(pod.createdAt) },
  ];
  if (evicted) {
    conditions.unshift({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'TerminationByKubelet',
      message: pod.evictionMessage?.split(' Container ')[0] ?? 'The node was low on resource: memory.',
      lastTransitionTime: iso(pod.endAt),
    });
  }
  const ownerKind = sts ? 'StatefulSet' : 'ReplicaSet';
  const ownerName = sts ? spec.workload : pod.rev.name;
  const status: Record<string, unknown> = {
    phase: evicted ? 'Failed' : 'Running',
    conditions,
    hostIP: pod.node.ip,
    hostIPs: [{ ip: pod.node.ip }],
    startTime: iso(startTime),
    qosClass: 'Burstable',
    containerStatuses: statuses,
  };
  if (evicted) {
    status.reason = 'Evicted';
    status.message = pod.evictionMessage;
  } else {
    status.podIP = pod.ip;
    status.podIPs = [{ ip: pod.ip }];
  }
  const metadata: Record<string, unknown> = {
    name: pod.name,
    namespace: ns,
    uid: pod.uid,
    labels,
    creationTimestamp: iso(pod.createdAt),
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: ownerKind,
        name: ownerName,
        uid: sts ? `uid-${spec.workload}` : `uid-${pod.rev.name}`,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const podSpec: Record<string, unknown> = {
    nodeName: pod.node.name,
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    serviceAccountName: spec.workload,
    schedulerName: 'default-scheduler',
    priority: 0,
    enableServiceLinks: true,
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
  };
  if (sts) {
    podSpec.hostname = pod.name;
    podSpec.subdomain = spec.service;
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec, status };
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

function labelsFor(
  spec: ResolvedSpec,
  r: Random,
): {
  labels: Record<string, string>;
  selector: Record<string, string>;
  serviceSelector: Record<string, string>;
} {
  const style = r.pick(['app', 'app', 'k8s', 'both']);
  const labels: Record<string, string> = {};
  let selector: Record<string, string>;
  if (style === 'app') {
    labels.app = spec.workload;
    selector = { app: spec.workload };
  } else if (style === 'k8s') {
    labels['app.kubernetes.io/name'] = spec.workload;
    labels['app.kubernetes.io/instance'] = spec.workload;
    selector = { 'app.kubernetes.io/name': spec.workload, 'app.kubernetes.io/instance': spec.workload };
  } else {
    labels.app = spec.workload;
    labels['app.kubernetes.io/name'] = spec.workload;
    selector = { app: spec.workload };
  }
  labels['app.kubernetes.io/part-of'] = spec.namespace;
  if (r.chance(0.4)) labels.team = r.pick(['core', 'platform', 'commerce', 'data']);
  const serviceSelector = r.chance(0.7)
    ? { ...selector }
    : { [Object.keys(selector)[0] as string]: Object.values(selector)[0] as string };
  return { labels, selector, serviceSelector };
}

function processName(spec: ResolvedSpec): string {
  if (spec.runtime === 'jvm') return 'java';
  if (spec.runtime === 'node') return 'node';
  return spec.workload.split('-')[0] ?? spec.container;
}

function describe(w: World, oomKills: number): string {
  const s = w.spec;
  const parts = [
    `Generated ${s.cause} (${s.variant}), seed ${s.seed}.`,
    `${s.workloadKind} ${s.workload} x${s.replicas}, container ${s.container}, limit ${quantity(s.limitBytes)}, ${oomKills} OOM kills in the window.`,
    `Traffic: ${s.trafficFamily}; scrape ${s.intervalSeconds}s${s.gaps ? ' with gaps' : ''}; runtime ${s.runtime}${s.sidecar ? '; istio sidecar' : ''}${s.recentRollout ? '; recent rollout (not the cause)' : ''}${s.unevenLoad ? '; uneven load' : ''}.`,
  ];
  if (w.surgeAt !== undefined)
    parts.push(`Traffic x${(w.surgeFactor ?? 1).toFixed(1)} from ${iso(w.surgeAt)}.`);
  return parts.join(' ');
}

/** Generate one scenario. The same spec always yields the same scenario, byte for byte. */
export function generateScenario(input: ScenarioSpec): GeneratedScenario {
  const root = Random.derive(input.seed, `scenario:${input.cause}`);
  const spec = resolveSpec(input, root);
  const tuning = input.tuning ?? {};
  const rng = root.fork('world');
  const at = parseIso(spec.at, 'at');
  const W = Math.round(spec.windowHours * HOUR);
  if (!(W >= HOUR)) throw new Error('windowHours must be at least 1');
  const T0 = at - W;
  const n = Math.floor(W / STEP) + 1;
  const L = spec.limitBytes;
  const killOvershoot = tuning.killOvershoot ?? rng.float(0.004, 0.03);
  const names = labelsFor(spec, rng.fork('labels'));

  const w: World = {
    spec,
    tuning,
    rng,
    at,
    T0,
    W,
    n,
    L,
    request: spec.requestBytes,
    killAt: L * (1 + killOvershoot),
    nodes: [],
    revisions: [],
    pods: [],
    shares: [],
    R: new Float64Array(0),
    cumR: new Float64Array(0),
    Rmean: 0,
    lastRolloutAt: 0,
    trackPeak: spec.cause === 'limit_too_low' || spec.cause === 'traffic_surge',
    labels: names.labels,
    selector: names.selector,
    serviceSelector: names.serviceSelector,
    runtimeEnv: { env: [] },
    podPseudo: { uidCounter: 0 },
    process: processName(spec),
    evictions: [],
  };

  // Cause timeline first: the rollout distractor must stay clear of it.
  const tl = rng.fork('timeline');
  if (spec.cause === 'traffic_surge') {
    w.surgeFactor = input.surgeFactor ?? tl.float(2, 4);
    w.surgeAt = input.surgeStartedAt
      ? parseIso(input.surgeStartedAt, 'surgeStartedAt')
      : roundTo(at - tl.float(0.06, 0.4) * W, 60);
    if (spec.trafficFamily === 'none') w.alsoAcceptable = ['limit_too_low', 'unknown'];
  }
  const lastRolloutDays =
    tuning.lastRolloutDaysAgo ?? tl.float(spec.variant === 'slow-single-kill' ? 3.5 : 1.5, 30);
  w.lastRolloutAt = roundTo(at - lastRolloutDays * DAY + tl.float(-3600, 3600), 1);
  if (spec.recentRollout) {
    let lo = T0 + 0.25 * W;
    let hi = at - 0.08 * W;
    if (w.surgeAt !== undefined) hi = Math.min(hi, w.surgeAt - HOUR);
    if (spec.cause === 'node_pressure') hi = Math.min(hi, at - 0.35 * W - HOUR);
    if (hi <= lo) {
      lo = T0 + 0.05 * W;
      hi = Math.max(lo + 60, (w.surgeAt ?? at) - HOUR);
    }
    w.distractorAt = Math.round(tl.float(lo, hi));
  }
  w.revisions = makeRevisions(w);
  w.lastRolloutAt = (w.revisions[0] as Revision).createdAt;

  const nodeCount = tuning.nodeCount ?? clamp(spec.replicas + rng.int(-1, 2), 2, 6);
  w.nodes = makeNodes(w, nodeCount);
  w.shares = makeShares(spec.replicas, spec.unevenLoad, rng.fork('shares'));

  const amplitude =
    tuning.diurnalAmplitude ??
    {
      limit_too_low: rng.float(0.03, 0.12),
      memory_leak: spec.variant === 'traffic-driven' ? rng.float(0.25, 0.5) : rng.float(0.05, 0.3),
      traffic_surge: rng.float(0.03, 0.15),
      node_pressure: rng.float(0.1, 0.4),
      heap_misconfigured: rng.float(0.05, 0.25),
      no_oom: rng.float(0.05, 0.4),
    }[spec.cause];
  buildTraffic(w, amplitude, rng.fork('traffic'));
  w.pods = makePods(w);
  w.runtimeEnv = safeRuntime(w, rng.fork('runtime'));

  const cr = rng.fork('cause');
  switch (spec.cause) {
    case 'limit_too_low':
      buildLimitTooLow(w, cr);
      break;
    case 'memory_leak':
      buildMemoryLeak(w, cr);
      break;
    case 'traffic_surge':
      buildTrafficSurge(w, cr);
      break;
    case 'node_pressure':
      buildNodePressure(w, cr);
      break;
    case 'heap_misconfigured':
      buildHeapMisconfigured(w, cr);
      break;
    case 'no_oom':
      buildNoOom(w, cr);
      break;
  }

  if (spec.sidecar) {
    for (const pod of w.pods) {
      const sr = Random.derive(spec.seed, `sidecar:${pod.name}:${pod.createdAt}`);
      const base = sr.float(35, 120) * MI;
      pod.sidecar = {
        base,
        perReq: (sr.float(2, 25) * MI) / Math.max(1e-6, w.Rmean * pod.share),
        noise: arNoise(sr, n, 1.5 * MI, 120),
      };
    }
  }

  for (const pod of w.pods) pod.sim = simulatePod(w, pod);
  fixups(w, cr.fork('fixups'));
  for (const pod of w.pods) pod.sidecarWs = spec.sidecar ? simulateSidecar(w, pod) : undefined;
  priorHistory(w, rng.fork('history'));
  finishEvictions(w);

  // Kills count on the node's oom_kill counter too (the kernel counts cgroup OOM kills).
  for (const pod of w.pods) {
    for (const t of pod.sim?.terms ?? [])
      if (t.reason === 'OOMKilled') pod.node.oomKillTimes.push(t.finishedAt);
    for (const t of pod.sim?.terms ?? []) {
      if (
        t.reason === 'OOMKilled' &&
        pod.forced.some((f) => f.kind === 'system-oom' && Math.abs(f.t - t.finishedAt) < STEP + 1)
      ) {
        pod.node.systemOoms.push({
          at: t.finishedAt,
          process: w.process,
          pid: Random.derive(spec.seed, `pid:${t.finishedAt}`).int(1000, 60000),
        });
      }
    }
  }
  const bg = rng.fork('background-ooms');
  if (bg.chance(0.3)) {
    const node = bg.pick(w.nodes);
    const k = bg.int(1, 3);
    for (let i = 0; i < k; i++) node.oomKillTimes.push(bg.float(T0, at));
  }
  buildNodeMemory(w);

  const metrics = buildMetrics(w);
  const clusterObjects = buildObjects(w);
  const terminations = terminationsInWindow(w);
  const oomKills = terminations.filter((t) => t.reason === 'OOMKilled').length;

  let peak = 0;
  let peakPod = '';
  for (const pod of w.pods) {
    const p = pod.sim?.peakDemand ?? 0;
    if (p > peak) {
      peak = p;
      peakPod = pod.name;
    }
  }
  peak = Math.ceil(peak);

  const expect: ExpectBlock = { cause: spec.cause, oomKills };
  if (w.alsoAcceptable) expect.alsoAcceptable = w.alsoAcceptable;
  if (w.surgeAt !== undefined) expect.surgeStartedAt = iso(w.surgeAt);
  if (spec.cause === 'heap_misconfigured' && spec.runtime !== 'none') expect.runtime = spec.runtime;
  if (spec.cause === 'limit_too_low' || spec.cause === 'traffic_surge') {
    expect.recommendation = { container: spec.container, memoryLimitBytes: { min: peak, max: peak * 4 } };
  }
  if (spec.cause === 'node_pressure' || spec.cause === 'memory_leak') expect.noLimitIncrease = true;
  const ordered: ExpectBlock = {
    cause: expect.cause,
    ...(expect.alsoAcceptable ? { alsoAcceptable: expect.alsoAcceptable } : {}),
    ...(expect.surgeStartedAt ? { surgeStartedAt: expect.surgeStartedAt } : {}),
    ...(expect.runtime ? { runtime: expect.runtime } : {}),
    ...(expect.recommendation ? { recommendation: expect.recommendation } : {}),
    ...(expect.noLimitIncrease ? { noLimitIncrease: true } : {}),
    oomKills,
  };

  const requestName = spec.requestBy === 'workload' ? spec.workload : spec.service;
  const scenarioYaml: ScenarioDocument = {
    name: spec.name,
    description: describe(w, oomKills),
    at: spec.at,
    request: spec.namespaceInRequest
      ? { service: requestName, namespace: spec.namespace }
      : { service: requestName },
    expect: ordered,
  };

  const truth: ScenarioTruth = {
    variant: spec.variant,
    windowStart: T0,
    at,
    limitBytes: L,
    peakDemandBytes: peak,
    peakDemandPod: peakPod,
    terminations,
    oomKills,
    evictions: w.evictions.filter((e) => e.at > T0 && e.at <= at),
    lastRolloutAt: w.lastRolloutAt,
    ...(w.distractorAt !== undefined ? { distractorRolloutAt: w.distractorAt } : {}),
    ...(w.surgeAt !== undefined ? { surgeStartedAt: w.surgeAt, surgeFactor: w.surgeFactor } : {}),
    ...(w.pressureNode ? { pressureNode: w.pressureNode.name } : {}),
    ...(w.runtimeEnv.heapCeiling !== undefined
      ? { heapCeilingBytes: Math.round(w.runtimeEnv.heapCeiling) }
      : {}),
    ...(w.runtimeEnv.flag ? { heapSetting: w.runtimeEnv.flag } : {}),
  };

  const folder = `${spec.cause}-${requestName}`;
  return {
    name: folder,
    dirName: folder,
    spec,
    scenarioYaml,
    clusterObjects,
    metrics,
    truth,
  };
}

/** Re-simulate where the drawn parameters missed the cause's defining property. */
function fixups(w: World, r: Random): void {
  const cause = w.spec.cause;
  const kills = () =>
    w.pods.reduce(
      (a, p) => a + (p.sim?.terms.filter((t) => t.reason === 'OOMKilled' && t.finishedAt > w.T0).length ?? 0),
      0,
    );
  if (cause === 'limit_too_low') {
    for (let attempt = 0; attempt < 4 && kills() === 0; attempt++) {
      // Force one spike over the limit in the pod that ran longest.
      const pod = w.pods.reduce((best, p) => (runTime(p) > runTime(best) ? p : best));
      const sim = pod.sim as SimResult;
      const candidates: number[] = [];
      for (let i = sim.from + Math.floor((sim.to - sim.from) * 0.2); i < sim.to - 60; i += 12)
        if (sim.running[i]) candidates.push(i);
      if (candidates.length === 0) break;
      const i = r.pick(candidates);
      const m = pod.model;
      const top = m.base + m.perReq * pod.share * w.Rmean + (m.saw?.amp ?? 0);
      const spikes = m.spikes ?? new Float64Array(w.n);
      addSpike(
        spikes,
        w,
        w.T0 + i * STEP,
        Math.min(w.L * 1.4 - top, w.killAt * r.float(1.03, 1.2) - top + (m.saw?.amp ?? 0)),
        r.float(60, 240),
      );
      m.spikes = spikes;
      pod.sim = simulatePod(w, pod);
    }
  } else if (cause === 'traffic_surge') {
    const surgeAt = w.surgeAt as number;
    for (let attempt = 0; attempt < 6; attempt++) {
      const early = w.pods.some((p) =>
        p.sim?.terms.some((t) => t.reason === 'OOMKilled' && t.finishedAt < surgeAt),
      );
      const late = kills() > 0;
      if (!early && late) break;
      for (const pod of w.pods) {
        if (early) {
          pod.model.base *= 0.93;
          pod.model.perReq *= 0.97;
        } else {
          pod.model.perReq *= 1.12;
        }
        pod.sim = simulatePod(w, pod);
      }
    }
  } else if (cause === 'memory_leak' || cause === 'heap_misconfigured') {
    if (kills() === 0 && w.spec.variant !== 'slow-single-kill') {
      for (const pod of w.pods) {
        if (pod.model.leak) pod.model.leak.g *= 1.5;
        if (pod.model.leakPerRequest) pod.model.leakPerRequest *= 1.5;
        if (pod.model.heap) pod.model.heap.tau *= 0.6;
        pod.sim = simulatePod(w, pod);
      }
    }
  }
}

function runTime(p: PodInstance): number {
  const sim = p.sim;
  if (!sim) return 0;
  let c = 0;
  for (let i = sim.from; i < sim.to; i++) c += sim.running[i] as number;
  return c;
}

/** Restarts before the window, consistent with the first lifetime's start and the cause. */
function priorHistory(w: World, r: Random): void {
  const chronic =
    w.spec.cause === 'limit_too_low' ||
    w.spec.cause === 'memory_leak' ||
    w.spec.cause === 'heap_misconfigured';
  for (const pod of w.pods) {
    const sim = pod.sim as SimResult;
    if (pod.firstLifeStart <= pod.createdAt + 60) continue;
    const span = pod.firstLifeStart - pod.createdAt;
    const inWindow = sim.terms.length;
    const windowRun = Math.max(HOUR, (sim.to - sim.from) * STEP);
    const rate = inWindow > 0 ? inWindow / windowRun : 1 / (6 * HOUR);
    pod.priorRestarts = Math.max(1, Math.round(span * rate * r.float(0.6, 1.2)));
    const finishedAt = Math.round(pod.firstLifeStart - r.float(10, 40));
    const lifetime = chronic
      ? Math.min(span, r.float(0.3, 1) * Math.max(600, windowRun / Math.max(1, inWindow)))
      : span * 0.5;
    pod.priorLast = {
      startedAt: Math.round(Math.max(pod.createdAt + 5, finishedAt - lifetime)),
      finishedAt,
      reason: chronic ? 'OOMKilled' : 'Error',
      exitCode: chronic ? 137 : 143,
    };
    if (pod.priorLast.startedAt >= finishedAt) pod.priorLast.startedAt = finishedAt - 30;
    const sr = pod.sim;
    if (sr && sr.final.kind === 'pending') sr.final = { kind: 'waiting', delay: 10 };
  }
}

function finishEvictions(w: World): void {
  for (const pod of w.pods) {
    if (pod.endKind === 'none' || !w.evictions.some((e) => e.pod === pod.name && e.at === pod.endAt))
      continue;
    const node = pod.node;
    const i = clamp(stepOf(w, pod.endAt) - 1, 0, w.n - 1);
    const usage = pod.sim?.ws[i] ?? 0;
    const floor =
      node.episodes.length > 0 ? (node.episodes[node.episodes.length - 1] as PressureEpisode).floor : 50 * MI;
    const thr = quantity(node.thresholdBytes);
    pod.evictionMessage = `The node was low on resource: memory. Threshold quantity: ${thr}, available: ${Math.round(floor / 1024)}Ki. Container ${w.spec.container} was using ${Math.round(usage / 1024)}Ki, request is ${quantity(w.request)}, has larger consumption of its request. `;
  }
}

// ---------------------------------------------------------------------------------------------
// Corpus and the seed incident
// ---------------------------------------------------------------------------------------------

export interface CorpusOptions {
  seed: number;
  count: number;
  /** Restrict the corpus to one cause. */
  cause?: ScenarioCause;
}

/** The specs of a corpus: causes in turn, every variant, every traffic family and interval. */
export function corpusSpecs(options: CorpusOptions): ScenarioSpec[] {
  const causes: readonly ScenarioCause[] = options.cause ? [options.cause] : SCENARIO_CAUSES;
  const out: ScenarioSpec[] = [];
  const intervals: ScrapeInterval[] = [15, 30, 60];
  for (let i = 0; i < options.count; i++) {
    const cause = causes[i % causes.length] as ScenarioCause;
    const round = Math.floor(i / causes.length);
    const ci = SCENARIO_CAUSES.indexOf(cause);
    const r = Random.derive(options.seed, `corpus:${i}`);
    const variants: readonly string[] = VARIANTS[cause];
    const spec: ScenarioSpec = {
      seed: r.uint32(),
      cause,
      variant: variants[round % variants.length],
      intervalSeconds: intervals[(round + ci) % 3],
    };
    const families =
      cause === 'traffic_surge' ? TRAFFIC_CHOICES.filter((f) => f !== 'none') : TRAFFIC_CHOICES;
    spec.trafficFamily = families[(round * 3 + ci) % families.length];
    if ((round + ci) % 5 === 4) spec.workloadKind = 'StatefulSet';
    if (cause === 'heap_misconfigured') {
      spec.runtime = (['jvm', 'node', 'go', 'jvm'] as const)[round % 4];
    }
    out.push(spec);
  }
  return out;
}

function corpusDirName(index: number, s: GeneratedScenario, width: number): string {
  return `${String(index + 1).padStart(width, '0')}-${s.spec.cause}-${s.scenarioYaml.request.service}`;
}

/** Give a generated scenario its corpus position: `NNN-<cause>-<service>`. */
export function inCorpus(s: GeneratedScenario, index: number, count: number): GeneratedScenario {
  const dirName = corpusDirName(index, s, Math.max(3, String(count).length));
  return { ...s, dirName, scenarioYaml: { ...s.scenarioYaml, name: dirName } };
}

/** A varied corpus, causes in turn. Holds every scenario in memory: for large corpora use corpusSpecs. */
export function generateCorpus(options: CorpusOptions): GeneratedScenario[] {
  return corpusSpecs(options).map((spec, i) => inCorpus(generateScenario(spec), i, options.count));
}

/** The spec of the product's seed incident. */
export const SEED_INCIDENT_SPEC: ScenarioSpec = {
  seed: 20261124,
  cause: 'traffic_surge',
  variant: 'proportional',
  name: 'auth-service-traffic-surge',
  namespace: 'prod',
  service: 'auth-service',
  workload: 'auth-service',
  container: 'auth',
  workloadKind: 'Deployment',
  replicas: 3,
  intervalSeconds: 30,
  trafficFamily: 'http_requests_total',
  sidecar: false,
  namespaceInRequest: true,
  limitBytes: 512 * MI,
  requestBytes: 256 * MI,
  windowHours: 24,
  gaps: false,
  runtime: 'none',
  at: '2026-11-24T09:30:00Z',
  unevenLoad: false,
  recentRollout: false,
  appCounterResets: false,
  scrapeOffsets: false,
  requestBy: 'service',
  surgeFactor: 3,
  surgeStartedAt: '2026-11-24T06:30:00Z',
  eventTtlHours: 1,
  tuning: {
    preSurgeFraction: 0.6,
    baseShare: 0.36,
    warmupStart: 0.45,
    warmupTauSeconds: 24,
    killOvershoot: 0.006,
    nodeCount: 2,
    lastRolloutDaysAgo: 7.1,
    diurnalAmplitude: 0.06,
    requestRate: 126,
    surgeRampSeconds: 540,
    noise: 0.006,
  },
};

/**
 * The seed incident: auth-service (prod, 3 replicas, 512Mi) in CrashLoopBackOff, OOMKilled at
 * the limit, no rollout for a week, traffic tripled since 06:30 with memory following it.
 */
export function seedIncident(): GeneratedScenario {
  const s = generateScenario(SEED_INCIDENT_SPEC);
  const description =
    'The seed incident: CrashLoopBackOff, each restart OOMKilled about 30 s after it starts at ~511Mi of a 512Mi limit; ' +
    'no rollout for a week; requests per pod tripled since 06:30 and memory follows concurrent requests.';
  return { ...s, name: s.spec.name, dirName: s.spec.name, scenarioYaml: { ...s.scenarioYaml, description } };
}

// ---------------------------------------------------------------------------------------------
// Rendering and writing
// ---------------------------------------------------------------------------------------------

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** OpenMetrics text in chunks (one per series), families sorted and contiguous, `# EOF` last. */
export function* renderOpenMetricsChunks(families: MetricFamily[]): Generator<string> {
  const sorted = families.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const fam of sorted) {
    yield `# TYPE ${fam.name} ${fam.type}\n`;
    for (const s of fam.series) {
      const prefix = `${fam.name}${renderLabels(s.labels)} `;
      const lines: string[] = new Array(s.t.length);
      for (let i = 0; i < s.t.length; i++) lines[i] = `${prefix}${formatValue(s.v[i] as number)} ${s.t[i]}`;
      if (lines.length > 0) yield `${lines.join('\n')}\n`;
    }
  }
  yield '# EOF\n';
}

export function renderOpenMetrics(families: MetricFamily[]): string {
  return [...renderOpenMetricsChunks(families)].join('');
}

const YAML11_BOOLISH =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE)$/;
const TIMESTAMPISH = /^\d{4}-\d\d-\d\d([Tt ]|$)/;

function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      if (TIMESTAMPISH.test(node.value) || YAML11_BOOLISH.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function renderScenarioYaml(s: GeneratedScenario): string {
  return toYaml(s.scenarioYaml);
}

export function renderClusterYaml(objects: KubeDocument[]): string {
  return objects.map((o) => toYaml(o)).join('---\n');
}

/** Write scenario.yaml, cluster.yaml and metrics.om.gz into `dir` (created if needed). */
export async function writeScenario(dir: string, s: GeneratedScenario): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'scenario.yaml'), renderScenarioYaml(s));
  await writeFile(join(dir, 'cluster.yaml'), renderClusterYaml(s.clusterObjects));
  await pipeline(
    Readable.from(batched(renderOpenMetricsChunks(s.metrics), 4 * MI), { objectMode: false }),
    createGzip({ level: 6 }),
    createWriteStream(join(dir, 'metrics.om.gz')),
  );
}

/** Joins small chunks into pieces of at least `size` characters (fewer stream round trips). */
function* batched(chunks: Iterable<string>, size: number): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
