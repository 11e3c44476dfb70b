/**
 * The request counters of a scenario's traffic family: app-exported http counters (plain or
 * Spring), istio_requests_total and nginx ingress requests, all following the traffic model.
 */
import { Random } from './random.ts';
import type { FamilySet, Scraper } from './series.ts';
import { clamp, K8S_ALPHABET } from './shared.ts';
import { makeK8sHash } from './topology.ts';
import { countRequestsUntil } from './traffic.ts';
import { type SimResult, toStep, type World } from './world.ts';

interface Split {
  labels: Record<string, string>;
  frac: number;
}

function normaliseSplits(splits: Split[]): Split[] {
  const total = splits.reduce((a, s) => a + s.frac, 0);
  return splits.map((s) => ({ ...s, frac: s.frac / total }));
}

export function buildTrafficMetrics(w: World, fs: FamilySet, sc: Scraper): void {
  const family = w.spec.trafficFamily;
  if (family === 'none') return;
  const r = Random.derive(w.spec.seed, `traffic-labels:${family}`);
  const ns = w.spec.namespace;
  const cumAtT = (t: number) => w.cumR[clamp(toStep(w, t), 0, w.n - 1)] as number;

  if (family === 'http_requests_total' || family === 'http_server_requests_seconds_count') {
    const spring = family === 'http_server_requests_seconds_count';
    const serviceMonitor = r.chance(0.5);
    const port = r.pick(['8080', '8080', '9090', '3000']);
    const splits: Split[] = [];
    if (spring) {
      const uris = r
        .shuffle([
          '/api/v1/orders',
          '/api/v1/items/{id}',
          '/api/v1/search',
          '/actuator/health',
          '/api/v1/users/{id}',
        ])
        .slice(0, r.int(2, 4));
      for (const uri of uris) {
        splits.push({
          labels: {
            exception: 'None',
            method: uri.includes('search') ? 'POST' : 'GET',
            outcome: 'SUCCESS',
            status: '200',
            uri,
          },
          frac: r.float(0.2, 1),
        });
      }
      splits.push({
        labels: {
          exception: 'None',
          method: 'GET',
          outcome: 'CLIENT_ERROR',
          status: '404',
          uri: 'NOT_FOUND',
        },
        frac: 0.01,
      });
    } else {
      splits.push({ labels: { code: '200', method: 'GET' }, frac: r.float(0.5, 0.8) });
      if (r.chance(0.7)) splits.push({ labels: { code: '200', method: 'POST' }, frac: r.float(0.1, 0.4) });
      if (r.chance(0.5)) splits.push({ labels: { code: '500', method: 'GET' }, frac: r.float(0.002, 0.02) });
      if (r.chance(0.4)) splits.push({ labels: { code: '404', method: 'GET' }, frac: r.float(0.005, 0.03) });
    }
    const norm = normaliseSplits(splits);
    for (const pod of w.pods) {
      const sim = pod.sim as SimResult;
      const objFrom = Math.max(w.T0, pod.createdAt);
      const runTo = Math.min(w.at, pod.endAt);
      const times = sc.times(`app:${pod.name}:${pod.createdAt}`, objFrom, runTo);
      const common: Record<string, string> = {
        job: serviceMonitor ? w.spec.service : `${ns}/${w.spec.workload}`,
        namespace: ns,
        pod: pod.name,
        instance: `${pod.ip}:${port}`,
      };
      if (serviceMonitor) {
        common.service = w.spec.service;
        common.endpoint = 'http-metrics';
        common.container = w.spec.container;
      }
      if (spring) common.application = w.spec.workload;
      const pr = r.fork(pod.name);
      for (const split of norm) {
        const s = fs.series(family, 'counter', { ...common, ...split.labels });
        const offset = w.spec.appCounterResets ? 0 : Math.floor(pr.float(1e4, 5e6) * split.frac);
        for (const t of times) {
          const i = toStep(w, t);
          let value: number;
          if (w.spec.appCounterResets) {
            if (i < sim.from || i >= sim.to || !sim.running[i]) continue;
            const life = lifeStartBefore(sim, t);
            value = (cumAtT(t) - countRequestsUntil(w, life)) * pod.share * split.frac;
          } else {
            value = offset + (cumAtT(t) - countRequestsUntil(w, pod.createdAt)) * pod.share * split.frac;
          }
          s.t.push(t);
          s.v.push(Math.max(0, Math.floor(value)));
        }
      }
    }
    return;
  }

  if (family === 'istio_requests_total') {
    const sources = r
      .shuffle([
        ['istio-ingressgateway', 'istio-system'],
        ['frontend', ns],
        ['api-gateway', ns],
        ['web', 'web'],
        ['mobile-bff', 'edge'],
      ])
      .slice(0, r.int(1, 3));
    const splits: Split[] = [];
    for (const [src, srcNs] of sources) {
      const weight = r.float(0.2, 1);
      splits.push({
        labels: {
          source_workload: src as string,
          source_workload_namespace: srcNs as string,
          source_app: src as string,
          source_canonical_service: src as string,
          source_principal: `spiffe://cluster.local/ns/${srcNs}/sa/${src}`,
          response_code: '200',
          response_flags: '-',
        },
        frac: weight,
      });
      if (r.chance(0.4))
        splits.push({
          labels: {
            source_workload: src as string,
            source_workload_namespace: srcNs as string,
            source_app: src as string,
            source_canonical_service: src as string,
            source_principal: `spiffe://cluster.local/ns/${srcNs}/sa/${src}`,
            response_code: '503',
            response_flags: 'UF',
          },
          frac: weight * 0.004,
        });
    }
    const common = {
      connection_security_policy: 'mutual_tls',
      destination_app: w.spec.workload,
      destination_canonical_revision: 'latest',
      destination_canonical_service: w.spec.workload,
      destination_principal: `spiffe://cluster.local/ns/${ns}/sa/${w.spec.workload}`,
      destination_service: `${w.spec.service}.${ns}.svc.cluster.local`,
      destination_service_name: w.spec.service,
      destination_service_namespace: ns,
      destination_version: 'unknown',
      destination_workload: w.spec.workload,
      destination_workload_namespace: ns,
      reporter: 'destination',
      request_protocol: 'http',
      source_canonical_revision: 'latest',
      source_version: 'unknown',
      job: 'istio-mesh',
    };
    const times = sc.times('istio', w.T0, w.at);
    for (const split of normaliseSplits(splits)) {
      const s = fs.series('istio_requests_total', 'counter', { ...common, ...split.labels });
      const offset = Math.floor(r.float(1e5, 5e7) * split.frac);
      for (const t of times) {
        s.t.push(t);
        s.v.push(offset + Math.floor(cumAtT(t) * split.frac));
      }
    }
    return;
  }

  // nginx ingress: per Service, one series per controller pod and status.
  const controllers = r.int(1, 3);
  const ctrlHash = makeK8sHash(r);
  const host = `${w.spec.service}.${r.pick(['example.com', 'example.org', 'internal.example.net'])}`;
  const ingress = r.chance(0.6) ? w.spec.service : `${w.spec.service}-ingress`;
  const splits: Split[] = [];
  for (let c = 0; c < controllers; c++) {
    const ctrlPod = `ingress-nginx-controller-${ctrlHash}-${r.chars(5, K8S_ALPHABET)}`;
    const base = {
      controller_class: 'k8s.io/ingress-nginx',
      controller_namespace: 'ingress-nginx',
      controller_pod: ctrlPod,
      exported_namespace: ns,
      host,
      ingress,
      job: 'ingress-nginx-controller-metrics',
      namespace: 'ingress-nginx',
      path: '/',
      pod: ctrlPod,
      service: w.spec.service,
    };
    const weight = r.float(0.8, 1.2);
    splits.push({ labels: { ...base, method: 'GET', status: '200' }, frac: weight * 0.8 });
    splits.push({ labels: { ...base, method: 'POST', status: '200' }, frac: weight * 0.18 });
    if (r.chance(0.5))
      splits.push({ labels: { ...base, method: 'GET', status: '499' }, frac: weight * 0.005 });
    if (r.chance(0.5))
      splits.push({ labels: { ...base, method: 'GET', status: '502' }, frac: weight * 0.002 });
  }
  const times = sc.times('ingress-nginx', w.T0, w.at);
  for (const split of normaliseSplits(splits)) {
    const s = fs.series('nginx_ingress_controller_requests', 'counter', split.labels);
    const offset = Math.floor(r.float(1e4, 1e7) * split.frac);
    for (const t of times) {
      s.t.push(t);
      s.v.push(offset + Math.floor(cumAtT(t) * split.frac));
    }
  }
}

function lifeStartBefore(sim: SimResult, t: number): number {
  let found = sim.lifeStarts[0] ?? t;
  for (const s of sim.lifeStarts) {
    if (s <= t) found = s;
    else break;
  }
  return found;
}
