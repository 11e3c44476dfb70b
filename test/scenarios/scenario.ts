/**
 * generateScenario: resolves a spec, lays out and simulates the world, and assembles what the
 * three files hold (scenario.yaml, cluster.yaml, the metric families) plus the ground truth.
 */
import { isBatchSpec, makeBatchPods, planBatchRuns } from './batch-family.ts';
import { buildObjects } from './cluster-objects.ts';
import { buildDemandModels } from './demand.ts';
import { buildMetrics } from './metric-families.ts';
import { nativeGrows } from './native-memory.ts';
import { Random } from './random.ts';
import {
  describeFamilyRollout,
  drawFamilyAmplitude,
  placeFamilyRollout,
  reviseFamilyRevisions,
} from './rollout-family.ts';
import { makeSafeRuntime } from './runtime-flags.ts';
import { clamp, DAY, formatIso, HOUR, parseIso, quantity, roundTo, STEP } from './shared.ts';
import { collectTerminations, simulateWorld } from './simulate.ts';
import {
  hasRolloutInWindow,
  type ResolvedSpec,
  resolveSpec,
  type ScenarioSpec,
  type Tuning,
} from './spec.ts';
import { makeNodes, makePods, makeRevisions } from './topology.ts';
import { buildTraffic, makeShares } from './traffic.ts';
import type { ExpectBlock, GeneratedScenario, KillRecord, ScenarioDocument, ScenarioTruth } from './types.ts';
import type { Revision, World } from './world.ts';

/** Generate one scenario. The same spec always yields the same scenario, byte for byte. */
export function generateScenario(input: ScenarioSpec): GeneratedScenario {
  const root = Random.derive(input.seed, `scenario:${input.cause}`);
  const spec = resolveSpec(input, root);
  const w = createWorld(spec, input.tuning ?? {}, root.fork('world'));
  planTimeline(w, input);
  layOutWorld(w);
  const causeRng = w.rng.fork('cause');
  buildDemandModels(w, causeRng);
  simulateWorld(w, causeRng);

  const metrics = buildMetrics(w);
  const clusterObjects = buildObjects(w);
  const terminations = collectTerminations(w);
  const oomKills = terminations.filter((t) => t.reason === 'OOMKilled').length;
  const { peak, peakPod } = findPeakDemand(w);

  const requestName = spec.requestBy === 'workload' ? spec.workload : spec.service;
  const scenarioYaml: ScenarioDocument = {
    name: spec.name,
    description: describe(w, oomKills),
    at: spec.at,
    request: spec.namespaceInRequest
      ? { service: requestName, namespace: spec.namespace }
      : { service: requestName },
    expect: buildExpectBlock(w, oomKills, peak),
  };

  const folder = `${spec.cause}-${requestName}`;
  return {
    name: folder,
    dirName: folder,
    spec,
    scenarioYaml,
    clusterObjects,
    metrics,
    truth: buildTruth(w, terminations, oomKills, peak, peakPod),
  };
}

