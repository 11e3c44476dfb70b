/**
 * The metric families of a scenario, sampled from the simulation: cAdvisor working set and limit,
 * kube-state-metrics resources, restarts and last-terminated state, node-exporter memory and OOM
 * kills, node MemoryPressure, and the request counters.
 */
import { Random } from './random.ts';
import { FamilySet, Scraper } from './series.ts';
import { MI } from './shared.ts';
import { drawSidecarLimit, secondContainer } from './sidecar.ts';
import { buildTrafficMetrics } from './traffic-metrics.ts';
import type { MetricFamily, MetricSeries } from './types.ts';
import { type PodInstance, type SimResult, type Termination, toStep, type World } from './world.ts';

function page(bytes: number): number {
  return Math.round(bytes / 4096) * 4096;
}

function lastTermAt(pod: PodInstance, t: number): Termination | undefined {
  const terms = pod.sim?.terms ?? [];
  let found: Termination | undefined;
  for (const term of terms) {
    if (term.finishedAt <= t) found = term;
    else break;
  }
  return found ?? (pod.priorLast && pod.priorLast.finishedAt <= t ? pod.priorLast : undefined);
}

function restartsAt(pod: PodInstance, t: number): number {
  let count = pod.priorRestarts;
  for (const term of pod.sim?.terms ?? []) {
    if (term.finishedAt <= t) count++;
    else break;
  }
  return count;
}

/** KSM keeps exporting a pod while its object exists: until deletion, or until `at` for evicted pods. */
function objectEnd(w: World, pod: PodInstance): number {
  return pod.endKind === 'deleted' ? pod.endAt : w.at;
}

