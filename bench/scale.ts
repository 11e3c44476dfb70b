/**
 * Cluster size: the cost of one diagnosis of the seed incident (auth-service in prod) on a cluster
 * holding only that incident (SMALL), then on the same apiserver after filler is added (BIG:
 * about 1,000 namespaces, 300 nodes, 5,000 Deployments and Services, 20,000 Pods and Events;
 * a tenth of that with --quick). With and without the namespace. Each measurement runs in a
 * fresh process (this file with --child): the warm diagnoseWorkload wall time (median), the
 * Kubernetes JSON the lister returned for one diagnosis, and the process's peak RSS (VmHWM).
 *
 * Goals (issue "cluster size does not matter"): BIG/SMALL wall ≤ 1.2x, bytes ≤ 2x, RSS ≤ 1.1x.
 * Also the "did you mean" path, a name that matches nothing, without namespace: its read is
 * bounded (a page of SUGGEST_PAGE objects per suggested kind), so its bytes stop growing with the cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { diagnoseWorkload } from '../src/diagnosis-service.ts';
import { SUGGEST_PAGE } from '../src/sources/cluster.ts';
import { createKubernetesLister, loadKubeConfig } from '../src/sources/kubernetes.ts';
import type { ObjectLister } from '../src/sources/ports.ts';
import { createPrometheusSource } from '../src/sources/prometheus.ts';
import { readScenario } from '../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../test/scenarios/generator.ts';
import { type KubeStack, startKube } from '../test/stack/kube.ts';
import { loadClusterYaml } from '../test/stack/load-scenario.ts';
import { type StoppableServer, startPrometheus } from '../test/stack/prometheus.ts';
import { scenarioMetricsFile } from '../test/stack/stack.ts';
import { rssOf } from './lib/rss.ts';
import { fmt, fmtMiB, fmtMs, fmtRatio, fmtSpread, median } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const GOALS = { wall: 1.2, bytes: 2, rss: 1.1 };

/** The full BIG cluster of the issue; --quick builds a tenth of it. */
const FULL = { namespaces: 1_000, nodes: 300, deployments: 5_000, podsPerDeployment: 4, events: 20_000 };

interface ChildResult {
  coldMs: number;
  warmMs: number;
  bytes: number;
  calls: number;
  hwm: number;
  rssGrowth: number;
}

// ---------- the child: one process, one cluster size, one request form ----------

/** The lister, counting the JSON it hands back (what the process decoded) and its calls. */
function countingLister(inner: ObjectLister, counter: { bytes: number; calls: number }): ObjectLister {
  const count = <T>(value: T): T => {
    counter.calls++;
    counter.bytes += value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
    return value;
  };
  return {
    name: inner.name,
    list: (kind, ns, options) => inner.list(kind, ns, options).then(count),
    get: (kind, ns, name) => inner.get(kind, ns, name).then(count),
  };
}

