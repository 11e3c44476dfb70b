/**
 * The istio-proxy sidecar: its image, its memory limit, its demand model and its working set.
 * It shares the pod with the main container and is never the container that dies.
 */
import { Random } from './random.ts';
import { GI, MI, STEP } from './shared.ts';
import { makeArNoise, type PodInstance, type World } from './world.ts';

export const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.24.2';

export function drawSidecarLimit(w: World): number {
  const r = Random.derive(w.spec.seed, 'sidecar-limit');
  return r.pick([GI, GI, 512 * MI, 0]);
}

/** A sidecar demand model for every pod: footprint, traffic share and noise. */
export function addSidecarModels(w: World): void {
  for (const pod of w.pods) {
    const sr = Random.derive(w.spec.seed, `sidecar:${pod.name}:${pod.createdAt}`);
    const base = sr.float(35, 120) * MI;
    pod.sidecar = {
      base,
      perReq: (sr.float(2, 25) * MI) / Math.max(1e-6, w.Rmean * pod.share),
      noise: makeArNoise(sr, w.n, 1.5 * MI, 120),
    };
  }
}

export function simulateSidecar(w: World, pod: PodInstance): Float64Array {
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
