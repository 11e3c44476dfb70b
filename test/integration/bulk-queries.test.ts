/**
 * The forecast's bulk queries against a real Prometheus: every query of the bulk pass (the
 * window peak, the usage now, the `deriv` slope over the trend range, limits, requests, restarts,
 * last terminations, node pressure) answers the same series with the same values from the
 * Prometheus the live bot reads and from the scenario files' evaluator, and the rows the scan
 * joins from them are the same. The data has what makes the slope hard: a steady leak, a flat
 * container, scrape gaps, a restart, jittered scrape times, series the matchers must leave out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantWindow, readBulkMetrics } from '../../src/sources/bulk.ts';
import { parseOpenMetrics } from '../../src/sources/openmetrics.ts';
import type { MetricsSource } from '../../src/sources/ports.ts';
import { createPrometheusSource } from '../../src/sources/prometheus.ts';
import { type BulkScope, bulkQueries, toPromQL } from '../../src/sources/queries.ts';
import { createStaticMetrics } from '../../src/sources/scenario.ts';
import { type StoppableServer, startPrometheus } from '../stack/prometheus.ts';

const MI = 2 ** 20;
const HOURS = 6;
const STEP = 30;
/** The last sample; the queries are evaluated a little after it, as a scan at "now" is. */
const END = Math.floor(Date.now() / 60_000) * 60 - 600;
const AT = END + 45;
/** A leak of 40 MiB an hour. */
const LEAK_PER_SECOND = (40 * MI) / 3600;

interface SeriesSpec {
  metric: string;
  labels: Record<string, string>;
  value: (t: number, k: number) => number | undefined;
}

/** A deterministic jitter of a few seconds, as real scrape times have. */
function jitter(k: number): number {
  return (k * 7919) % 5;
}

const pod = (namespace: string, name: string, container: string, extra: Record<string, string> = {}) => ({
  namespace,
  pod: name,
  container,
  ...extra,
});

const start = END - HOURS * 3600;
const SERIES: SeriesSpec[] = [
  // a leak, sawtooth-free: the slope is the leak rate
  {
    metric: 'container_memory_working_set_bytes',
    labels: pod('shop', 'ledger-1', 'app'),
    value: (t, k) => 300 * MI + (t - start) * LEAK_PER_SECOND + ((k * 31) % 11) * 64 * 1024,
  },
  // flat: deriv 0
  {
    metric: 'container_memory_working_set_bytes',
    labels: pod('shop', 'cart-1', 'app'),
    value: () => 512 * MI,
  },
  // scrape gaps, and a restart two hours before the end (usage falls back)
  {
    metric: 'container_memory_working_set_bytes',
    labels: pod('shop', 'search-1', 'app'),
    value: (t, k) =>
      k % 17 < 3 ? undefined : t < END - 2 * 3600 ? 700 * MI + (k % 13) * MI : 200 * MI + (k % 5) * MI,
  },
  {
    metric: 'container_memory_working_set_bytes',
    labels: pod('ops', 'agent-x', 'agent'),
    value: (_t, k) => 90 * MI + (k % 3) * MI,
  },
  // what the container matchers leave out: the pod's cgroup and the pause container
  { metric: 'container_memory_working_set_bytes', labels: pod('shop', 'cart-1', ''), value: () => 600 * MI },
  { metric: 'container_memory_working_set_bytes', labels: pod('shop', 'cart-1', 'POD'), value: () => MI },
  ...['ledger-1', 'cart-1', 'search-1'].flatMap((p): SeriesSpec[] => [
    {
      metric: 'kube_pod_container_resource_limits',
      labels: pod('shop', p, 'app', { resource: 'memory' }),
      value: () => 1024 * MI,
    },
    {
      metric: 'kube_pod_container_resource_limits',
      labels: pod('shop', p, 'app', { resource: 'cpu' }),
      value: () => 1,
    },
    {
      metric: 'kube_pod_container_resource_requests',
      labels: pod('shop', p, 'app', { resource: 'memory' }),
      value: () => 256 * MI,
    },
  ]),
  // a counter that rose twice and was reset once (a restart of kube-state-metrics)
  {
    metric: 'kube_pod_container_status_restarts_total',
    labels: pod('shop', 'search-1', 'app'),
    value: (t) => (t < END - 3 * 3600 ? 4 : t < END - 2 * 3600 ? 5 : 1),
  },
  {
    metric: 'kube_pod_container_status_restarts_total',
    labels: pod('shop', 'cart-1', 'app'),
    value: () => 0,
  },
  {
    metric: 'kube_pod_container_status_last_terminated_reason',
    labels: pod('shop', 'search-1', 'app', { reason: 'OOMKilled' }),
    value: (t) => (t < END - 2 * 3600 ? 0 : 1),
  },
  {
    metric: 'kube_pod_container_status_last_terminated_reason',
    labels: pod('shop', 'cart-1', 'app', { reason: 'Error' }),
    value: () => 1,
  },
  {
    metric: 'kube_node_status_condition',
    labels: { node: 'node-1', condition: 'MemoryPressure', status: 'true' },
    value: (t) => (Math.abs(t - (END - 4 * 3600)) < 600 ? 1 : 0),
  },
  {
    metric: 'kube_node_status_condition',
    labels: { node: 'node-2', condition: 'MemoryPressure', status: 'false' },
    value: () => 1,
  },
];

