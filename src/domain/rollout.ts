/**
 * The rollout inside the window, measured: the ReplicaSet before it and the one it created, what
 * changed in the diagnosed container's template (image, config, limit), and that container's
 * settled footprint in each revision's pods at matched traffic. Pure; read by the
 * deploy_regression scorer, the actions, limit_too_low's evidence and the chart.
 */
import type { Features, Lifetime } from './feature-types.ts';
import { median, quantile } from './series.ts';
import { WARMUP_SECONDS } from './thresholds.ts';
import type { ContainerSpec, Evidence, Revision, RevisionFacts, RolloutFacts } from './types.ts';

/** Samples each side needs before a footprint is reported. */
const MIN_SAMPLES = 20;

export interface Footprint {
  beforeBytes: number;
  afterBytes: number;
  /** after / before. */
  step: number;
  /** The request-rate band both sides were compared in; absent when they could not be matched. */
  trafficBand?: { lo: number; hi: number };
}

export interface RolloutAnalysis {
  at: number;
  current: Revision;
  previous: Revision;
  /** The diagnosed container in each revision's template, when the ReplicaSets carried it. */
  before?: ContainerSpec;
  after?: ContainerSpec;
  imageChanged: boolean;
  /** Env, command or args of the container changed. */
  configChanged: boolean;
  /** Another container's image changed (a sidecar), not the diagnosed one's. */
  otherImagesChanged: string[];
  limitBefore?: number;
  limitAfter?: number;
  footprint?: Footprint;
  /** Median total request rate after the rollout / before it. */
  trafficRatio?: number;
  killsBefore: number;
  killsAfter: number;
}

/** Pods of a Deployment's ReplicaSet are named `<replicaset>-<suffix>`. */
function belongsTo(pod: string, rs: Revision): boolean {
  return pod.startsWith(`${rs.name}-`);
}

