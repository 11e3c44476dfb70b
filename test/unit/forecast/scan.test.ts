/**
 * The scan over generated clusters: bulk queries for every container, the full analysis of
 * the candidates only, and the verdicts a user would read. Also deriv() in the file evaluator.
 */
import assert from 'node:assert/strict';
import { linearFit } from '../../../src/domain/series.ts';
import type { Series } from '../../../src/domain/types.ts';
import { type Analyser, scanRisks, screenCluster } from '../../../src/forecast/scan.ts';
import type { SeriesByMetric } from '../../../src/sources/openmetrics.ts';
import type { KubeObject, MetricsSource } from '../../../src/sources/ports.ts';
import type { QuerySpec } from '../../../src/sources/queries.ts';
import { createStaticLister, createStaticMetrics } from '../../../src/sources/scenario.ts';
import { evaluateRange } from '../../../src/sources/series-eval.ts';
import { generateScenario, type ScenarioSpec } from '../../scenarios/generator.ts';

const HOUR = 3600;
const AT = '2026-11-20T12:00:00Z';

interface Cluster {
  store: SeriesByMetric;
  objects: KubeObject[];
  kills: number[];
  start: number;
}

/** Several generated workloads in one cluster (distinct namespaces), their series merged. */
function cluster(specs: Array<Partial<ScenarioSpec>>): Cluster {
  const store: SeriesByMetric = new Map();
  const objects: KubeObject[] = [];
  const kills: number[] = [];
  let start = 0;
  specs.forEach((spec, i) => {
    const g = generateScenario({
      seed: 500 + i,
      windowHours: 48,
      at: AT,
      namespace: `ns${i}`,
      ...spec,
    } as ScenarioSpec);
    for (const f of g.metrics) store.set(f.name, [...(store.get(f.name) ?? []), ...f.series]);
    objects.push(...(g.clusterObjects as KubeObject[]).filter((o) => o.kind !== 'Node' || i === 0));
    kills.push(...g.truth.terminations.filter((k) => k.reason === 'OOMKilled').map((k) => k.at));
    start = g.truth.windowStart;
  });
  return { store, objects, kills: kills.sort((a, b) => a - b), start };
}

function counting(metrics: MetricsSource): { source: MetricsSource; specs: QuerySpec[] } {
  const specs: QuerySpec[] = [];
  return {
    specs,
    source: {
      name: metrics.name,
      queryRange: (spec, window) => {
        specs.push(spec);
        return metrics.queryRange(spec, window);
      },
    },
  };
}

