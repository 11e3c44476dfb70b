// The plan store against the real Redis: records round-trip, and consuming an approval is atomic
// (many concurrent clicks, on many connections, give exactly one "ok").
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RemediationPlan } from '../../src/contracts/plan-types.ts';
import { createPlanStore, newRecordId } from '../../src/remediation/plan-store.ts';
import { testSigner } from '../support/remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function plan(id: string, expiresAt: number): RemediationPlan {
  return {
    id,
    incidentId: 'inc-1',
    channel: 'C1',
    messageTs: '1.000100',
    threadTs: '1.000100',
    target: { namespace: 'prod', kind: 'Deployment', name: 'auth-service' },
    container: 'auth',
    cause: 'traffic_surge',
    createdAt: expiresAt - 1800,
    expiresAt,
    snapshot: { generation: 1, memory: { limit: '512Mi' } },
    memory: { from: { limit: '512Mi' }, to: { limit: '1Gi', request: '512Mi' } },
  };
}

describe('plan store (real Redis)', function () {
  this.timeout(60_000); // a hang guard, not a speed limit
  const prefix = `oom-plan-test-${process.pid}-${Date.now()}`;
  const clients: Redis[] = [];
  const now = Math.floor(Date.now() / 1000);

  before(() => {
    for (let i = 0; i < 8; i++) clients.push(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
  });

  after(async () => {
    const keys = await (clients[0] as Redis).keys(`${prefix}:*`);
    if (keys.length > 0) await (clients[0] as Redis).del(...keys);
    for (const c of clients) c.disconnect();
  });

  it('round-trips a plan and refuses ids that are not its own', async () => {
    const store = createPlanStore(clients[0] as Redis, prefix, testSigner());
    const p = plan(newRecordId(), now + 1800);
    await store.savePlan(p);
    assert.deepEqual(await store.getPlan(p.id), p);
    assert.equal(await store.getPlan(newRecordId()), undefined);
    assert.equal(await store.getPlan('../../etc'), undefined);
    const ttl = await (clients[0] as Redis).ttl(`${prefix}:plan:{${p.id}}`);
    assert.ok(ttl > 1800, 'kept after expiry, so an old button is told "expired"');
  });

  it('gives exactly one "ok" to 200 concurrent consumers on 8 connections', async () => {
    const stores = clients.map((c) => createPlanStore(c, prefix, testSigner()));
    const p = plan(newRecordId(), now + 1800);
    await (stores[0] as ReturnType<typeof createPlanStore>).savePlan(p);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (stores[i % stores.length] as ReturnType<typeof createPlanStore>).consume(
          'plan',
          p.id,
          'apply',
          `U${i}`,
          now,
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'ok');
    assert.equal(ok.length, 1);
    const winner = results.findIndex((r) => r.status === 'ok');
    for (const r of results.filter((r) => r.status !== 'ok')) {
      assert.deepEqual(r, { status: 'used', by: `U${winner}`, at: now });
    }
    // another action of the same plan is a separate approval
    assert.equal(
      (await (stores[1] as ReturnType<typeof createPlanStore>).consume('plan', p.id, 'create_vpa', 'U1', now))
        .status,
      'ok',
    );
    assert.deepEqual(
      await (stores[2] as ReturnType<typeof createPlanStore>).consumption('plan', p.id, 'apply'),
      {
        by: `U${winner}`,
        at: now,
      },
    );
  });

  it('refuses an expired or unknown record, and can release a consumption', async () => {
    const store = createPlanStore(clients[0] as Redis, prefix, testSigner());
    const old = plan(newRecordId(), now - 1);
    await store.savePlan(old);
    assert.deepEqual(await store.consume('plan', old.id, 'apply', 'U1', now), {
      status: 'expired',
      expiresAt: now - 1,
    });
    assert.deepEqual(await store.consume('plan', newRecordId(), 'apply', 'U1', now), { status: 'missing' });
    const p = plan(newRecordId(), now + 60);
    await store.savePlan(p);
    assert.equal((await store.consume('plan', p.id, 'apply', 'U1', now)).status, 'ok');
    await store.release('plan', p.id, 'apply');
    assert.equal((await store.consume('plan', p.id, 'apply', 'U2', now)).status, 'ok');
  });
});
