// Which ioredis constructor the configuration leads to, with what options (one row per topology).
import assert from 'node:assert/strict';
import { connectionPlan, urlOptions } from '../../src/redis.ts';

describe('redis connections', () => {
  it('takes credentials, database and TLS from REDIS_URL', () => {
    assert.deepEqual(urlOptions('redis://127.0.0.1:6379'), {});
    assert.deepEqual(urlOptions('rediss://bot:p%40ss@redis.example:6380/2'), {
      username: 'bot',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });

  it('uses REDIS_URL alone for one server', () => {
    const plan = connectionPlan({ url: 'redis://r:6379' }, { maxRetriesPerRequest: null });
    assert.deepEqual(plan, {
      kind: 'single',
      url: 'redis://r:6379',
      options: { maxRetriesPerRequest: null },
    });
  });

  it('asks the sentinels for the master, with the URL’s password for the master', () => {
    const plan = connectionPlan({
      url: 'redis://:secret@ignored:6379/1',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelMaster: 'cache',
      sentinelPassword: 'sentinel-secret',
    });
    assert.equal(plan.kind, 'sentinel');
    assert.deepEqual(plan.options, {
      password: 'secret',
      db: 1,
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'cache',
      sentinelPassword: 'sentinel-secret',
    });
  });

  it('builds a Cluster from the seed nodes, without a database (clusters have only db 0)', () => {
    const plan = connectionPlan(
      { url: 'redis://:secret@ignored:6379/3', clusterNodes: [{ host: 'n1', port: 7000 }] },
      { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
    );
    assert.equal(plan.kind, 'cluster');
    if (plan.kind !== 'cluster') return;
    assert.deepEqual(plan.nodes, [{ host: 'n1', port: 7000 }]);
    assert.deepEqual(plan.options, {
      redisOptions: { password: 'secret', maxRetriesPerRequest: 1 },
      enableOfflineQueue: false,
    });
  });
});
