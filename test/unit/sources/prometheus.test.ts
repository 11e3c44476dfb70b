import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  compactRangeAnswer,
  createLimiter,
  createPrometheusSource,
} from '../../../src/sources/prometheus.ts';

/** A Prometheus that answers every range query with the same matrix, and remembers the queries. */
function fakePrometheus(result: unknown[]): Promise<{ server: Server; url: string; queries: URL[] }> {
  const queries: URL[] = [];
  const server = createServer((req, res) => {
    queries.push(new URL(req.url ?? '/', 'http://x'));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries }),
    ),
  );
}

describe('Prometheus source', () => {
  let fake: Awaited<ReturnType<typeof fakePrometheus>>;
  before(async () => {
    fake = await fakePrometheus([
      {
        metric: { __name__: 'container_memory_working_set_bytes', pod: 'api-1', container: 'app' },
        values: [
          [1700000000, '104857600'],
          [1700000015.5, '1.5e8'],
          [1700000030.123, 'NaN'],
        ],
      },
      { metric: { pod: 'api-2' }, values: [] },
    ]);
  });
  after(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('reads each series as times in seconds and numeric values, with its labels but not the metric name', async () => {
    const source = createPrometheusSource(fake.url);
    const series = await source.queryRange(
      {
        metric: 'container_memory_working_set_bytes',
        matchers: [{ label: 'namespace', op: '=', value: 'prod' }],
        fn: 'max_over_time',
      },
      { start: 1700000000, end: 1700000030, stepSeconds: 15 },
    );
    assert.equal(fake.queries.at(-1)?.pathname, '/api/v1/query_range');
    assert.match(fake.queries.at(-1)?.searchParams.get('query') ?? '', /container_memory_working_set_bytes/);
    assert.equal(series.length, 2);
    assert.deepEqual(series[0]?.labels, { pod: 'api-1', container: 'app' });
    assert.deepEqual(series[0]?.t, [1700000000, 1700000015.5, 1700000030.123]);
    assert.deepEqual(series[0]?.v, [104857600, 1.5e8, Number.NaN]);
    assert.deepEqual(Object.getOwnPropertySymbols(series[0]?.labels ?? {}), []);
    assert.deepEqual(series[1], { labels: { pod: 'api-2' }, t: [], v: [] });
  });

  it('drops the parsed pairs of a range answer as soon as it arrives, and leaves other answers alone', () => {
    const answer = {
      data: {
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '2']] }] },
      },
    };
    compactRangeAnswer(answer);
    assert.deepEqual(answer.data.data.result[0]?.values, []);
    const vector = {
      data: { status: 'success', data: { resultType: 'vector', result: [{ value: [1, '2'] }] } },
    };
    assert.deepEqual(compactRangeAnswer(structuredClone(vector)), vector);
  });

  it('runs at most the limit of range queries at once, the rest in order, a failed one freeing its slot', async () => {
    const limited = createLimiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const task = (i: number) => () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      return new Promise<number>((resolve, reject) =>
        gates.push(() => {
          running--;
          if (i === 0) reject(new Error('no answer'));
          else resolve(i);
        }),
      );
    };
    const results = [0, 1, 2, 3, 4].map((i) => limited(task(i)).catch(() => -1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await Promise.all(results), [-1, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
  });
});
