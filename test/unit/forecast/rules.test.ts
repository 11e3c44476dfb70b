/** The forecast's screening rules, folding and ranking, on hand-made numbers. */
import assert from 'node:assert/strict';
import { foldStats, type PodPlacement } from '../../../src/domain/forecast/fold.ts';
import { rankRisks } from '../../../src/domain/forecast/rank.ts';
import { riskOfFlag } from '../../../src/domain/forecast/refine.ts';
import { screen } from '../../../src/domain/forecast/rules.ts';
import {
  type ContainerStats,
  DEFAULT_FORECAST_OPTIONS,
  type PodContainerRow,
  type Risk,
} from '../../../src/domain/forecast/types.ts';
import type { ContainerSpec } from '../../../src/domain/types.ts';

const MI = 2 ** 20;
const o = DEFAULT_FORECAST_OPTIONS;

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: 'app',
    image: 'app:1',
    limitBytes: 1024 * MI,
    requestBytes: 512 * MI,
    env: {},
    command: [],
    args: [],
    ...over,
  };
}

function stats(over: Partial<ContainerStats> = {}): ContainerStats {
  return {
    target: { namespace: 'shop', workload: { kind: 'Deployment', name: 'cart' }, container: 'app' },
    pods: ['cart-1'],
    nodes: ['n1'],
    spec: spec(),
    limitBytes: 1024 * MI,
    requestBytes: 512 * MI,
    peakBytes: 600 * MI,
    currentBytes: 550 * MI,
    restarts: 0,
    oomKilled: false,
    pressureNodes: [],
    ...over,
  };
}

describe('forecast screening rules', () => {
  it('leaves a healthy container alone', () => {
    assert.equal(screen(stats(), o), undefined);
  });

  it('flags a heap ceiling at or above the limit, and one that leaves no room for non-heap memory', () => {
    const over = screen(stats({ spec: spec({ env: { JAVA_OPTS: '-Xmx1200m' } }) }), o);
    assert.equal(over?.risk, 'heap_above_limit');
    assert.equal(over?.final, true);
    assert.match(over?.evidence[0] ?? '', /-Xmx1200m \(JAVA_OPTS\)/);
    const tight = screen(stats({ spec: spec({ env: { NODE_OPTIONS: '--max-old-space-size=950' } }) }), o);
    assert.equal(tight?.risk, 'heap_above_limit');
    const roomy = screen(stats({ spec: spec({ env: { JAVA_OPTS: '-Xmx700m' } }) }), o);
    assert.equal(roomy, undefined);
  });

  it('ranks the heap check before any trend: a static risk needs no history', () => {
    const flag = screen(
      stats({
        spec: spec({ env: { GOMEMLIMIT: '1GiB' } }),
        peakBytes: undefined,
        currentBytes: undefined,
      }),
      o,
    );
    assert.equal(flag?.risk, 'heap_above_limit');
  });

  it("estimates the time to the limit from the worst pod's slope", () => {
    const flag = screen(
      stats({
        worstTrend: { pod: 'cart-2', slopeBytesPerSecond: (100 * MI) / 3600, currentBytes: 824 * MI },
      }),
      o,
    );
    assert.equal(flag?.risk, 'leak');
    assert.equal(flag?.etaSeconds, 2 * 3600);
    assert.equal(flag?.final, false);
  });

  it('ignores growth that would take more than 1.5 horizons to reach the limit', () => {
    const slow = screen(
      stats({ worstTrend: { pod: 'cart-1', slopeBytesPerSecond: 1000, currentBytes: 550 * MI } }),
      o,
    );
    assert.equal(slow, undefined);
  });

  it('flags a peak near the limit and a kill in the window', () => {
    assert.equal(screen(stats({ peakBytes: 1000 * MI }), o)?.risk, 'near_limit');
    assert.equal(
      screen(stats({ oomKilled: true, restarts: 3, peakBytes: 1000 * MI }), o)?.risk,
      'recent_kills',
    );
  });

  it('flags usage far above the request, and no limit on a node under pressure', () => {
    const far = screen(stats({ requestBytes: 128 * MI, currentBytes: 500 * MI }), o);
    assert.equal(far?.risk, 'request_far_below_usage');
    assert.match(far?.evidence[0] ?? '', /3\.9x its 128Mi request/);
    const unbounded = stats({
      limitBytes: undefined,
      spec: spec({ limitBytes: undefined }),
      pressureNodes: ['n1'],
    });
    const flag = screen(unbounded, o);
    assert.equal(flag?.risk, 'request_far_below_usage');
    assert.match(flag?.evidence.join('\n') ?? '', /no memory limit.*n1/);
    assert.equal(screen({ ...unbounded, pressureNodes: [] }, o), undefined);
  });

  it('gives each final risk one action with a command that names the workload', () => {
    const flag = screen(stats({ requestBytes: 128 * MI, currentBytes: 500 * MI }), o);
    const risk = riskOfFlag(flag as NonNullable<typeof flag>);
    assert.equal(risk.actions.length, 1);
    assert.equal(risk.actions[0]?.kind, 'adjust_requests');
    assert.match(risk.actions[0]?.command ?? '', /kubectl -n shop patch deployment\/cart/);
    // 500Mi used + 10%, rounded up to a 128Mi step
    assert.match(risk.actions[0]?.command ?? '', /"requests":\{"memory":"640Mi"\}/);
  });
});

