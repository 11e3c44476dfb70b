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
 *
 * This module is the generator's public entry; the work is done by the modules next to it:
 *   spec.ts             causes, variants, the spec and its resolution from the seed
 *   types.ts            output types (series, documents, ground truth)
 *   scenario.ts         generateScenario: builds, simulates and assembles one scenario
 *   world.ts            the simulated world's internal types
 *   topology.ts         nodes, revisions, pods
 *   traffic.ts          the request rate and its shares
 *   runtime-flags.ts    JVM / Node.js / Go heap settings
 *   demand.ts           demand models, one builder per cause
 *   sidecar.ts          the second container: istio-proxy, or the app beside a killed sidecar
 *   simulate.ts         the container, kill, restart and node memory simulation
 *   series.ts           scrape schedules and families of series
 *   metric-families.ts  the metric families sampled from the simulation
 *   traffic-metrics.ts  the request counters
 *   cluster-objects.ts  cluster.yaml's objects (with workload-objects.ts, pod-object.ts, events.ts)
 *   render.ts           OpenMetrics and YAML rendering, writeScenario
 *   corpus.ts           corpora and the seed incident
 *   rollout-family.ts   deploy_regression and the rollouts that confound older causes
 *   batch-family.ts     a CronJob whose runs grow run over run until the latest is killed
 *   shared.ts           units and small helpers
 */
export {
  type CorpusOptions,
  corpusSpecs,
  generateCorpus,
  inCorpus,
  SEED_INCIDENT_SPEC,
  seedIncident,
} from './corpus.ts';
export {
  renderClusterYaml,
  renderOpenMetrics,
  renderOpenMetricsChunks,
  renderScenarioYaml,
  writeScenario,
} from './render.ts';
export { ROLLOUT_CASES, type RolloutTruth } from './rollout-family.ts';
export { generateScenario } from './scenario.ts';
export { quantity } from './shared.ts';
export {
  EXTRA_CAUSES,
  EXTRA_VARIANTS,
  type ResolvedSpec,
  type RuntimeChoice,
  SCENARIO_CAUSES,
  type ScenarioCause,
  type ScenarioSpec,
  type ScrapeInterval,
  TRAFFIC_CHOICES,
  type TrafficChoice,
  type Tuning,
  VARIANTS,
  type WorkloadKindChoice,
} from './spec.ts';
export type {
  ExpectBlock,
  GeneratedScenario,
  KillRecord,
  KubeDocument,
  MetricFamily,
  MetricSeries,
  ScenarioDocument,
  ScenarioTruth,
} from './types.ts';
