// The worker's HTTP server: liveness, readiness with a deadline, metrics, and nothing else.
import assert from 'node:assert/strict';
import { type HealthServer, startHealthServer } from '../../src/health-server.ts';
import { createMetrics } from '../../src/metrics.ts';

describe('health server (worker)', () => {
  let server: HealthServer;
  let ready: () => Promise<void>;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeEach(async () => {
    ready = async () => undefined;
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ defaultMetrics: false }),
      checkReady: () => ready(),
      readyTimeoutMs: 100,
    });
  });
  afterEach(() => server.close());

  it('answers /healthz, and /readyz while the check passes', async () => {
    assert.equal((await fetch(url('/healthz'))).status, 200);
    const res = await fetch(url('/readyz'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('answers /readyz with 503 and the reason when the check fails or hangs', async () => {
    ready = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    };
    let res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { reason: string }).reason, /ECONNREFUSED/);
    ready = () => new Promise(() => undefined);
    res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { reason: string }).reason, /did not answer in 100 ms/);
    assert.equal((await fetch(url('/healthz'))).status, 200, 'alive all the same');
  });

  it('serves /metrics, 404 elsewhere, 405 for writes', async () => {
    const metrics = await fetch(url('/metrics'));
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /# TYPE oom_bot_queue_jobs gauge/);
    assert.equal((await fetch(url('/slack/events'))).status, 404);
    assert.equal((await fetch(url('/metrics'), { method: 'POST' })).status, 405);
  });
});