function findContainer(rev: Revision, name: string): ContainerSpec | undefined {
  return rev.containers?.find((c) => c.name === name);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function configDiffers(a: ContainerSpec, b: ContainerSpec): boolean {
  const keys = new Set([...Object.keys(a.env), ...Object.keys(b.env)]);
  for (const k of keys) if (a.env[k] !== b.env[k]) return true;
  return !sameList(a.command, b.command) || !sameList(a.args, b.args);
}

/** The total request rate at `t` (nearest bucket at or before it). */
function trafficAt(f: Features, t: number): number | undefined {
  const total = f.traffic?.total;
  if (!total || total.t.length === 0) return undefined;
  let lo = 0;
  let hi = total.t.length - 1;
  if (t < (total.t[0] as number)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((total.t[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return total.v[lo];
}

interface Sample {
  v: number;
  rps?: number;
}

/** Settled samples of the lifetimes of `rev`'s pods on one side of the rollout. */
function settledSamples(f: Features, rev: Revision, keep: (t: number) => boolean): Sample[] {
  const out: Sample[] = [];
  const lives: Lifetime[] = f.lifetimes.filter((l) => belongsTo(l.pod, rev));
  for (const life of lives)
    for (let i = 0; i < life.t.length; i++) {
      const t = life.t[i] as number;
      if (!keep(t) || t - life.start < WARMUP_SECONDS) continue;
      out.push({ v: life.v[i] as number, rps: trafficAt(f, t) });
    }
  return out;
}

/** The overlap of the two sides' interquartile traffic ranges, when there is one. */
function matchBand(before: Sample[], after: Sample[]): { lo: number; hi: number } | undefined {
  const rb = before.map((s) => s.rps).filter((x): x is number => x !== undefined);
  const ra = after.map((s) => s.rps).filter((x): x is number => x !== undefined);
  if (rb.length < MIN_SAMPLES || ra.length < MIN_SAMPLES) return undefined;
  const lo = Math.max(quantile(rb, 0.2), quantile(ra, 0.2));
  const hi = Math.min(quantile(rb, 0.8), quantile(ra, 0.8));
  return hi >= lo ? { lo, hi } : undefined;
}

function measureFootprint(before: Sample[], after: Sample[]): Footprint | undefined {
  if (before.length < MIN_SAMPLES || after.length < MIN_SAMPLES) return undefined;
  const band = matchBand(before, after);
  const inBand = (s: Sample) =>
    band === undefined || (s.rps !== undefined && s.rps >= band.lo && s.rps <= band.hi);
  const b = before.filter(inBand).map((s) => s.v);
  const a = after.filter(inBand).map((s) => s.v);
  const matched = band !== undefined && b.length >= MIN_SAMPLES && a.length >= MIN_SAMPLES;
  const bv = matched ? b : before.map((s) => s.v);
  const av = matched ? a : after.map((s) => s.v);
  const beforeBytes = median(bv);
  const afterBytes = median(av);
  if (!(beforeBytes > 0)) return undefined;
  return {
    beforeBytes,
    afterBytes,
    step: afterBytes / beforeBytes,
    ...(matched ? { trafficBand: band } : {}),
  };
}

function measureTrafficRatio(f: Features, at: number): number | undefined {
  const total = f.traffic?.total;
  if (!total) return undefined;
  const before = total.v.filter((_, i) => (total.t[i] as number) < at);
  const after = total.v.filter((_, i) => (total.t[i] as number) >= at + WARMUP_SECONDS);
  if (before.length < 3 || after.length < 3) return undefined;
  const b = median(before);
  return b > 0 ? median(after) / b : undefined;
}

/** The last two revisions and the time the newer one rolled out, if that was inside the window. */
function findRevisions(e: Evidence): { current: Revision; previous: Revision; at: number } | undefined {
  const revs = [...(e.workload?.revisions ?? [])].sort((a, b) => b.revision - a.revision);
  const [current, previous] = revs;
  if (!current || !previous || current.revision <= 0) return undefined;
  const at = current.createdAt ?? e.workload?.lastRolloutAt;
  if (at === undefined || at < e.window.start || at > e.at) return undefined;
  return { current, previous, at };
}

/** The rollout inside the window and what it changed, or undefined when there was none. */
export function analyseRollout(f: Features, e: Evidence): RolloutAnalysis | undefined {
  const found = findRevisions(e);
  if (!found) return undefined;
  const { current, previous, at } = found;
  const before = findContainer(previous, f.container);
  const after = findContainer(current, f.container);
  const otherImagesChanged = (current.containers ?? [])
    .filter((c) => c.name !== f.container)
    .filter((c) => {
      const old = findContainer(previous, c.name);
      return old !== undefined && old.image !== c.image;
    })
    .map((c) => c.name);
  const footprint = measureFootprint(
    settledSamples(f, previous, (t) => t < at),
    settledSamples(f, current, (t) => t >= at),
  );
  return {
    at,
    current,
    previous,
    before,
    after,
    imageChanged: before !== undefined && after !== undefined && before.image !== after.image,
    configChanged: before !== undefined && after !== undefined && configDiffers(before, after),
    otherImagesChanged,
    limitBefore: before?.limitBytes,
    limitAfter: after?.limitBytes,
    footprint,
    trafficRatio: measureTrafficRatio(f, at),
    killsBefore: f.oomKills.filter((k) => k.t < at).length,
    killsAfter: f.oomKills.filter((k) => k.t >= at).length,
  };
}

/** The rollout lowered the diagnosed container's limit and changed nothing else of it. */
export function onlyLoweredLimit(r: RolloutAnalysis): boolean {
  return (
    !r.imageChanged &&
    !r.configChanged &&
    r.limitBefore !== undefined &&
    r.limitAfter !== undefined &&
    r.limitAfter < r.limitBefore
  );
}

function revisionFacts(rev: Revision, footprintBytes: number | undefined): RevisionFacts {
  return {
    replicaSet: rev.name,
    revision: rev.revision,
    images: (rev.containers ?? []).map((c) => c.image),
    ...(footprintBytes !== undefined ? { footprintBytes: Math.round(footprintBytes) } : {}),
  };
}

/** The report's `rollout {from, to, at}`. */
export function toRolloutFacts(r: RolloutAnalysis): RolloutFacts {
  return {
    from: revisionFacts(r.previous, r.footprint?.beforeBytes),
    to: revisionFacts(r.current, r.footprint?.afterBytes),
    at: r.at,
  };
}
