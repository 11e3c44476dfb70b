/**
 * The rollout family: scenarios with a rollout inside the window. deploy_regression (the new
 * ReplicaSet's image or config needs ≥ +40% memory at the same traffic; the kills begin after it)
 * and its confounders: a rollout that lands with a traffic surge (traffic_surge) and a rollout
 * that only lowered the limit (limit_too_low, the old limit in the previous ReplicaSet).
 * Its own corpus, so the default corpus of the older causes is unchanged for a seed.
 * All draws come from streams derived by name, never from the world's shared streams.
 */
import { Random } from './random.ts';
import { DAY, HOUR, MI, roundTo, STEP } from './shared.ts';
import type { ScenarioCause, ScenarioSpec, ScrapeInterval, TrafficChoice } from './spec.ts';
import { drawTemplateSidecar, TRAFFIC_CHOICES } from './spec.ts';
import { makeArNoise, type PodInstance, type Revision, toStep, type World } from './world.ts';

/** The cases of the rollout corpus, in turn: the expected cause and the variant that makes it. */
export const ROLLOUT_CASES: ReadonlyArray<{ cause: ScenarioCause; variant: string }> = [
  { cause: 'deploy_regression', variant: 'image' },
  { cause: 'traffic_surge', variant: 'with-rollout' },
  { cause: 'deploy_regression', variant: 'config' },
  { cause: 'limit_too_low', variant: 'limit-lowered' },
];

/** What the generator knows about the family's rollout; kept in the ground truth. */
export interface RolloutTruth {
  at: number;
  fromRevision: number;
  toRevision: number;
  /** deploy_regression: the new revision's footprint over the old one's at the same traffic. */
  footprintStep?: number;
  /** limit-lowered: the limit the previous revision had. */
  limitBeforeBytes?: number;
}

function familyRng(w: World, name: string): Random {
  return Random.derive(w.spec.seed, `rollout-family:${name}`);
}

/** Where the family's rollout lands: mid-window, or with the surge for the surge confounder. */
export function placeFamilyRollout(w: World): void {
  const r = familyRng(w, 'timeline');
  if (w.spec.cause === 'traffic_surge') {
    const surgeAt = w.surgeAt as number;
    w.distractorAt = Math.round(Math.min(w.at - HOUR, surgeAt + r.float(-15, 10) * 60));
    return;
  }
  w.distractorAt = Math.round(w.at - r.float(0.3, 0.6) * w.W);
}

/** The diurnal amplitude of a deploy_regression's traffic. */
export function drawFamilyAmplitude(w: World): number {
  return familyRng(w, 'traffic').float(0.03, 0.15);
}

function bumpMinor(version: string): string {
  const [major, minor] = version.split('.');
  return `${major}.${Number(minor ?? 0) + 1}.0`;
}

function setVersion(rev: Revision, version: string): void {
  const repo = rev.image.slice(0, rev.image.lastIndexOf(':'));
  rev.version = version;
  rev.image = `${repo}:${version}`;
}

/** Make the two newest revisions differ the way the case says: image, config or limit only. */
export function reviseFamilyRevisions(w: World): void {
  const [current, previous] = w.revisions;
  if (!current || !previous) throw new Error('a rollout family needs two revisions');
  const r = familyRng(w, 'revisions');
  delete current.templateAnnotations['kubectl.kubernetes.io/restartedAt'];
  const { cause, variant } = w.spec;
  if (variant === 'config' || variant === 'limit-lowered') setVersion(current, previous.version);
  else if (current.version === previous.version) setVersion(current, bumpMinor(previous.version));
  if (variant === 'config') {
    const before = r.pick([20000, 50000, 100000]);
    previous.extraEnv = [{ name: 'CACHE_MAX_ENTRIES', value: String(before) }];
    current.extraEnv = [{ name: 'CACHE_MAX_ENTRIES', value: String(before * r.pick([3, 4, 5])) }];
  }
  if (variant === 'sidecar-image') moveRolloutToSidecar(w);
  if (cause === 'limit_too_low') previous.limitBytes = roundTo(w.L * r.pick([1.5, 1.75, 2]), 64 * MI);
}

/**
 * The sidecar-image regression: the application keeps its image (the quiet second container) and the
 * revisions' images become the sidecar's, one minor version apart.
 */
