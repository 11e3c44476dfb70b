/**
 * Corpora and the seed incident: the specs of a varied corpus (causes in turn, every variant,
 * traffic family and scrape interval), corpus folder names, and the product's seed incident.
 */
import { Random } from './random.ts';
import { rolloutCorpusSpecs } from './rollout-family.ts';
import { generateScenario } from './scenario.ts';
import { MI } from './shared.ts';
import {
  SCENARIO_CAUSES,
  type ScenarioCause,
  type ScenarioSpec,
  type ScrapeInterval,
  TRAFFIC_CHOICES,
  VARIANTS,
} from './spec.ts';
import type { GeneratedScenario } from './types.ts';

export interface CorpusOptions {
  seed: number;
  count: number;
  /** Restrict the corpus to one cause. */
  cause?: ScenarioCause;
  /**
   * `core` (default): the six older causes in turn; `rollout`: deploy_regression and its
   * confounders; `causes`: the shapes real incidents add (see {@link CAUSE_FAMILY_CASES}).
   */
  families?: 'core' | 'rollout' | 'causes';
}

/**
 * The cause families, in turn: node pressure whose killed workload is the victim (close to its own
 * limit), a rollout landing with a traffic surge, a rollout that only lowered the limit, a JVM with
 * -Xmx well under the limit and direct buffers growing, the regressions of a rollout, and a CronJob
 * whose runs grow until the latest is killed, and a regression in a sidecar's image (the sidecar killed).
 */
export const CAUSE_FAMILY_CASES: ReadonlyArray<{
  cause: ScenarioCause;
  variant: string;
  runtime?: 'jvm';
}> = [
  { cause: 'node_pressure', variant: 'victim' },
  { cause: 'traffic_surge', variant: 'with-rollout' },
  { cause: 'limit_too_low', variant: 'limit-lowered' },
  { cause: 'native_memory', variant: 'direct-buffers', runtime: 'jvm' },
  { cause: 'deploy_regression', variant: 'image' },
  { cause: 'deploy_regression', variant: 'config' },
  { cause: 'limit_too_low', variant: 'batch-growth' },
  { cause: 'deploy_regression', variant: 'sidecar-image' },
];

/** The specs of the cause-family corpus: the cases in turn, every scrape interval and traffic family. */
function causeFamilySpecs(seed: number, count: number): ScenarioSpec[] {
  const intervals: ScrapeInterval[] = [15, 30, 60];
  const out: ScenarioSpec[] = [];
  for (let i = 0; i < count; i++) {
    const c = CAUSE_FAMILY_CASES[i % CAUSE_FAMILY_CASES.length] as (typeof CAUSE_FAMILY_CASES)[number];
    const round = Math.floor(i / CAUSE_FAMILY_CASES.length);
    const r = Random.derive(seed, `cause-family:${i}`);
    const families = TRAFFIC_CHOICES.filter((f) => f !== 'none');
    out.push({
      seed: r.uint32(),
      cause: c.cause,
      variant: c.variant,
      intervalSeconds: intervals[(round + i) % 3],
      trafficFamily: families[(round * 3 + i) % families.length],
      ...(c.runtime ? { runtime: c.runtime } : {}),
    });
  }
  return out;
}

/** The specs of a corpus: causes in turn, every variant, every traffic family and interval. */
export function corpusSpecs(options: CorpusOptions): ScenarioSpec[] {
  if (options.families === 'rollout') return rolloutCorpusSpecs(options.seed, options.count);
  if (options.families === 'causes') return causeFamilySpecs(options.seed, options.count);
  const causes: readonly ScenarioCause[] = options.cause ? [options.cause] : SCENARIO_CAUSES;
  const out: ScenarioSpec[] = [];
  const intervals: ScrapeInterval[] = [15, 30, 60];
  for (let i = 0; i < options.count; i++) {
    const cause = causes[i % causes.length] as ScenarioCause;
    const round = Math.floor(i / causes.length);
    const ci = (SCENARIO_CAUSES as readonly ScenarioCause[]).indexOf(cause);
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