/** The world before anything is laid out: the window, the limit, names and labels. */
function createWorld(spec: ResolvedSpec, tuning: Tuning, rng: Random): World {
  const at = parseIso(spec.at, 'at');
  const W = Math.round(spec.windowHours * HOUR);
  if (!(W >= HOUR)) throw new Error('windowHours must be at least 1');
  const T0 = at - W;
  const n = Math.floor(W / STEP) + 1;
  const L = spec.limitBytes;
  const killOvershoot = tuning.killOvershoot ?? rng.float(0.004, 0.03);
  const names = labelsFor(spec, rng.fork('labels'));

  return {
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
}

/** Cause timeline first (the surge), then the rollouts: the distractor must stay clear of it. */
function planTimeline(w: World, input: ScenarioSpec): void {
  const { spec, tuning, at, W, T0 } = w;
  const tl = w.rng.fork('timeline');
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
  if (hasRolloutInWindow(spec)) placeFamilyRollout(w);
  w.revisions = makeRevisions(w);
  if (hasRolloutInWindow(spec)) reviseFamilyRevisions(w);
  w.lastRolloutAt = (w.revisions[0] as Revision).createdAt;
  if (isBatchSpec(spec)) w.batch = planBatchRuns(w);
}

/** Nodes, traffic shares, the traffic itself, the pods and their (safe) runtime settings. */
function layOutWorld(w: World): void {
  const { spec, tuning, rng } = w;
  const nodeCount = tuning.nodeCount ?? clamp(spec.replicas + rng.int(-1, 2), 2, 6);
  w.nodes = makeNodes(w, nodeCount);
  w.shares = makeShares(spec.replicas, spec.unevenLoad, rng.fork('shares'));

  // Every entry of the table draws, in order: a new cause's amplitude is drawn apart (native memory
  // from the main stream only for its own scenarios, a rollout family from its own stream) so older
  // scenarios stay byte for byte.
  const nativeAmplitude = spec.cause === 'native_memory' ? rng.float(0.05, 0.25) : undefined;
  const amplitude =
    tuning.diurnalAmplitude ??
    nativeAmplitude ??
    (spec.cause === 'deploy_regression' ? drawFamilyAmplitude(w) : undefined) ??
    (
      {
        limit_too_low: rng.float(0.03, 0.12),
        memory_leak: spec.variant === 'traffic-driven' ? rng.float(0.25, 0.5) : rng.float(0.05, 0.3),
        traffic_surge: rng.float(0.03, 0.15),
        node_pressure: rng.float(0.1, 0.4),
        heap_misconfigured: rng.float(0.05, 0.25),
        no_oom: rng.float(0.05, 0.4),
      } as Record<string, number>
    )[spec.cause] ??
    0.1;
  buildTraffic(w, amplitude, rng.fork('traffic'));
  w.pods = w.batch ? makeBatchPods(w, w.batch) : makePods(w);
  w.runtimeEnv = makeSafeRuntime(w, rng.fork('runtime'));
}

/** The largest uncapped demand of any container lifetime, and the pod that had it. */
function findPeakDemand(w: World): { peak: number; peakPod: string } {
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
  return { peak, peakPod };
}

/** What a correct diagnosis says: the `expect` block, its keys in a fixed order. */
function buildExpectBlock(w: World, oomKills: number, peak: number): ExpectBlock {
  const spec = w.spec;
  const expect: ExpectBlock = { cause: spec.cause, oomKills };
  if (w.alsoAcceptable) expect.alsoAcceptable = w.alsoAcceptable;
  if (w.surgeAt !== undefined) expect.surgeStartedAt = formatIso(w.surgeAt);
  if (spec.cause === 'heap_misconfigured' && spec.runtime !== 'none') expect.runtime = spec.runtime;
  if (spec.cause === 'limit_too_low' || spec.cause === 'traffic_surge') {
    expect.recommendation = { container: spec.container, memoryLimitBytes: { min: peak, max: peak * 4 } };
  }
  if (spec.cause === 'node_pressure' || spec.cause === 'memory_leak') expect.noLimitIncrease = true;
  if (spec.cause === 'native_memory' && nativeGrows(spec.variant)) expect.noLimitIncrease = true;
  const ordered: ExpectBlock = {
    cause: expect.cause,
    ...(expect.alsoAcceptable ? { alsoAcceptable: expect.alsoAcceptable } : {}),
    ...(expect.surgeStartedAt ? { surgeStartedAt: expect.surgeStartedAt } : {}),
    ...(expect.runtime ? { runtime: expect.runtime } : {}),
    ...(expect.recommendation ? { recommendation: expect.recommendation } : {}),
    ...(expect.noLimitIncrease ? { noLimitIncrease: true } : {}),
    oomKills,
  };
  return ordered;
}

/** Whether the workload died (killed or evicted) on the node that ran out of memory, inside the window. */
function isPressureVictim(w: World, terminations: KillRecord[]): boolean {
  const node = w.pressureNode?.name;
  if (!node) return false;
  const inWindow = (t: number) => t > w.T0 && t <= w.at;
  return (
    terminations.some((k) => k.node === node && inWindow(k.at)) ||
    w.evictions.some((e) => e.node === node && inWindow(e.at))
  );
}

function buildTruth(
  w: World,
  terminations: KillRecord[],
  oomKills: number,
  peak: number,
  peakPod: string,
): ScenarioTruth {
  const { spec, T0, at, L } = w;
  return {
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
    ...(isPressureVictim(w, terminations) ? { nodePressureVictim: true } : {}),
    ...(w.runtimeEnv.heapCeiling !== undefined
      ? { heapCeilingBytes: Math.round(w.runtimeEnv.heapCeiling) }
      : {}),
    ...(w.runtimeEnv.flag ? { heapSetting: w.runtimeEnv.flag } : {}),
    ...(hasRolloutInWindow(spec) ? { rollout: describeFamilyRollout(w) } : {}),
    ...(w.batch
      ? { batch: { schedule: w.batch.schedule, growthPerRun: w.batch.growthPerRun, runs: w.batch.runs } }
      : {}),
  };
}

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
    `Traffic: ${s.trafficFamily}; scrape ${s.intervalSeconds}s${s.gaps ? ' with gaps' : ''}; runtime ${s.runtime}${s.sidecar ? '; istio sidecar' : ''}${s.recentRollout ? (hasRolloutInWindow(s) ? '; a rollout in the window' : '; recent rollout (not the cause)') : ''}${s.unevenLoad ? '; uneven load' : ''}.`,
  ];
  if (w.surgeAt !== undefined)
    parts.push(`Traffic x${(w.surgeFactor ?? 1).toFixed(1)} from ${formatIso(w.surgeAt)}.`);
  return parts.join(' ');
}
