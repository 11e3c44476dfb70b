/**
 * The second container of a pod: usually the istio-proxy sidecar (injected, so not in the workload's
 * template), its image, its memory limit, its demand model and its working set. It shares the pod
 * with the simulated container and is never the container that dies. In the sidecar-image
 * regression the roles swap: the simulated container is a sidecar declared in the template, and
 * this quiet second container is the application itself (see {@link secondContainer}).
 */
import { Random } from './random.ts';
import { GI, MI, STEP } from './shared.ts';
import { makeArNoise, type PodInstance, type World } from './world.ts';

export const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.24.2';

/** The quiet second container's name and image, and whether it is istio's injected proxy. */
export interface SecondContainer {
  name: string;
  image: string;
  istio: boolean;
}

export function secondContainer(w: World): SecondContainer {
  return w.companion
    ? { name: w.companion.name, image: w.companion.image, istio: false }
    : { name: 'istio-proxy', image: SIDECAR_IMAGE, istio: true };
}

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
