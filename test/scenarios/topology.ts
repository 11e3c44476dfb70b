/**
 * The world's layout: nodes (named like EKS, GKE, AKS or plain clusters), the workload's
 * revisions and the pods of each replica slot, including those replaced by a rollout.
 */
import type { Random } from './random.ts';
import {
  bumpPatch,
  DAY,
  formatIso,
  GI,
  HEX,
  HOUR,
  K8S_ALPHABET,
  MI,
  READY_DELAY,
  roundTo,
} from './shared.ts';
import type { DemandModel, NodeGen, PodInstance, Revision, World } from './world.ts';

export function makeNodes(w: World, count: number): NodeGen[] {
  const r = w.rng.fork('nodes');
  const style = r.pick(['eks', 'eks', 'gke', 'aks', 'plain']);
  const region = r.pick(['us-east-1', 'eu-west-1', 'us-west-2', 'eu-central-1']);
  const clusterName = r.pick(['prod', 'main', 'core', 'apps', 'blue']);
  const gkeHash = r.chars(8, HEX);
  const aksId = String(r.int(10000000, 99999999));
  const sizes = [8, 16, 32, 64, 128];
  // Size nodes so that our pods are a minority of the node's memory.
  const perNode = Math.ceil(w.spec.replicas / count) + 1;
  const needGi = ((perNode * (w.L + (w.spec.sidecar ? 256 * MI : 0))) / 0.35 + 2 * GI) / GI;
  const minGi = sizes.find((s) => s >= needGi) ?? 128;
  const nodes: NodeGen[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    const gi = r.chance(0.7) ? minGi : (sizes.find((s) => s > minGi) ?? minGi);
    const ipC = r.int(0, 63);
    const ipD = r.int(2, 250);
    const ip = `10.0.${ipC}.${ipD}`;
    let name: string;
    let instanceType: string;
    const family = r.pick(['m5', 'm6i', 'r5', 'c6i']);
    const awsSize =
      gi <= 8 ? 'large' : gi <= 16 ? 'xlarge' : gi <= 32 ? '2xlarge' : gi <= 64 ? '4xlarge' : '8xlarge';
    if (style === 'eks') {
      name =
        region === 'us-east-1'
          ? `ip-10-0-${ipC}-${ipD}.ec2.internal`
          : `ip-10-0-${ipC}-${ipD}.${region}.compute.internal`;
      instanceType = `${family}.${awsSize}`;
    } else if (style === 'gke') {
      name = `gke-${clusterName}-default-pool-${gkeHash}-${r.chars(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
      instanceType = `e2-standard-${Math.max(2, gi / 4)}`;
    } else if (style === 'aks') {
      name = `aks-nodepool1-${aksId}-vmss${String(r.int(0, 60)).padStart(6, '0')}`;
      instanceType = `Standard_D${Math.max(2, gi / 4)}s_v5`;
    } else {
      name = `worker-${r.int(1, 40)}`;
      instanceType = `${family}.${awsSize}`;
    }
    if (used.has(name)) {
      i--;
      continue;
    }
    used.add(name);
    const memTotal = gi * GI;
    const reserved = roundTo(memTotal * r.float(0.05, 0.08), MI);
    nodes.push({
      name,
      ip,
      podCidrIndex: i + 1 + r.int(0, 30) * 8,
      instanceType,
      memTotal,
      allocatable: memTotal - roundTo(memTotal * 0.03, MI) - 100 * MI,
      reserved,
      createdAt: w.at - r.float(3, 60) * DAY,
      othersFrac: r.float(0.25, 0.5),
      oomKillTimes: [],
      systemOoms: [],
      episodes: [],
      thresholdBytes: 100 * MI,
    });
  }
  return nodes;
}

export function makeK8sHash(rng: Random, length = 10): string {
  return rng.chars(length, K8S_ALPHABET);
}

export function makeRevisions(w: World): Revision[] {
  const r = w.rng.fork('revisions');
  const spec = w.spec;
  const sts = spec.workloadKind === 'StatefulSet';
  const current = r.int(3, 40);
  const version = `${r.int(1, 4)}.${r.int(0, 40)}.${r.int(3, 15)}`;
  const count = r.chance(0.5) ? 3 : 2;
  const registry = r.pick([
    `registry.example.com/${spec.namespace}/${spec.workload}`,
    `ghcr.io/example-org/${spec.workload}`,
    `123456789012.dkr.ecr.us-east-1.amazonaws.com/${spec.workload}`,
  ]);
  // A distractor rollout is an image bump or a plain `kubectl rollout restart`.
  const restartOnly = w.distractorAt !== undefined && r.chance(0.35);
  const revs: Revision[] = [];
  let t = w.distractorAt ?? w.lastRolloutAt;
  for (let k = 0; k < count; k++) {
    const hash = sts ? r.chars(10, 'bcdf0123456789') : makeK8sHash(r);
    const v = bumpPatch(version, restartOnly && k > 0 ? 1 - k : -k);
    const templateAnnotations: Record<string, string> = {};
    if (restartOnly && k === 0)
      templateAnnotations['kubectl.kubernetes.io/restartedAt'] = formatIso(t - r.int(5, 40));
    revs.push({
      number: current - k,
      hash,
      name: `${spec.workload}-${hash}`,
      createdAt: Math.round(t),
      version: restartOnly && k === 0 ? bumpPatch(version, 0) : v,
      image: '',
      templateAnnotations,
    });
    t -= r.float(2, 25) * DAY;
  }
  if (restartOnly && revs[1]) revs[1].version = revs[0]?.version ?? revs[1].version;
  for (const rev of revs) rev.image = `${registry}:${rev.version}`;
  return revs;
}

function podIp(node: NodeGen, rng: Random): string {
  return `10.244.${node.podCidrIndex % 250}.${rng.int(2, 250)}`;
}

function newPodName(w: World, rev: Revision, slot: number, rng: Random): string {
  if (w.spec.workloadKind === 'StatefulSet') return `${w.spec.workload}-${slot}`;
  return `${w.spec.workload}-${rev.hash}-${rng.chars(5, K8S_ALPHABET)}`;
}

function emptyModel(w: World): DemandModel {
  return { base: 0, perReq: 0, warmStart: 1, warmTau: 60, noise: new Float64Array(w.n) };
}

export function makePod(
  w: World,
  slot: number,
  rev: Revision,
  node: NodeGen,
  createdAt: number,
  endAt: number,
  endKind: PodInstance['endKind'],
  rng: Random,
): PodInstance {
  const name = newPodName(w, rev, slot, rng);
  w.podPseudo.uidCounter++;
  return {
    name,
    uid: `uid-${name}${w.spec.workloadKind === 'StatefulSet' ? `-${w.podPseudo.uidCounter}` : ''}`,
    slot,
    rev,
    node,
    ip: podIp(node, rng),
    createdAt,
    endAt,
    endKind,
    share: w.shares[slot] ?? 1 / w.spec.replicas,
    firstLifeStart: createdAt + rng.float(3, 25),
    priorRestarts: 0,
    model: emptyModel(w),
    forced: [],
    containerIds: [],
  };
}

export function makePods(w: World): PodInstance[] {
  const r = w.rng.fork('pods');
  const spec = w.spec;
  const pods: PodInstance[] = [];
  const current = w.revisions[0] as Revision;
  const previous = w.revisions[1] as Revision;
  const offset = r.int(0, w.nodes.length - 1);
  const nodeFor = (slot: number) => {
    if (r.chance(0.25)) return r.pick(w.nodes);
    return w.nodes[(slot + offset) % w.nodes.length] as NodeGen;
  };
  const stagger = r.float(15, 60);
  for (let slot = 0; slot < spec.replicas; slot++) {
    const order = spec.workloadKind === 'StatefulSet' ? spec.replicas - 1 - slot : slot;
    if (w.distractorAt !== undefined) {
      const switchAt = w.distractorAt + order * stagger;
      const old = makePod(
        w,
        slot,
        previous,
        nodeFor(slot),
        previous.createdAt + order * stagger,
        switchAt + READY_DELAY + 5,
        'deleted',
        r,
      );
      old.firstLifeStart = old.createdAt + r.float(3, 25);
      pods.push(old);
      pods.push(makePod(w, slot, current, nodeFor(slot + 1), switchAt, Number.POSITIVE_INFINITY, 'none', r));
    } else {
      // Pods start at the rollout, or later when they were rescheduled.
      let createdAt = current.createdAt + order * stagger;
      if (r.chance(0.3)) createdAt = r.float(createdAt, Math.max(createdAt, w.T0 - 2 * HOUR));
      pods.push(makePod(w, slot, current, nodeFor(slot), createdAt, Number.POSITIVE_INFINITY, 'none', r));
    }
  }
  return pods;
}
