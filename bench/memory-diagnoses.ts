/**
 * Memory of the worker's diagnosis path, in one process: N diagnoses of 24 h at 15 s × P pods run
 * at once (as WORKER_CONCURRENCY does), each through the real Prometheus source over HTTP (a local
 * server replays the answers Prometheus gives for the generated incident), then the thread and
 * chart PNG are rendered as the job renders them for the sender. Prints the peak RSS and V8 heap
 * sampled every 10 ms, above the baseline taken once the replayed answers are in memory.
 *
 *   node bench/memory-diagnoses.ts [--concurrency 4] [--rounds 3] [--pods 10] [--hours 24]
 *   node --max-semi-space-size=2 bench/memory-diagnoses.ts ...   (V8 flags go before the script)
 *   --in-flight N     range queries in flight (default: the source's cap; 0: uncapped)
 *   --snapshot FILE   writes a heap snapshot while all N diagnoses hold their evidence
 *   --skip-render     evidence and verdict only (no thread, no chart)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { compactDiagnosis } from '../src/contracts/alert-incident-types.ts';
import { diagnoseWorkload } from '../src/diagnosis-service.ts';
import type { Series, TimeWindow } from '../src/domain/types.ts';
import { renderThread } from '../src/render/blocks/diagnosis.ts';
import { renderChartPng } from '../src/render/chart.ts';
import type { KubeObject, MetricsSource } from '../src/sources/ports.ts';
import { createPrometheusSource } from '../src/sources/prometheus.ts';
import { type QuerySpec, toPromQL } from '../src/sources/queries.ts';
import { createStaticLister, createStaticMetrics } from '../src/sources/scenario.ts';
import { generateScenario } from '../test/scenarios/generator.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    pods: { type: 'string', default: '10' },
    hours: { type: 'string', default: '24' },
    snapshot: { type: 'string' },
    // evidence and verdict only: no thread, no chart (to split the peak between them)
    'skip-render': { type: 'boolean', default: false },
    // range queries the source runs at once; 0: no cap (as before the cap existed)
    'in-flight': { type: 'string' },
  },
});
const AT = '2026-11-24T09:30:00Z';
const concurrency = Number(values.concurrency);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Prometheus' JSON for a matrix answer, as it sends it. */
function matrixBody(series: Series[]): Buffer {
  const result = series.map((s) => ({
    metric: s.labels,
    values: s.t.map((t, i) => [t, String(s.v[i])]),
  }));
  return Buffer.from(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
}

/** Records each query's answer from the generated scenario, keyed by its PromQL. */
async function recordAnswers(): Promise<{ answers: Map<string, Buffer>; objects: KubeObject[] }> {
  const s = generateScenario({
    seed: 7,
    cause: 'traffic_surge',
    variant: 'proportional',
    namespace: 'prod',
    service: 'checkout',
    workload: 'checkout',
    container: 'app',
    workloadKind: 'Deployment',
    replicas: Number(values.pods),
    intervalSeconds: 15,
    windowHours: Number(values.hours),
    trafficFamily: 'http_requests_total',
    sidecar: false,
    gaps: false,
    runtime: 'none',
    recentRollout: false,
    requestBy: 'service',
    namespaceInRequest: true,
    at: AT,
  });
  const store = new Map<string, Series[]>();
  for (const f of s.metrics) store.set(f.name, [...(store.get(f.name) ?? []), ...f.series]);
  const staticMetrics = createStaticMetrics(store, 'record');
  const answers = new Map<string, Buffer>();
  const recorder: MetricsSource = {
    name: 'recorder',
    async queryRange(spec: QuerySpec, window: TimeWindow) {
      const series = await staticMetrics.queryRange(spec, window);
      answers.set(toPromQL(spec, window.stepSeconds), matrixBody(series));
      return series;
    },
  };
  const objects = s.clusterObjects as KubeObject[];
  await diagnoseWorkload(
    { cluster: createStaticLister(objects, 'record'), metrics: recorder },
    {
      name: 'checkout',
      namespace: 'prod',
      at: Date.parse(AT) / 1000,
      windowSeconds: Number(values.hours) * 3600,
    },
  );
  return { answers, objects };
}

const { answers, objects } = await recordAnswers();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = answers.get(url.searchParams.get('query') ?? '');
  res.writeHead(body ? 200 : 400, { 'content-type': 'application/json' });
  res.end(body ?? '{"status":"error","errorType":"bad_data","error":"unknown query"}');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const sources = {
  cluster: createStaticLister(objects, 'bench'),
  metrics: createPrometheusSource(
    `http://127.0.0.1:${port}`,
    values['in-flight'] === undefined
      ? {}
      : { inFlight: Number(values['in-flight']) || Number.POSITIVE_INFINITY },
  ),
};

globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
const base = process.memoryUsage();
let peakRss = base.rss;
let peakHeap = base.heapUsed;
let peakExternal = base.external + base.arrayBuffers;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
}, 10);

let collected = 0;
let snapshotTaken = false;
async function oneDiagnosis(): Promise<string> {
  const run = await diagnoseWorkload(
    sources,
    {
      name: 'checkout',
      namespace: 'prod',
      at: Date.parse(AT) / 1000,
      windowSeconds: Number(values.hours) * 3600,
    },
    {},
    {
      collected: async () => {
        collected++;
        if (values.snapshot && !snapshotTaken && collected === concurrency) {
          snapshotTaken = true;
          writeHeapSnapshot(values.snapshot);
        }
      },
    },
  );
  if (!run) throw new Error('no diagnosis');
  if (values['skip-render']) return run.diagnosis.cause;
  const payload = {
    diagnosis: compactDiagnosis(run.diagnosis),
    thread: renderThread(run.diagnosis),
    chart: Buffer.from(renderChartPng(run.diagnosis.chart, 'checkout')).toString('base64'),
  };
  return `${payload.diagnosis.cause}:${payload.thread.length}:${payload.chart.length > 0}`;
}

const started = Date.now();
const causes = new Set<string>();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const c of await Promise.all(Array.from({ length: concurrency }, oneDiagnosis))) causes.add(c);
}
clearInterval(sampler);
server.close();
const bodies = [...answers.values()].reduce((n, b) => n + b.length, 0);
process.stdout.write(
  `in flight ${values['in-flight'] ?? 'default'}: ${values.rounds} rounds × ${concurrency} concurrent diagnoses, ${values.hours} h at 15 s × ${values.pods} pods ` +
    `(${answers.size} queries, ${mib(bodies)} of Prometheus JSON per diagnosis), ${((Date.now() - started) / 1000).toFixed(1)} s, verdicts ${[...causes].join(' ')}\n` +
    `baseline RSS ${mib(base.rss)} heap ${mib(base.heapUsed)}; peak RSS ${mib(peakRss)} (+${mib(peakRss - base.rss)}), ` +
    `peak heap used ${mib(peakHeap)} (+${mib(peakHeap - base.heapUsed)}), peak external+arrayBuffers ${mib(peakExternal)}\n`,
);
