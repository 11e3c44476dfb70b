/**
 * Risk-scan scale: one forecast scan of a cluster of 5,000 containers (2,500 Deployments × 2
 * pods, 25 namespaces, 24 h of history at 30 s) against the real kube-apiserver and Prometheus;
 * scan time, peak RSS of the scanning process, queries and lists sent. Baseline, same run, same
 * stack: the per-workload diagnosis (evidence + diagnose) on a sample of the workloads, its mean
 * time and queries per workload scaled to all of them: what scanning with the diagnosis costs.
 *
 *   node bench/risk-scan.ts [--workloads N] [--sample N]      (stand-alone; prints the section)
 *
 * The scan runs in a child process so its peak RSS is its own, not the data generator's.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { diagnose } from '../src/domain/diagnose.ts';
import type { Target } from '../src/domain/types.ts';
import { collectEvidence } from '../src/evidence.ts';
import { scanRisks } from '../src/forecast/scan.ts';
import { createKubernetesLister, loadKubeConfig } from '../src/sources/kubernetes.ts';
import type { MetricsSource } from '../src/sources/ports.ts';
import { createPrometheusSource } from '../src/sources/prometheus.ts';
import { startKube } from '../test/stack/kube.ts';
import { startPrometheus } from '../test/stack/prometheus.ts';
import { fmt } from './lib/stats.ts';
import type { Aggregate, Headline, RunContext, RunResult, Suite } from './lib/suite.ts';
import { table } from './lib/suite.ts';

const MI = 2 ** 20;
const STEP = 30;
const HOURS = 24;

interface Shape {
  kind: 'steady' | 'traffic' | 'leak' | 'near' | 'heap' | 'request';
  limit: number;
  request: number;
  level: number;
  env: Record<string, string>;
}

/** A deterministic pseudo-random in [0, 1) from an integer. */
function rand(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}

function shapeOf(w: number): Shape {
  const limit = [512, 768, 1024, 1536, 2048][w % 5]! * MI;
  const r = rand(w);
  const kind: Shape['kind'] =
    r < 0.02
      ? 'leak'
      : r < 0.04
        ? 'near'
        : r < 0.05
          ? 'heap'
          : r < 0.06
            ? 'request'
            : r < 0.5
              ? 'traffic'
              : 'steady';
  const level = kind === 'near' ? 0.93 : 0.3 + 0.3 * rand(w + 7);
  const request =
    kind === 'request' ? Math.round((limit * level) / 4 / MI) * MI : Math.round((limit * 0.5) / MI) * MI;
  const env: Record<string, string> =
    kind === 'heap'
      ? { JAVA_OPTS: `-Xmx${Math.round((limit * 1.1) / MI)}m` }
      : { JAVA_OPTS: `-Xmx${Math.round((limit * 0.6) / MI)}m` };
  return { kind, limit, request, level, env };
}

function usageAt(s: Shape, w: number, pod: number, k: number, n: number): number {
  const noise = (rand(w * 7919 + pod * 104729 + k) - 0.5) * 0.01;
  const hour = (k * STEP) / 3600;
  let share = s.level + noise;
  if (s.kind === 'traffic') share += 0.08 * Math.sin((2 * Math.PI * hour) / 24);
  if (s.kind === 'leak') {
    // from the level to the limit at 2-20 h after the end of the data
    const eta = (2 + 18 * rand(w + 3)) * 3600;
    const growth = (0.98 - s.level) / (n * STEP + eta);
    share += growth * k * STEP;
  }
  return Math.round(s.limit * Math.min(share, 0.995));
}