describe('forecast scan', function () {
  this.timeout(60_000);

  it('warns about a slow leak hours before its kill, with a time close to the real one', async () => {
    const c = cluster([{ cause: 'memory_leak', variant: 'slow-single-kill' }]);
    const kill = c.kills[0] as number;
    const cut = kill - 5 * HOUR;
    const sources = {
      cluster: createStaticLister(c.objects, 't'),
      metrics: createStaticMetrics(c.store, 't'),
    };
    const result = await scanRisks(sources, { at: cut, windowSeconds: Math.min(24 * HOUR, cut - c.start) });
    const leak = result.risks.find((r) => r.risk === 'leak');
    assert.ok(leak, `no leak risk in ${JSON.stringify(result.risks.map((r) => r.risk))}`);
    // within half the real time to the kill (the bench reports the error distribution)
    assert.ok(
      leak.etaSeconds !== null && Math.abs(leak.etaSeconds - 5 * HOUR) <= 0.5 * 5 * HOUR,
      `eta ${leak.etaSeconds}`,
    );
    assert.equal(leak.actions[0]?.kind, 'investigate_leak');
    assert.match(leak.evidence.join('\n'), /grows .*\/h after warm-up/);
  });

  it('reads the whole cluster with the same eight queries however many workloads it has', async () => {
    const small = cluster([{ cause: 'no_oom', variant: 'no-restarts' }]);
    const big = cluster([
      { cause: 'no_oom', variant: 'no-restarts' },
      { cause: 'heap_misconfigured' },
      { cause: 'no_oom', variant: 'completed' },
      { cause: 'limit_too_low' },
    ]);
    const at = Date.parse(AT) / 1000;
    const counts: number[] = [];
    for (const c of [small, big]) {
      const m = counting(createStaticMetrics(c.store, 't'));
      const { cost } = await screenCluster(
        { cluster: createStaticLister(c.objects, 't'), metrics: m.source },
        { at },
      );
      counts.push(m.specs.length);
      assert.equal(cost.bulkQueries, m.specs.length);
      assert.ok(
        m.specs.every((s) => !s.matchers.some((x) => x.label === 'pod')),
        'a bulk query names a pod',
      );
    }
    assert.deepEqual(counts, [8, 8]);
  });

  it('analyses only the candidates, finds the static heap risk without analysis, and stays quiet on healthy workloads', async () => {
    const c = cluster([
      { cause: 'no_oom', variant: 'no-restarts' },
      { cause: 'heap_misconfigured', variant: 'env' },
      { cause: 'no_oom', variant: 'no-restarts', tuning: { warmupStart: 0.3, warmupTauSeconds: 5400 } },
      { cause: 'limit_too_low', variant: 'sawtooth' },
    ]);
    const analysed: string[] = [];
    const sources = {
      cluster: createStaticLister(c.objects, 't'),
      metrics: createStaticMetrics(c.store, 't'),
    };
    const { analyseCandidate } = await import('../../../src/forecast/analyse.ts');
    const spy: Analyser = (stats, at) => {
      analysed.push(stats.target.namespace);
      return analyseCandidate(sources, stats, at);
    };
    const result = await scanRisks(sources, { at: Date.parse(AT) / 1000 }, spy);
    const byNs = new Map(result.risks.map((r) => [r.target.namespace, r]));
    assert.equal(byNs.get('ns1')?.risk, 'heap_above_limit');
    assert.equal(byNs.get('ns1')?.actions[0]?.kind, 'fix_runtime_heap');
    assert.equal(byNs.get('ns3')?.risk, 'recent_kills');
    assert.ok(
      !byNs.has('ns0') && !byNs.has('ns2'),
      JSON.stringify(result.risks.map((r) => r.target.namespace)),
    );
    assert.deepEqual(analysed, ['ns3']);
    assert.equal(result.risks[0]?.target.namespace, 'ns3');
  });

  it('narrows to one namespace', async () => {
    const c = cluster([{ cause: 'heap_misconfigured' }, { cause: 'heap_misconfigured' }]);
    const sources = {
      cluster: createStaticLister(c.objects, 't'),
      metrics: createStaticMetrics(c.store, 't'),
    };
    const result = await scanRisks(sources, { at: Date.parse(AT) / 1000, namespace: 'ns1' });
    assert.deepEqual(
      result.risks.map((r) => r.target.namespace),
      ['ns1'],
    );
  });
});

describe('deriv() in the file evaluator', () => {
  const store = (s: Series): SeriesByMetric => new Map([['m', [s]]]);
  const spec: QuerySpec = { metric: 'm', matchers: [], fn: 'deriv', rangeSeconds: 600 };
  const window = { start: 1000, end: 1000, stepSeconds: 60 };

  it('is the least-squares slope of the samples in the range', () => {
    const t = [400, 430, 460, 500, 560, 700, 800, 950, 1000];
    const v = t.map((x, i) => 3 * x + (i % 2 === 0 ? 40 : -25));
    const [out] = evaluateRange(store({ labels: {}, t, v }), spec, window);
    const inRange = t.map((x, i) => [x, v[i] as number] as const).filter(([x]) => x >= 400);
    const fit = linearFit(
      inRange.map(([x]) => x),
      inRange.map(([, y]) => y),
    );
    assert.ok(Math.abs((out?.v[0] as number) - fit.slope) < 1e-9, `${out?.v[0]} vs ${fit.slope}`);
  });

  it('is zero for a flat series and absent with fewer than two samples', () => {
    const flat = evaluateRange(store({ labels: {}, t: [500, 700, 900], v: [5, 5, 5] }), spec, window);
    assert.deepEqual(flat[0]?.v, [0]);
    assert.deepEqual(evaluateRange(store({ labels: {}, t: [900], v: [5] }), spec, window), []);
  });
});
