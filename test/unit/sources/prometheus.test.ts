import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactRangeAnswer, createPrometheusSource } from '../../../src/sources/prometheus.ts';
import type { QuerySpec } from '../../../src/sources/queries.ts';

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

  it('sends at most `inFlight` range queries at once, and a failed one frees its slot', async () => {
    let running = 0;
    let most = 0;
    let seen = 0;
    const held: Array<() => void> = [];
    const server = createServer((req, res) => {
      const n = seen++;
      running++;
      most = Math.max(most, running);
      held.push(() => {
        running--;
        if (n === 0) {
          res.statusCode = 503;
          res.end('unavailable');
        } else {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
        }
      });
      void req;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const source = createPrometheusSource(url, { inFlight: 2 });
      const spec: QuerySpec = {
        metric: 'container_memory_working_set_bytes',
        matchers: [],
        fn: 'max_over_time',
      };
      const answers = [0, 1, 2, 3, 4].map(() =>
        source.queryRange(spec, { start: 1700000000, end: 1700000030, stepSeconds: 15 }).then(
          () => 'ok',
          () => 'failed',
        ),
      );
      let released = 0;
      while (released < 5) {
        const next = held.shift();
        if (next) {
          next();
          released++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(await Promise.all(answers), ['failed', 'ok', 'ok', 'ok', 'ok']);
      assert.equal(seen, 5);
      assert.equal(most, 2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