function moveRolloutToSidecar(w: World): void {
  const sidecar = drawTemplateSidecar(w.spec.seed);
  const [current, ...older] = w.revisions as [Revision, ...Revision[]];
  w.companion = { name: w.spec.appContainer ?? 'app', image: (older[0] ?? current).image };
  for (const rev of older) {
    rev.version = sidecar.version;
    rev.image = `${sidecar.repository}:${sidecar.version}`;
  }
  current.version = bumpMinor(sidecar.version);
  current.image = `${sidecar.repository}:${current.version}`;
}

function addSpike(arr: Float64Array, w: World, t: number, height: number, duration: number): void {
  const from = Math.max(0, toStep(w, t));
  const to = Math.min(w.n, toStep(w, t + duration) + 1);
  for (let i = from; i < to; i++) {
    const dt = w.T0 + i * STEP - t;
    const shape = dt < duration * 0.3 ? dt / (duration * 0.3) : 1 - (dt - duration * 0.3) / (duration * 0.7);
    arr[i] = (arr[i] as number) + height * Math.max(0, shape);
  }
}

/** The footprint steps up in the new revision's pods; spikes on top of it reach the limit. */
export function buildDeployRegression(w: World): void {
  const r = familyRng(w, 'demand');
  const current = w.revisions[0] as Revision;
  const step = r.float(1.45, 1.9);
  const after = w.L * r.float(0.84, 0.93);
  const trafficShare = r.float(0, 0.3);
  const warmTau = r.float(20, 180);
  for (const pod of w.pods) {
    const pr = r.fork(pod.name);
    const isNew = pod.rev === current;
    const footprint = (isNew ? after : after / step) * pr.float(0.98, 1.02);
    const podRate = w.Rmean * pod.share;
    const spikes = new Float64Array(w.n);
    if (isNew) addRegressionSpikes(w, pod, spikes, footprint, pr);
    pod.model = {
      base: footprint * (1 - trafficShare),
      perReq: podRate > 0 ? (footprint * trafficShare) / podRate : 0,
      warmStart: pr.float(0.55, 0.85),
      warmTau,
      noise: makeArNoise(pr, w.n, footprint * pr.float(0.004, 0.01), pr.float(20, 240)),
      spikes,
    };
  }
  w.familyStep = step;
}

/** Spikes over the limit in a new pod's life: a few a day, at least one. */
function addRegressionSpikes(w: World, pod: PodInstance, spikes: Float64Array, top: number, r: Random): void {
  const from = Math.max(w.T0, pod.createdAt) + 20 * 60;
  if (from >= w.at) return;
  const count = Math.max(1, Math.round((r.float(3, 12) * (w.at - from)) / DAY));
  for (let k = 0; k < count; k++) {
    const need = w.killAt - top;
    const h = k === 0 ? need * r.float(1.1, 1.4) : need * r.float(0.5, 1.5);
    addSpike(spikes, w, r.float(from, w.at), Math.min(h, w.L * 1.4 - top), r.float(30, 300));
  }
}

/** The ground truth of the family's rollout. */
export function describeFamilyRollout(w: World): RolloutTruth {
  const [current, previous] = w.revisions as [Revision, Revision];
  return {
    at: current.createdAt,
    fromRevision: previous.number,
    toRevision: current.number,
    ...(w.familyStep !== undefined ? { footprintStep: w.familyStep } : {}),
    ...(previous.limitBytes !== undefined ? { limitBeforeBytes: previous.limitBytes } : {}),
  };
}

/** The specs of the rollout corpus: the cases in turn, every scrape interval and traffic family. */
export function rolloutCorpusSpecs(seed: number, count: number): ScenarioSpec[] {
  const intervals: ScrapeInterval[] = [15, 30, 60];
  const out: ScenarioSpec[] = [];
  for (let i = 0; i < count; i++) {
    const c = ROLLOUT_CASES[i % ROLLOUT_CASES.length] as (typeof ROLLOUT_CASES)[number];
    const round = Math.floor(i / ROLLOUT_CASES.length);
    const r = Random.derive(seed, `rollout-corpus:${i}`);
    // A regression is measured at matched traffic: it needs a request rate to match on.
    const families: readonly TrafficChoice[] = TRAFFIC_CHOICES.filter((f) => f !== 'none');
    out.push({
      seed: r.uint32(),
      cause: c.cause,
      variant: c.variant,
      intervalSeconds: intervals[(round + i) % 3],
      trafficFamily: families[(round * 3 + i) % families.length],
      workloadKind: 'Deployment',
      recentRollout: true,
    });
  }
  return out;
}