export function buildMetrics(w: World): MetricFamily[] {
  const fs = new FamilySet();
  const sc = new Scraper(w);
  const spec = w.spec;
  const ns = spec.namespace;
  const L = w.L;
  const sidecarLimit = w.spec.sidecar ? drawSidecarLimit(w) : 0;
  const second = secondContainer(w);

  for (const pod of w.pods) {
    const sim = pod.sim as SimResult;
    const podLimit = pod.rev.limitBytes ?? L;
    const node = pod.node.name;
    const objFrom = Math.max(w.T0, pod.createdAt);
    const objTo = Math.min(w.at, objectEnd(w, pod));
    const runTo = Math.min(w.at, pod.endAt);
    // cAdvisor: only while the container runs.
    const cadTimes = sc.times(`kubelet:${node}`, objFrom, runTo);
    const cadLabels = (container: string, image: string) => ({
      container,
      image,
      job: 'kubelet',
      metrics_path: '/metrics/cadvisor',
      namespace: ns,
      node,
      pod: pod.name,
    });
    const wsS = fs.series(
      'container_memory_working_set_bytes',
      'gauge',
      cadLabels(spec.container, pod.rev.image),
    );
    const limS = fs.series(
      'container_spec_memory_limit_bytes',
      'gauge',
      cadLabels(spec.container, pod.rev.image),
    );
    for (const t of cadTimes) {
      const i = toStep(w, t);
      if (i < sim.from || i >= sim.to || !sim.running[i]) continue;
      wsS.t.push(t);
      wsS.v.push(Math.min(page(sim.ws[i] as number), podLimit - 4096));
      limS.t.push(t);
      limS.v.push(podLimit);
    }
    if (pod.sidecarWs) {
      const scWs = fs.series(
        'container_memory_working_set_bytes',
        'gauge',
        cadLabels(second.name, second.image),
      );
      const scLim = fs.series(
        'container_spec_memory_limit_bytes',
        'gauge',
        cadLabels(second.name, second.image),
      );
      for (const t of cadTimes) {
        const i = toStep(w, t);
        const v = pod.sidecarWs[i] as number;
        if (!(v > 0)) continue;
        scWs.t.push(t);
        scWs.v.push(page(v));
        scLim.t.push(t);
        scLim.v.push(sidecarLimit);
      }
    }
    // kube-state-metrics: while the Pod object exists.
    const ksmTimes = sc.times('kube-state-metrics', objFrom, objTo);
    const ksmLabels = (container: string) => ({
      container,
      job: 'kube-state-metrics',
      namespace: ns,
      node,
      pod: pod.name,
    });
    const res = (name: string, container: string, value: number) => {
      const s = fs.series(name, 'gauge', { ...ksmLabels(container), resource: 'memory', unit: 'byte' });
      for (const t of ksmTimes) {
        s.t.push(t);
        s.v.push(value);
      }
    };
    res('kube_pod_container_resource_limits', spec.container, podLimit);
    res('kube_pod_container_resource_requests', spec.container, w.request);
    const restarts = fs.series(
      'kube_pod_container_status_restarts_total',
      'counter',
      ksmLabels(spec.container),
    );
    const exitS = fs.series(
      'kube_pod_container_status_last_terminated_exitcode',
      'gauge',
      ksmLabels(spec.container),
    );
    const reasonSeries = new Map<string, MetricSeries>();
    for (const t of ksmTimes) {
      restarts.t.push(t);
      restarts.v.push(restartsAt(pod, t));
      const last = lastTermAt(pod, t);
      if (!last) continue;
      exitS.t.push(t);
      exitS.v.push(last.exitCode);
      let rs = reasonSeries.get(last.reason);
      if (!rs) {
        rs = fs.series('kube_pod_container_status_last_terminated_reason', 'gauge', {
          ...ksmLabels(spec.container),
          reason: last.reason,
        });
        reasonSeries.set(last.reason, rs);
      }
      rs.t.push(t);
      rs.v.push(1);
    }
    if (spec.sidecar) {
      if (sidecarLimit > 0) res('kube_pod_container_resource_limits', second.name, sidecarLimit);
      res('kube_pod_container_resource_requests', second.name, 128 * MI);
      const scR = fs.series('kube_pod_container_status_restarts_total', 'counter', ksmLabels(second.name));
      for (const t of ksmTimes) {
        scR.t.push(t);
        scR.v.push(0);
      }
    }
  }

  for (const node of w.nodes) {
    const neTimes = sc.times(`node-exporter:${node.name}`, w.T0, w.at);
    const neLabels = { instance: `${node.name}:9100`, job: 'node-exporter', node: node.name };
    const total = fs.series('node_memory_MemTotal_bytes', 'gauge', neLabels);
    const avail = fs.series('node_memory_MemAvailable_bytes', 'gauge', neLabels);
    const ooms = fs.series('node_vmstat_oom_kill', 'counter', neLabels);
    const killTimes = node.oomKillTimes.slice().sort((a, b) => a - b);
    const r = Random.derive(w.spec.seed, `oom-base:${node.name}`);
    const base = r.int(0, 120);
    let k = 0;
    for (const t of neTimes) {
      const i = toStep(w, t);
      total.t.push(t);
      total.v.push(node.memTotal);
      avail.t.push(t);
      avail.v.push(page(node.available?.[i] ?? node.memTotal / 2));
      while (k < killTimes.length && (killTimes[k] as number) <= t) k++;
      ooms.t.push(t);
      ooms.v.push(base + k);
    }
    const ksmTimes = sc.times('kube-state-metrics', w.T0, w.at);
    const cl = { condition: 'MemoryPressure', job: 'kube-state-metrics', node: node.name };
    const yes = fs.series('kube_node_status_condition', 'gauge', { ...cl, status: 'true' });
    const no = fs.series('kube_node_status_condition', 'gauge', { ...cl, status: 'false' });
    for (const t of ksmTimes) {
      const p = node.pressure?.[toStep(w, t)] ?? 0;
      yes.t.push(t);
      yes.v.push(p);
      no.t.push(t);
      no.v.push(1 - p);
    }
  }

  buildTrafficMetrics(w, fs, sc);
  return fs.list();
}
