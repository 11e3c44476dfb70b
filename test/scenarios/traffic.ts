/**
 * The service's request rate over the window (diurnal cycle, noise, an optional surge), how the
 * replicas share it, and the cumulative request count at any time.
 */
import type { Random } from './random.ts';
import { clamp, DAY, HOUR, STEP, smoothstep } from './shared.ts';
import { makeArNoise, toStep, type World } from './world.ts';

export function buildTraffic(w: World, amplitude: number, r: Random): void {
  const R0 = w.tuning.requestRate ?? clamp(r.logNormal(35 * w.spec.replicas, 0.8), 2, 5000);
  const peakHour = r.float(12, 20);
  const noise = makeArNoise(r, w.n, r.float(0.015, 0.04), r.float(120, 900));
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

export function makeShares(replicas: number, uneven: boolean, r: Random): number[] {
  const raw: number[] = [];
  for (let i = 0; i < replicas; i++) raw.push(uneven ? r.logNormal(1, 0.4) : r.float(0.97, 1.03));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => x / total);
}

export function countRequestsUntil(w: World, t: number): number {
  if (t <= w.T0) return -(w.T0 - t) * w.Rmean;
  const i = Math.min(w.n - 1, toStep(w, t));
  return w.cumR[i] as number;
}