async function runChild(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      child: { type: 'boolean' },
      kubeconfig: { type: 'string' },
      prometheus: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      at: { type: 'string' },
      repeat: { type: 'string', default: '5' },
      miss: { type: 'boolean', default: false },
    },
  });
  const counter = { bytes: 0, calls: 0 };
  const kc = loadKubeConfig({ kubeconfig: values.kubeconfig });
  const sources = {
    cluster: countingLister(createKubernetesLister(kc), counter),
    metrics: createPrometheusSource(values.prometheus as string),
  };
  const request = { name: values.name as string, namespace: values.namespace, at: Number(values.at) };
  const once = async () => {
    counter.bytes = 0;
    counter.calls = 0;
    const started = performance.now();
    if (values.miss) {
      // the name matches nothing: the answer is "not found", with names that come close
      const error = await diagnoseWorkload(sources, request, { timeoutMs: 60_000 }).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      if (error?.code !== 'target_not_found') throw new Error(`expected target_not_found: ${String(error)}`);
      return performance.now() - started;
    }
    const run = await diagnoseWorkload(sources, request, { timeoutMs: 60_000 });
    if (run.evidence.gaps.some((g) => g.source === 'cluster'))
      throw new Error(JSON.stringify(run.evidence.gaps));
    return performance.now() - started;
  };
  const coldMs = await once();
  const rssAfterCold = rssOf(process.pid).rss;
  const warm: number[] = [];
  for (let i = 0; i < Number(values.repeat); i++) warm.push(await once());
  const result: ChildResult = {
    coldMs,
    warmMs: median(warm),
    bytes: counter.bytes,
    calls: counter.calls,
    hwm: rssOf(process.pid).hwm,
    rssGrowth: rssOf(process.pid).rss - rssAfterCold,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---------- the parent: the stack, the filler, four children ----------

async function measure(
  stack: { kubeconfig: string; prometheus: string; at: number },
  namespace: string | undefined,
  repeat: number,
  miss = false,
): Promise<ChildResult> {
  const args = [
    fileURLToPath(import.meta.url),
    '--child',
    `--kubeconfig=${stack.kubeconfig}`,
    `--prometheus=${stack.prometheus}`,
    // a name close to a real one, that names nothing: the "did you mean" path
    miss ? '--name=auth-servise' : '--name=auth-service',
    `--at=${stack.at}`,
    `--repeat=${repeat}`,
    ...(namespace ? [`--namespace=${namespace}`] : []),
    ...(miss ? ['--miss'] : []),
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ChildResult;
}

/** POST every object to the apiserver, `concurrency` at a time, over kept-alive connections. */
async function createAll(kube: KubeStack, objects: Array<{ path: string; body: object }>, concurrency = 24) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, rejectUnauthorized: false });
  const post = (path: string, body: object) =>
    new Promise<void>((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = request(
        new URL(path, kube.server),
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${kube.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () =>
            res.statusCode === 201 || res.statusCode === 409
              ? resolve()
              : reject(new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 200)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++] as { path: string; body: object };
      await post(o.path, o.body);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

const pad = (n: number, width = 4) => String(n).padStart(width, '0');

function container(name: string) {
  return {
    name,
    image: `registry.example.com/team/${name}:1.4.2`,
    env: [
      { name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75' },
      { name: 'OTEL_SERVICE_NAME', value: name },
    ],
    ports: [{ containerPort: 8080, name: 'http' }],
    resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi', cpu: '100m' } },
    readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10 },
  };
}

/** The filler objects, in creation order (namespaces and nodes first). */
function filler(size: typeof FULL): Array<Array<{ path: string; body: object }>> {
  const nsOf = (i: number) => `fill-${pad(i % size.namespaces)}`;
  const nodeOf = (i: number) => `fill-node-${pad(i % size.nodes, 3)}`;
  const labels = {
    'app.kubernetes.io/part-of': 'filler',
    'app.kubernetes.io/managed-by': 'helm',
    team: 'payments',
  };
  const namespaces = Array.from({ length: size.namespaces }, (_, i) => ({
    path: '/api/v1/namespaces',
    body: { metadata: { name: nsOf(i), labels } },
  }));
  const nodes = Array.from({ length: size.nodes }, (_, i) => ({
    path: '/api/v1/nodes',
    body: {
      metadata: {
        name: nodeOf(i),
        labels: { 'kubernetes.io/hostname': nodeOf(i), 'node.kubernetes.io/instance-type': 'm6i.2xlarge' },
        annotations: {
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
      },
      spec: { podCIDR: `10.${i >> 8}.${i & 255}.0/24`, providerID: `aws:///eu-west-1a/i-${pad(i, 12)}` },
    },
  }));
  const workloads: Array<{ path: string; body: object }> = [];
  const pods: Array<{ path: string; body: object }> = [];
  for (let d = 0; d < size.deployments; d++) {
    const ns = nsOf(d);
    const name = `app-${pad(d)}`;
    const podLabels = { app: name, ...labels };
    workloads.push({
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      body: {
        metadata: { name, namespace: ns, labels: podLabels },
        spec: {
          replicas: size.podsPerDeployment,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: podLabels },
            spec: { containers: [container(name), container('envoy')] },
          },
        },
      },
    });
    workloads.push({
      path: `/api/v1/namespaces/${ns}/services`,
      body: {
        metadata: { name, namespace: ns, labels },
        spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    for (let p = 0; p < size.podsPerDeployment; p++) {
      pods.push({
        path: `/api/v1/namespaces/${ns}/pods`,
        body: {
          metadata: { name: `${name}-7d9f8b6c5-${pad(p, 5)}`, namespace: ns, labels: podLabels },
          spec: {
            nodeName: nodeOf(d * size.podsPerDeployment + p),
            containers: [container(name), container('envoy')],
          },
        },
      });
    }
  }
  const events = Array.from({ length: size.events }, (_, i) => {
    const onNode = i % 2 === 0;
    const ns = onNode ? 'default' : nsOf(i);
    const involved = onNode
      ? { kind: 'Node', name: nodeOf(i) }
      : { kind: 'Pod', namespace: ns, name: `app-${pad(i % size.deployments)}-7d9f8b6c5-00000` };
    return {
      path: `/api/v1/namespaces/${ns}/events`,
      body: {
        metadata: { name: `filler.${pad(i, 6)}`, namespace: ns },
        involvedObject: involved,
        reason: onNode ? 'NodeHasSufficientMemory' : 'Pulled',
        message: onNode
          ? `Node ${involved.name} status is now: NodeHasSufficientMemory`
          : 'Container image already present on machine',
        type: 'Normal',
        count: 1,
        source: { component: 'kubelet', host: onNode ? involved.name : nodeOf(i) },
        firstTimestamp: '2026-11-24T08:00:00Z',
        lastTimestamp: '2026-11-24T08:00:00Z',
      },
    };
  });
  return [
    [...namespaces, ...nodes],
    [...workloads, ...pods, ...events],
  ];
}

interface Pair {
  small: ChildResult;
  big: ChildResult;
}

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const size = ctx.quick
    ? { namespaces: 100, nodes: 30, deployments: 500, podsPerDeployment: 4, events: 2_000 }
    : FULL;
  const repeat = ctx.quick ? 3 : 6;
  const dir = await mkdtemp(join(tmpdir(), 'oom-bench-scale-'));
  let kube: KubeStack | undefined;
  let prometheus: StoppableServer | undefined;
  try {
    await writeScenario(dir, seedIncident());
    const scenario = await readScenario(dir);
    [kube, prometheus] = await Promise.all([
      startKube(),
      startPrometheus({ openMetricsFile: scenarioMetricsFile(dir) }),
    ]);
    await loadClusterYaml(kube.kubeConfig, await readFile(join(dir, 'cluster.yaml'), 'utf8'));
    const stack = { kubeconfig: kube.kubeconfigPath, prometheus: prometheus.url, at: scenario.at };
    const ns = scenario.meta.request.namespace;
    ctx.log(`scale: SMALL measured (seed incident only)`);
    const small = {
      withNs: await measure(stack, ns, repeat),
      withoutNs: await measure(stack, undefined, repeat),
      miss: await measure(stack, undefined, repeat, true),
    };
    const started = Date.now();
    const [first, rest] = filler(size);
    await createAll(kube, first ?? []);
    await createAll(kube, rest ?? []);
    const created = (first?.length ?? 0) + (rest?.length ?? 0);
    ctx.log(
      `scale: ${created} filler objects created in ${((Date.now() - started) / 1000).toFixed(0)} s; BIG measured`,
    );
    const big = {
      withNs: await measure(stack, ns, repeat),
      withoutNs: await measure(stack, undefined, repeat),
      miss: await measure(stack, undefined, repeat, true),
    };
    const figures: Record<string, number> = {
      fillerObjects: created,
      fillerSeconds: (Date.now() - started) / 1000,
    };
    const record = (mode: string, pair: Pair) => {
      for (const [which, r] of Object.entries(pair) as Array<[string, ChildResult]>) {
        figures[`${mode}.${which}.warmMs`] = r.warmMs;
        figures[`${mode}.${which}.coldMs`] = r.coldMs;
        figures[`${mode}.${which}.bytes`] = r.bytes;
        figures[`${mode}.${which}.calls`] = r.calls;
        figures[`${mode}.${which}.hwm`] = r.hwm;
        figures[`${mode}.${which}.rssGrowth`] = r.rssGrowth;
      }
    };
    record('ns', { small: small.withNs, big: big.withNs });
    record('all', { small: small.withoutNs, big: big.withoutNs });
    record('miss', { small: small.miss, big: big.miss });
    return {
      figures,
      notes: [
        `BIG: ${size.namespaces} namespaces, ${size.nodes} nodes, ${size.deployments} Deployments and Services, ` +
          `${size.deployments * size.podsPerDeployment} Pods, ${size.events} Events (half on nodes in default), on top of the seed incident.`,
      ],
    };
  } finally {
    await prometheus?.stop();
    await kube?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const MODES = [
  ['ns', 'with `--namespace prod`'],
  ['all', 'without namespace'],
] as const;

/** The "did you mean" path: reported, bounded by SUGGEST_PAGE, not held to the ratios. */
const MISS = ['miss', 'a name that matches nothing ("did you mean"), without namespace'] as const;

function ratio(agg: Aggregate, mode: string, figure: string): number {
  return agg.figure(`${mode}.big.${figure}`).median / agg.figure(`${mode}.small.${figure}`).median;
}

function render(agg: Aggregate): string {
  const rows: string[][] = [];
  for (const [mode, label] of [...MODES, MISS]) {
    const s = (which: string, f: string) => agg.figure(`${mode}.${which}.${f}`);
    rows.push(
      [
        `${label}: diagnoseWorkload warm (median)`,
        fmtSpread(s('small', 'warmMs'), fmtMs),
        fmtSpread(s('big', 'warmMs'), fmtMs),
        fmtRatio(ratio(agg, mode, 'warmMs')),
        mode === 'miss' ? '' : `≤ ${GOALS.wall}x`,
      ],
      [
        `${label}: first diagnosis in the process`,
        fmtSpread(s('small', 'coldMs'), fmtMs),
        fmtSpread(s('big', 'coldMs'), fmtMs),
        fmtRatio(ratio(agg, mode, 'coldMs')),
        '',
      ],
      [
        `${label}: Kubernetes JSON per diagnosis`,
        fmt(s('small', 'bytes').median / 1000, 'KB'),
        fmt(s('big', 'bytes').median / 1000, 'KB'),
        fmtRatio(ratio(agg, mode, 'bytes')),
        mode === 'miss' ? `bounded: ≤ ${SUGGEST_PAGE} objects per kind` : `≤ ${GOALS.bytes}x`,
      ],
      [
        `${label}: Kubernetes calls per diagnosis`,
        fmt(s('small', 'calls').median),
        fmt(s('big', 'calls').median),
        fmtRatio(ratio(agg, mode, 'calls')),
        '',
      ],
      [
        `${label}: peak RSS of the process`,
        fmtSpread(s('small', 'hwm'), fmtMiB),
        fmtSpread(s('big', 'hwm'), fmtMiB),
        fmtRatio(ratio(agg, mode, 'hwm')),
        mode === 'miss' ? '' : `≤ ${GOALS.rss}x`,
      ],
      [
        `${label}: RSS growth over the warm runs`,
        fmtMiB(s('small', 'rssGrowth').median),
        fmtMiB(s('big', 'rssGrowth').median),
        '',
        '',
      ],
    );
  }
  return [
    'One process per cell (`bench/scale.ts --child`): one cold `diagnoseWorkload` of `auth-service`, then warm ones; the same apiserver and Prometheus, measured before (SMALL) and after (BIG) the filler is created. ' +
      'Kubernetes JSON is what the lister returned, serialized; peak RSS is the kernel’s VmHWM of the process.',
    '',
    ...agg.notes,
    '',
    table(['', 'SMALL', 'BIG', 'BIG / SMALL', 'goal'], rows),
    '',
    `Filler: ${fmt(agg.figure('fillerObjects').median)} objects created in ${fmt(agg.figure('fillerSeconds').median, 's')} (24 concurrent POSTs).`,
  ].join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  const lines: Headline[] = [];
  for (const [mode, label] of MODES) {
    const wall = ratio(agg, mode, 'warmMs');
    const bytes = ratio(agg, mode, 'bytes');
    const rss = ratio(agg, mode, 'hwm');
    lines.push(
      {
        id: `scale-wall-${mode}`,
        label: `BIG / SMALL diagnosis wall, ${label}`,
        value: fmtRatio(wall),
        goal: `≤ ${GOALS.wall}x`,
        met: wall <= GOALS.wall,
      },
      {
        id: `scale-bytes-${mode}`,
        label: `BIG / SMALL Kubernetes bytes, ${label}`,
        value: fmtRatio(bytes),
        goal: `≤ ${GOALS.bytes}x`,
        met: bytes <= GOALS.bytes,
      },
      {
        id: `scale-rss-${mode}`,
        label: `BIG / SMALL peak RSS, ${label}`,
        value: fmtRatio(rss),
        goal: `≤ ${GOALS.rss}x`,
        met: rss <= GOALS.rss,
      },
    );
  }
  return lines;
}

export const scaleSuite: Suite = {
  name: 'scale',
  title: 'Cluster size',
  runs: () => 1,
  runOnce,
  render,
  headlines,
};

if (process.argv.includes('--child') && process.argv[1] === fileURLToPath(import.meta.url)) {
  await runChild(process.argv.slice(2));
}
