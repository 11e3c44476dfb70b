/**
 * Demand models, one builder per cause: each pod's memory demand curve (footprint, traffic
 * share, spikes, sawtooth, leak or heap growth), forced terminations and node pressure episodes.
 */

import { buildBatchDemand } from './batch-family.ts';
import { makeNativeRuntime, nativeGrows } from './native-memory.ts';
import type { Random } from './random.ts';
import { buildDeployRegression } from './rollout-family.ts';
import { makeBadRuntime } from './runtime-flags.ts';
import { ceilTo, clamp, DAY, HOUR, MI, STEP } from './shared.ts';
import { makePod } from './topology.ts';
import {
  type DemandModel,
  makeArNoise,
  type NodeGen,
  type PodInstance,
  toStep,
  type World,
} from './world.ts';

/** Each pod's demand model for the scenario's cause (and node episodes, forced exits, evictions). */
export function buildDemandModels(w: World, r: Random): void {
  switch (w.spec.cause) {
    case 'limit_too_low':
      if (w.batch) buildBatchDemand(w, w.batch);
      else buildLimitTooLow(w, r);
      break;
    case 'memory_leak':
      buildMemoryLeak(w, r);
      break;
    case 'traffic_surge':
      buildTrafficSurge(w, r);
      break;
    case 'node_pressure':
      buildNodePressure(w, r);
      break;
    case 'heap_misconfigured':
      buildHeapMisconfigured(w, r);
      break;
    case 'no_oom':
      buildNoOom(w, r);
      break;
    case 'native_memory':
      buildNativeMemory(w, r);
      break;
    case 'deploy_regression':
      buildDeployRegression(w);
      break;
  }
}

export function addSpike(arr: Float64Array, w: World, t: number, height: number, duration: number): void {
  const rise = duration * 0.3;
  const from = Math.max(0, toStep(w, t));
  const to = Math.min(w.n, toStep(w, t + duration) + 1);
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
    noise: makeArNoise(r, w.n, footprint * (w.tuning.noise ?? r.float(0.004, 0.012)), r.float(20, 240)),
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
  const sTo = Math.max(0, Math.min(w.n, toStep(w, tS)));
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
  w.runtimeEnv = makeBadRuntime(w, r, ceiling);
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

/** Native memory: a low heap ceiling, and a footprint past it that grows or stays high. */
function buildNativeMemory(w: World, r: Random): void {
  w.runtimeEnv = makeNativeRuntime(w, r.fork('native-runtime'));
  if (nativeGrows(w.spec.variant)) buildMemoryLeak(w, r);
  else buildLimitTooLow(w, r);
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
  const variant = w.spec.variant;
  // the victim runs close to its own limit: the node's neighbour, not the limit, kills it
  if (variant === 'victim') buildQuiet(w, r, 0.66, 0.8);
  else buildQuiet(w, r, 0.3, 0.62);
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
    noise: makeArNoise(pr, w.n, m.base * 0.008 + MI, pr.float(20, 240)),
    ...(m.saw ? { saw: { ...m.saw } } : {}),
    ...(m.leak ? { leak: { ...m.leak } } : {}),
    ...(m.heap ? { heap: { ...m.heap } } : {}),
  };
  w.pods.push(replacement);
}