function openMetrics(): string {
  const lines: string[] = [];
  const byMetric = new Map<string, SeriesSpec[]>();
  for (const s of SERIES) byMetric.set(s.metric, [...(byMetric.get(s.metric) ?? []), s]);
  const n = (HOURS * 3600) / STEP;
  for (const [metric, series] of byMetric) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const s of series) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      for (let k = 0; k <= n; k++) {
        const t = start + k * STEP - (k === n ? 0 : jitter(k));
        const v = s.value(t, k);
        if (v !== undefined) lines.push(`${metric}{${labels}} ${v} ${t}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

describe('bulk queries: the scenario evaluator answers as a real Prometheus does', function () {
  this.timeout(120_000);
  let dir: string;
  let prometheus: StoppableServer | undefined;
  let live: MetricsSource;
  let files: MetricsSource;
  const text = openMetrics();

  before(async function () {
    this.timeout(10 * 60 * 1000);
    dir = mkdtempSync(join(tmpdir(), 'oom-bulk-queries-'));
    writeFileSync(join(dir, 'metrics.om'), text);
    prometheus = await startPrometheus({ openMetricsFile: join(dir, 'metrics.om') });
    live = createPrometheusSource(prometheus.url, { timeoutMs: 30_000 });
    files = createStaticMetrics(parseOpenMetrics(text), 'files');
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await prometheus?.stop({ keepLogs: failed || undefined });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scopes: Array<[string, BulkScope]> = [
    ['the whole cluster', { windowSeconds: HOURS * 3600, trendSeconds: HOURS * 3600 }],
    [
      'one namespace, a shorter trend',
      { namespace: 'shop', windowSeconds: HOURS * 3600, trendSeconds: 2 * 3600 },
    ],
  ];

  for (const [where, scope] of scopes) {
    for (const name of Object.keys(bulkQueries) as Array<keyof typeof bulkQueries>) {
      it(`${name} over ${where}: the same series and values`, async () => {
        const spec = bulkQueries[name](scope);
        const window = instantWindow(AT);
        const [fromFiles, fromPrometheus] = await Promise.all([
          files.queryRange(spec, window),
          live.queryRange(spec, window),
        ]);
        assert.ok(fromPrometheus.length > 0, `${toPromQL(spec, window.stepSeconds)} answered nothing`);
        assert.deepEqual(
          fromFiles.map((s) => ({ labels: s.labels, t: s.t, v: s.v })),
          fromPrometheus.map((s) => ({ labels: s.labels, t: s.t, v: s.v })),
          toPromQL(spec, window.stepSeconds),
        );
      });
    }
  }

  it('gives the leak its slope and the flat container none, through deriv in both', async () => {
    const spec = bulkQueries.slope({ windowSeconds: HOURS * 3600, trendSeconds: HOURS * 3600 });
    assert.match(toPromQL(spec, 60), /^deriv\(container_memory_working_set_bytes\{.*\}\[21600s\]\)$/);
    const slopes = await live.queryRange(spec, instantWindow(AT));
    const of = (p: string) => slopes.find((s) => s.labels.pod === p)?.v[0];
    const leak = of('ledger-1') as number;
    assert.ok(Math.abs(leak - LEAK_PER_SECOND) < 0.01 * LEAK_PER_SECOND, `leak slope ${leak}`);
    assert.equal(of('cart-1'), 0);
  });

  it('joins the same rows for the scan from both sources', async () => {
    const scope = { windowSeconds: HOURS * 3600, trendSeconds: HOURS * 3600 };
    const [a, b] = await Promise.all([readBulkMetrics(files, scope, AT), readBulkMetrics(live, scope, AT)]);
    const sorted = (rows: typeof a.rows) =>
      [...rows].sort((x, y) =>
        `${x.namespace}/${x.pod}/${x.container}`.localeCompare(`${y.namespace}/${y.pod}/${y.container}`),
      );
    assert.deepEqual(sorted(a.rows), sorted(b.rows));
    assert.deepEqual([...a.pressureNodes], [...b.pressureNodes]);
    assert.deepEqual([...b.pressureNodes], ['node-1']);
    const search = b.rows.find((r) => r.pod === 'search-1');
    assert.equal(search?.oomKilled, true);
    assert.ok((search?.slopeBytesPerSecond ?? 0) < 0, 'the restart shows as a fall');
  });
});
