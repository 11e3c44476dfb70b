/**
 * What a scenario is asked to be: the causes, their variants, the spec a caller writes and the
 * resolved spec in which every knob left open has been drawn from the seed.
 */
import { NATIVE_VARIANTS } from './native-memory.ts';
import { Random } from './random.ts';
import { formatIso, MI, roundTo } from './shared.ts';

export const SCENARIO_CAUSES = [
  'limit_too_low',
  'memory_leak',
  'traffic_surge',
  'node_pressure',
  'heap_misconfigured',
  'no_oom',
  'native_memory',
] as const;
/** Causes generated only in their own corpus, so the default corpus of the six stays as it was. */
export const EXTRA_CAUSES = ['deploy_regression'] as const;
export type ScenarioCause = (typeof SCENARIO_CAUSES)[number] | (typeof EXTRA_CAUSES)[number];

export const TRAFFIC_CHOICES = [
  'http_requests_total',
  'http_server_requests_seconds_count',
  'istio_requests_total',
  'nginx_ingress_controller_requests',
  'none',
] as const;
export type TrafficChoice = (typeof TRAFFIC_CHOICES)[number];

export type RuntimeChoice = 'jvm' | 'node' | 'go' | 'none';
export type WorkloadKindChoice = 'Deployment' | 'StatefulSet' | 'CronJob';
export type ScrapeInterval = 15 | 30 | 60;

/** The shapes each cause comes in; `variant` in a spec picks one. */
export const VARIANTS = {
  limit_too_low: ['spikes', 'sawtooth', 'warmup-plateau'],
  memory_leak: ['linear', 'curved', 'traffic-driven', 'slow-single-kill'],
  traffic_surge: ['proportional', 'steady-footprint'],
  node_pressure: ['eviction', 'system-oom', 'eviction-and-oom'],
  heap_misconfigured: ['env', 'args', 'percentage'],
  no_oom: ['liveness', 'completed', 'app-error', 'no-restarts'],
  native_memory: NATIVE_VARIANTS,
  deploy_regression: ['image', 'config'],
} as const satisfies Record<ScenarioCause, readonly string[]>;

/** Variants outside the default corpus's rotation: a rollout confounding an older cause. */
export const EXTRA_VARIANTS: Partial<Record<ScenarioCause, readonly string[]>> = {
  traffic_surge: ['with-rollout'],
  limit_too_low: ['limit-lowered'],
};

/**
 * Variants outside the default rotation: node pressure whose victim runs close to its own limit, so
 * a rule reading only the container's share of its limit blames the limit; a CronJob whose runs
 * grow until the latest is killed; a regression in a sidecar's image, the sidecar being killed.
 */
export const CONFOUNDER_VARIANTS: Partial<Record<ScenarioCause, readonly string[]>> = {
  node_pressure: ['victim'],
  limit_too_low: ['batch-growth'],
  deploy_regression: ['sidecar-image'],
};

/** Sidecars declared in a pod template, whose new image can be the regression. */
export const TEMPLATE_SIDECARS = [
  { name: 'log-shipper', repository: 'cr.fluentbit.io/fluent/fluent-bit', version: '3.1.4' },
  { name: 'cloud-sql-proxy', repository: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy', version: '2.11.4' },
  { name: 'envoy', repository: 'docker.io/envoyproxy/envoy', version: '1.31.2' },
  {
    name: 'otel-collector',
    repository: 'docker.io/otel/opentelemetry-collector-contrib',
    version: '0.108.0',
  },
] as const;

/** The sidecar a sidecar-image regression is about, drawn from its own stream. */
export function drawTemplateSidecar(seed: number): (typeof TEMPLATE_SIDECARS)[number] {
  return Random.derive(seed, 'sidecar-regression').pick(TEMPLATE_SIDECARS);
}

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
  /** A second container in every pod (istio-proxy; the app in the sidecar-image regression); it never dies. */
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
  /** The sidecar-image regression: the application's container; `container` is then the sidecar. */
  appContainer?: string;
}

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

export function resolveSpec(spec: ScenarioSpec, rng: Random): ResolvedSpec {
  const cause = spec.cause;
  if (![...SCENARIO_CAUSES, ...EXTRA_CAUSES].includes(cause)) throw new Error(`unknown cause: ${cause}`);
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
  } else if (cause === 'native_memory') {
    runtime =
      spec.runtime ??
      r.weighted<RuntimeChoice>([
        ['jvm', 0.7],
        ['node', 0.3],
      ]);
    if (runtime !== 'jvm' && runtime !== 'node') throw new Error('native_memory needs a jvm or node runtime');
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
  if (
    !variants.includes(variant) &&
    !EXTRA_VARIANTS[cause]?.includes(variant) &&
    !CONFOUNDER_VARIANTS[cause]?.includes(variant)
  )
    throw new Error(`unknown variant "${variant}" for ${cause}`);
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
    at = formatIso(roundTo(r.float(start, end), 60));
  }
  const name = spec.name ?? `${serviceName}-${cause.replaceAll('_', '-')}`;
  const recentDefault = variant === 'slow-single-kill' ? false : r.chance(0.3);
  const requestBy =
    spec.requestBy ?? (workloadName !== serviceName && r.chance(0.25) ? 'workload' : 'service');

  const resolved: ResolvedSpec = {
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
  // A batch run is asked for by its CronJob's name: no Service, no traffic, no sidecar, one pod a run.
  if (cause === 'limit_too_low' && variant === 'batch-growth')
    return {
      ...resolved,
      workloadKind: 'CronJob',
      service: workloadName,
      requestBy: 'workload',
      trafficFamily: 'none',
      sidecar: false,
      replicas: 1,
      unevenLoad: false,
      recentRollout: false,
      appCounterResets: false,
    };
  if (cause === 'deploy_regression' && variant === 'sidecar-image')
    return asSidecarRegression(resolved, spec);
  // A rollout family needs a Deployment (ReplicaSets) and a rollout inside the window.
  return hasRolloutInWindow(resolved)
    ? { ...resolved, workloadKind: 'Deployment', recentRollout: true }
    : resolved;
}

/**
 * The sidecar-image regression: the killed container is a sidecar declared in the template (a
 * sidecar's limit, no runtime heap flags), the application beside it; a Deployment with a rollout.
 */
function asSidecarRegression(resolved: ResolvedSpec, spec: ScenarioSpec): ResolvedSpec {
  const r = Random.derive(resolved.seed, 'sidecar-regression:limits');
  const limitBytes = spec.limitBytes ?? r.pick([128, 256, 384, 512]) * MI;
  return {
    ...resolved,
    container: drawTemplateSidecar(resolved.seed).name,
    // istio's metrics come from its proxy, which this pod does not have.
    trafficFamily:
      resolved.trafficFamily === 'istio_requests_total' ? 'http_requests_total' : resolved.trafficFamily,
    appContainer: resolved.container,
    sidecar: true,
    runtime: 'none',
    limitBytes,
    requestBytes: spec.requestBytes ?? roundTo(limitBytes / 2, 16 * MI),
    workloadKind: 'Deployment',
    recentRollout: true,
  };
}

/** deploy_regression and the variants in which a rollout confounds an older cause. */
export function hasRolloutInWindow(spec: { cause: ScenarioCause; variant: string }): boolean {
  return spec.cause === 'deploy_regression' || EXTRA_VARIANTS[spec.cause]?.includes(spec.variant) === true;
}