/** Write cluster.yaml and metrics.om for `workloads` Deployments of two pods each. */
export async function synthesize(dir: string, workloads: number, at: number): Promise<object[]> {
  const docs: object[] = [];
  const nodes = 40;
  for (let i = 0; i < nodes; i++)
    docs.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}` },
      status: { capacity: { memory: '64Gi' }, allocatable: { memory: '62Gi' } },
    });
  const fd = openSync(join(dir, 'metrics.om'), 'w');
  const n = (HOURS * 3600) / STEP;
  const start = at - n * STEP;
  const write = (lines: string[]) => writeSync(fd, lines.join(''));
  const families = {
    ws: '# TYPE container_memory_working_set_bytes gauge\n',
    lim: '# TYPE kube_pod_container_resource_limits gauge\n',
    req: '# TYPE kube_pod_container_resource_requests gauge\n',
  };
  const pods: Array<{ ns: string; pod: string; shape: Shape; w: number; p: number }> = [];
  for (let w = 0; w < workloads; w++) {
    const ns = `team-${w % 25}`;
    const name = `svc-${w}`;
    const shape = shapeOf(w);
    const rs = `${name}-6d8f7c9b5`;
    const container = {
      name: 'app',
      image: 'registry.example/app:1',
      env: Object.entries(shape.env).map(([k, v]) => ({ name: k, value: v })),
      resources: {
        limits: { memory: `${shape.limit / MI}Mi` },
        requests: { memory: `${shape.request / MI}Mi` },
      },
    };
    const labels = { app: name };
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    });
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rs,
        namespace: ns,
        labels,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: 'x', controller: true }],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    });
    for (let p = 0; p < 2; p++) {
      const pod = `${rs}-${String.fromCharCode(97 + p)}${w.toString(36).padStart(4, '0')}`;
      docs.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod,
          namespace: ns,
          labels,
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: 'x', controller: true },
          ],
        },
        spec: { nodeName: `node-${(w * 2 + p) % nodes}`, containers: [container] },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              ready: true,
              restartCount: 0,
              image: container.image,
              imageID: '',
              started: true,
              state: { running: { startedAt: new Date((start - 3600) * 1000).toISOString() } },
            },
          ],
        },
      });
      pods.push({ ns, pod, shape, w, p });
    }
  }
  for (const [family, header] of Object.entries(families)) {
    write([header]);
    for (const x of pods) {
      const sel = `{namespace="${x.ns}",pod="${x.pod}",container="app"${family === 'ws' ? '' : ',resource="memory"'}}`;
      const metric =
        family === 'ws'
          ? 'container_memory_working_set_bytes'
          : family === 'lim'
            ? 'kube_pod_container_resource_limits'
            : 'kube_pod_container_resource_requests';
      const lines: string[] = [];
      for (let k = 0; k <= n; k++) {
        const v =
          family === 'ws'
            ? usageAt(x.shape, x.w, x.p, k, n)
            : family === 'lim'
              ? x.shape.limit
              : x.shape.request;
        lines.push(`${metric}${sel} ${v} ${start + k * STEP}\n`);
      }
      write(lines);
    }
  }
  write(['# EOF\n']);
  closeSync(fd);
  return docs;
}

/**
 * Create the objects with many requests in flight (no controllers run: nothing reacts to them).
 * Statuses are not written: the scan reads specs, owners and node names only.
 */
async function loadObjects(kc: KubeConfig, docs: object[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const byKind = (kind: string) => docs.filter((d) => (d as { kind?: string }).kind === kind);
  const namespaces = [
    ...new Set(
      docs.map((d) => (d as { metadata?: { namespace?: string } }).metadata?.namespace).filter(Boolean),
    ),
  ];
  const waves: object[][] = [
    namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    [...byKind('Node'), ...byKind('Deployment'), ...byKind('ReplicaSet'), ...byKind('Pod')],
  ];
  for (const wave of waves) {
    let next = 0;
    const lane = async () => {
      while (next < wave.length) {
        const doc = wave[next++] as KubernetesObject & { status?: unknown };
        const { status: _status, ...body } = doc;
        await api.create(body);
      }
    };
    await Promise.all(Array.from({ length: 24 }, lane));
  }
}

function counting(source: MetricsSource): { source: MetricsSource; count: () => number } {
  let n = 0;
  return {
    count: () => n,
    source: {
      name: source.name,
      queryRange: (spec, window) => {
        n++;
        return source.queryRange(spec, window);
      },
    },
  };
}

/** In the child: the scan, then the per-workload diagnosis on a sample; JSON on stdout. */
async function child(
  prom: string,
  kubeconfig: string,
  at: number,
  sample: number,
  workloads: number,
): Promise<void> {
  const kc = loadKubeConfig({ kubeconfig });
  const cluster = createKubernetesLister(kc, 'bench', { timeoutMs: 120_000 });
  const metrics = counting(createPrometheusSource(prom, { timeoutMs: 120_000 }));
  let lists = 0;
  const countingCluster = {
    name: cluster.name,
    get: cluster.get.bind(cluster),
    list: (...a: Parameters<typeof cluster.list>) => {
      lists++;
      return cluster.list(...a);
    },
  };
  const t0 = performance.now();
  const result = await scanRisks({ cluster: countingCluster, metrics: metrics.source }, { at });
  const scanSeconds = (performance.now() - t0) / 1000;
  const scanRssMiB = process.resourceUsage().maxRSS / 1024;
  const scanQueries = metrics.count();
  const scanLists = lists;
  const perWorkload: number[] = [];
  const before = metrics.count();
  for (let i = 0; i < sample; i++) {
    const w = Math.floor((i * workloads) / sample);
    const target: Target = {
      namespace: `team-${w % 25}`,
      workload: { kind: 'Deployment', name: `svc-${w}` },
      selector: { app: `svc-${w}` },
    };
    const s = performance.now();
    diagnose(await collectEvidence({ cluster, metrics: metrics.source }, target, { at, timeoutMs: 120_000 }));
    perWorkload.push((performance.now() - s) / 1000);
  }
  process.stdout.write(
    `${JSON.stringify({
      scanSeconds,
      scanRssMiB,
      scanQueries,
      scanLists,
      containers: result.cost.containers,
      candidates: result.cost.candidates,
      risks: result.risks.length,
      byKind: result.risks.reduce<Record<string, number>>((acc, r) => {
        acc[r.risk] = (acc[r.risk] ?? 0) + 1;
        return acc;
      }, {}),
      diagnosisSeconds: perWorkload.reduce((a, b) => a + b, 0) / Math.max(1, perWorkload.length),
      diagnosisQueries: (metrics.count() - before) / Math.max(1, sample),
      sample,
    })}\n`,
  );
}

function runChild(args: string[]): Promise<Record<string, number>> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [import.meta.filename, '--child', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    p.on('exit', (code) =>
      code === 0
        ? done(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'))
        : fail(new Error(`scan child exit ${code}`)),
    );
  });
}

export async function measureRiskScan(
  workloads: number,
  sample: number,
  log: (m: string) => void,
): Promise<RunResult> {
  const at = Math.floor(Date.now() / 60_000) * 60;
  const dir = mkdtempSync(join(tmpdir(), 'oom-risk-scan-'));
  try {
    let t = performance.now();
    const docs = await synthesize(dir, workloads, at);
    log(
      `risk-scan: ${workloads * 2} containers synthesized in ${((performance.now() - t) / 1000).toFixed(0)} s; loading the stack`,
    );
    t = performance.now();
    const [kube, prometheus] = await Promise.all([
      startKube(),
      startPrometheus({ openMetricsFile: join(dir, 'metrics.om'), readyTimeoutMs: 600_000 }),
    ]);
    const stack = {
      kube,
      prometheus,
      stop: async () => {
        await Promise.all([kube.stop(), prometheus.stop()]);
      },
    };
    try {
      await loadObjects(kube.kubeConfig, docs);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    log(`risk-scan: stack loaded in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(kubeconfig, stack.kube.kubeConfig.exportConfig());
      const r = await runChild([
        '--prom',
        stack.prometheus?.url ?? '',
        '--kubeconfig',
        kubeconfig,
        '--at',
        String(at),
        '--sample',
        String(sample),
        '--workloads',
        String(workloads),
      ]);
      const perWorkloadTotal = r.diagnosisSeconds! * workloads;
      return {
        figures: {
          ...r,
          workloads,
          diagnoseAllSeconds: perWorkloadTotal,
          diagnoseAllQueries: r.diagnosisQueries! * workloads,
          ratio: perWorkloadTotal / r.scanSeconds!,
        },
        notes: [`risks found: ${JSON.stringify((r as unknown as { byKind: object }).byKind)}`],
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const riskScanSuite: Suite = {
  name: 'risk-scan',
  title: 'Forecast scan of 5,000 containers',
  runs: () => 1,
  runOnce: (ctx: RunContext) => measureRiskScan(ctx.quick ? 500 : 2500, ctx.quick ? 10 : 25, ctx.log),
  render(agg: Aggregate): string {
    const f = (n: string) => fmt(agg.figure(n).median);
    return [
      `${f('containers')} containers (${f('workloads')} Deployments × 2 pods, 24 h at 30 s) in a real kube-apiserver and Prometheus; one scan in a child process.`,
      '',
      table(
        ['', 'time', 'queries', 'lists', 'peak RSS'],
        [
          [
            'forecast scan (bulk + candidates)',
            `${f('scanSeconds')} s`,
            f('scanQueries'),
            f('scanLists'),
            `${f('scanRssMiB')} MiB`,
          ],
          [
            `per-workload diagnosis of every workload (mean of ${f('sample')}, scaled)`,
            `${f('diagnoseAllSeconds')} s`,
            f('diagnoseAllQueries'),
            '–',
            '–',
          ],
        ],
      ),
      '',
      `Ratio: the scan is ${f('ratio')}x faster than diagnosing each workload. Candidates analysed in full: ${f('candidates')}; risks reported: ${f('risks')}.`,
      ...agg.notes.map((n) => `- ${n}`),
    ].join('\n');
  },
  headlines(agg: Aggregate): Headline[] {
    return [
      {
        id: 'risk-scan',
        label: 'Risk scan of 5,000 containers',
        value: `${fmt(agg.figure('scanSeconds').median)} s`,
      },
    ];
  },
};

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean', default: false },
      prom: { type: 'string' },
      kubeconfig: { type: 'string' },
      at: { type: 'string' },
      sample: { type: 'string', default: '25' },
      workloads: { type: 'string', default: '2500' },
    },
  });
  if (values.child) {
    await child(
      values.prom ?? '',
      values.kubeconfig ?? '',
      Number(values.at),
      Number(values.sample),
      Number(values.workloads),
    );
  } else {
    const result = await measureRiskScan(Number(values.workloads), Number(values.sample), (m) =>
      process.stderr.write(`${m}\n`),
    );
    process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  }
}