describe('foldStats', () => {
  const placements: PodPlacement[] = [
    {
      namespace: 'shop',
      pod: 'cart-a',
      workload: { kind: 'Deployment', name: 'cart' },
      node: 'n1',
      containers: [spec()],
    },
    {
      namespace: 'shop',
      pod: 'cart-b',
      workload: { kind: 'Deployment', name: 'cart' },
      node: 'n2',
      containers: [spec()],
    },
  ];
  const row = (pod: string, current: number, slope: number): PodContainerRow => ({
    namespace: 'shop',
    pod,
    container: 'app',
    peakBytes: current + 10 * MI,
    currentBytes: current,
    slopeBytesPerSecond: slope,
    restarts: 1,
    oomKilled: false,
  });

  it('folds the pods of a workload into one container, keeping the pod nearest its limit by trend', () => {
    const folded = foldStats(
      [row('cart-a', 900 * MI, 10), row('cart-b', 600 * MI, 1000), row('gone-pod', 1000 * MI, 5000)],
      placements,
      new Set(['n2']),
    );
    assert.equal(folded.length, 1);
    const s = folded[0] as ContainerStats;
    assert.deepEqual(s.pods, ['cart-a', 'cart-b']);
    assert.deepEqual(s.pressureNodes, ['n2']);
    assert.equal(s.restarts, 2);
    assert.equal(s.peakBytes, 910 * MI);
    assert.equal(s.worstTrend?.pod, 'cart-b');
  });

  it('keeps a listed container without metrics, for the static rules', () => {
    const folded = foldStats([], placements, new Set());
    assert.equal(folded.length, 1);
    assert.equal(folded[0]?.peakBytes, undefined);
    assert.equal(folded[0]?.limitBytes, 1024 * MI);
  });
});

describe('rankRisks', () => {
  const risk = (name: string, kind: Risk['risk'], eta: number | null): Risk => ({
    target: { namespace: 'ns', workload: { kind: 'Deployment', name }, container: 'app' },
    risk: kind,
    etaSeconds: eta,
    evidence: [],
    actions: [],
  });

  it('puts the soonest kill first, and risks without a time at their nominal urgency', () => {
    const ranked = rankRisks([
      risk('far-leak', 'leak', 20 * 3600),
      risk('requests', 'request_far_below_usage', null),
      risk('soon-leak', 'leak', 1800),
      risk('heap', 'heap_above_limit', null),
      risk('killed', 'recent_kills', null),
    ]);
    assert.deepEqual(
      ranked.map((r) => r.target.workload.name),
      ['soon-leak', 'killed', 'heap', 'far-leak', 'requests'],
    );
  });
});

describe('/oom risks', () => {
  it('parses the forecast keyword with an optional namespace and cluster', async () => {
    const { parseOomCommand } = await import('../../../src/slack/command.ts');
    assert.deepEqual(parseOomCommand('risks'), { kind: 'risks', namespace: undefined, cluster: undefined });
    assert.deepEqual(parseOomCommand('risks payments --cluster prod-eu'), {
      kind: 'risks',
      namespace: 'payments',
      cluster: 'prod-eu',
    });
    assert.deepEqual(parseOomCommand('risks -n payments'), {
      kind: 'risks',
      namespace: 'payments',
      cluster: undefined,
    });
    assert.equal(parseOomCommand('risks a b').kind, 'invalid');
    assert.equal(parseOomCommand('risks Bad_Name').kind, 'invalid');
    assert.equal(parseOomCommand('auth-service').kind, 'diagnose');
  });
});
