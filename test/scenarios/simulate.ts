/**
 * The simulation of each container on the STEP grid: demand, the kernel's OOM kill at the limit,
 * CrashLoopBackOff delays, forced exits; then node memory and pressure, the fix-ups that make
 * sure a cause shows, the restarts before the window and eviction messages.
 */

import { addSpike } from './demand.ts';
import { nativeShape } from './native-memory.ts';
import { Random } from './random.ts';
import { clamp, DAY, fractionalPart, HOUR, MI, quantity, READY_DELAY, STEP, smoothstep } from './shared.ts';
import { addSidecarModels, simulateSidecar } from './sidecar.ts';
import { countRequestsUntil } from './traffic.ts';
import type { KillRecord } from './types.ts';
import {
  type DemandModel,
  type ForcedEvent,
  makeArNoise,
  type PodInstance,
  type PressureEpisode,
  type SimResult,
  type Termination,
  toStep,
  type World,
} from './world.ts';

/**
 * Simulate every container of the world, after the demand models are built: the fix-ups draw
 * from `causeRng`, the world's stream gives the history before the window and the background
 * OOM kills. Fills pod.sim, the sidecars' working sets, node OOM records and node memory.
 */
export function simulateWorld(w: World, causeRng: Random): void {
  const spec = w.spec;
  if (spec.sidecar) addSidecarModels(w);

  for (const pod of w.pods) pod.sim = simulatePod(w, pod);
  fixUpCause(w, causeRng.fork('fixups'));
  for (const pod of w.pods) pod.sidecarWs = spec.sidecar ? simulateSidecar(w, pod) : undefined;
  addPriorHistory(w, w.rng.fork('history'));
  finishEvictions(w);
  recordNodeOomKills(w);
  addBackgroundOomKills(w);
  buildNodeMemory(w);
}

/** Kills count on the node's oom_kill counter too (the kernel counts cgroup OOM kills). */
function recordNodeOomKills(w: World): void {
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
          pid: Random.derive(w.spec.seed, `pid:${t.finishedAt}`).int(1000, 60000),
        });
      }
    }
  }
}

/** Now and then some other process on a node was OOM killed in the window. */
function addBackgroundOomKills(w: World): void {
  const bg = w.rng.fork('background-ooms');
  if (bg.chance(0.3)) {
    const node = bg.pick(w.nodes);
    const k = bg.int(1, 3);
    for (let i = 0; i < k; i++) node.oomKillTimes.push(bg.float(w.T0, w.at));
  }
}

function demandAt(w: World, m: DemandModel, share: number, i: number, age: number, lifeCum0: number): number {
  let warm = 1;
  if (age < m.warmTau * 12) warm = m.warmStart + (1 - m.warmStart) * (1 - Math.exp(-age / m.warmTau));
  let d = warm * (m.base + m.perReq * share * (w.R[i] as number)) + (m.noise[i] as number);
  if (m.spikes) d += m.spikes[i] as number;
  if (m.saw) d += warm * m.saw.amp * fractionalPart(age / m.saw.period);
  if (m.leak) d += m.leak.g * age ** m.leak.p;
  if (m.leakPerRequest !== undefined) d += m.leakPerRequest * share * ((w.cumR[i] as number) - lifeCum0);
  if (m.heap) {
    const h = m.heap;
    d +=
      h.ceiling * (h.start + (1 - h.start) * (1 - Math.exp(-age / h.tau))) +
      h.youngAmp * fractionalPart(age / h.youngPeriod);
  }
  return Math.max(d, 4 * MI);
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
  const L = pod.rev.limitBytes ?? w.L;
  const killAt = L * (w.killAt / w.L);
  const capLevel = L * 0.9975;
  let waiting = pod.firstLifeStart > w.T0 + from * STEP;
  let lifeStart = pod.firstLifeStart;
  let restartAt = pod.firstLifeStart;
  let lifeCum0 = countRequestsUntil(w, lifeStart);
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
      lifeCum0 = countRequestsUntil(w, lifeStart);
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
    if (d >= killAt) {
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

export function collectTerminations(w: World): KillRecord[] {
  const out: KillRecord[] = [];
  for (const pod of w.pods) {
    const sim = pod.sim;
    if (!sim) continue;
    for (const t of sim.terms) {
      if (t.finishedAt <= w.T0 || t.finishedAt > w.at) continue;
      const i = clamp(toStep(w, t.finishedAt), 0, w.n - 1);
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
    const walk = makeArNoise(r, w.n, othersBase * 0.05, r.float(1800, 7200));
    const jitter = makeArNoise(r, w.n, 6 * MI, 60);
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

/** Re-simulate where the drawn parameters missed the cause's defining property. */
function fixUpCause(w: World, r: Random): void {
  const cause = w.spec.cause === 'native_memory' ? nativeShape(w.spec.variant) : w.spec.cause;
  const kills = () =>
    w.pods.reduce(
      (a, p) => a + (p.sim?.terms.filter((t) => t.reason === 'OOMKilled' && t.finishedAt > w.T0).length ?? 0),
      0,
    );
  if (cause === 'limit_too_low') {
    for (let attempt = 0; attempt < 4 && kills() === 0; attempt++) {
      // Force one spike over the limit in the pod that ran longest.
      const pod = w.pods.reduce((best, p) => (countRunningSteps(p) > countRunningSteps(best) ? p : best));
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

function countRunningSteps(p: PodInstance): number {
  const sim = p.sim;
  if (!sim) return 0;
  let c = 0;
  for (let i = sim.from; i < sim.to; i++) c += sim.running[i] as number;
  return c;
}

/** Restarts before the window, consistent with the first lifetime's start and the cause. */
function addPriorHistory(w: World, r: Random): void {
  const chronic =
    w.spec.cause === 'limit_too_low' ||
    w.spec.cause === 'memory_leak' ||
    w.spec.cause === 'heap_misconfigured' ||
    w.spec.cause === 'native_memory';
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
    const i = clamp(toStep(w, pod.endAt) - 1, 0, w.n - 1);
    const usage = pod.sim?.ws[i] ?? 0;
    const floor =
      node.episodes.length > 0 ? (node.episodes[node.episodes.length - 1] as PressureEpisode).floor : 50 * MI;
    const thr = quantity(node.thresholdBytes);
    pod.evictionMessage = `The node was low on resource: memory. Threshold quantity: ${thr}, available: ${Math.round(floor / 1024)}Ki. Container ${w.spec.container} was using ${Math.round(usage / 1024)}Ki, request is ${quantity(w.request)}, has larger consumption of its request. `;
  }
}
