// The operations settings of src/config.ts: metrics port, Redis topologies, a Prometheus per
// cluster, the job lock. One row per case, each with the message an operator would see.
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { OomBotError } from '../../src/errors.ts';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
  SLACK_SIGNING_SECRET: 'signing-secret',
  PROMETHEUS_URL: 'http://127.0.0.1:9090',
};

describe('config: operations settings', () => {
  it('defaults: metrics on 9091, one Redis, one Prometheus, 30 s job lock', () => {
    const c = loadConfig(base, { mode: 'worker' });
    assert.equal(c.metricsPort, 9091);
    assert.deepEqual(c.redis, {
      url: 'redis://127.0.0.1:6379',
      sentinels: undefined,
      sentinelMaster: undefined,
      sentinelPassword: undefined,
      clusterNodes: undefined,
    });
    assert.deepEqual(c.prometheusUrls, {});
    assert.equal(c.jobLockMs, 30_000);
  });

  it('reads Sentinel and Cluster nodes, and a Prometheus per context', () => {
    const c = loadConfig(
      {
        ...base,
        REDIS_SENTINELS: 's1:26379, [::1]:26380',
        REDIS_SENTINEL_MASTER: 'cache',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
        PROMETHEUS_URLS: 'prod-eu=http://prom-eu:9090, prod-us=https://prom-us.example/',
        METRICS_PORT: '9100',
        JOB_LOCK_MS: '60000',
      },
      { mode: 'worker' },
    );
    assert.deepEqual(c.redis.sentinels, [
      { host: 's1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    assert.equal(c.redis.sentinelMaster, 'cache');
    assert.ok(c.secrets.includes('sentinel-pass'), 'the sentinel password is redacted from logs');
    assert.deepEqual(c.prometheusUrls, {
      'prod-eu': 'http://prom-eu:9090',
      'prod-us': 'https://prom-us.example/',
    });
    assert.equal(c.metricsPort, 9100);
    assert.equal(c.jobLockMs, 60_000);
    const cluster = loadConfig(
      { ...base, REDIS_CLUSTER_NODES: 'n1:7000,n2:7000', QUEUE_PREFIX: '{oom-bot}' },
      { mode: 'worker' },
    );
    assert.deepEqual(cluster.redis.clusterNodes, [
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 7000 },
    ]);
  });

  it('needs no PROMETHEUS_URL when PROMETHEUS_URLS names the clusters', () => {
    const c = loadConfig(
      { ...base, PROMETHEUS_URL: undefined, PROMETHEUS_URLS: 'east=http://p:9090' },
      { mode: 'worker' },
    );
    assert.equal(c.prometheusUrl, undefined);
  });

  it('refuses what cannot work, naming the variable', () => {
    const table: Array<[string, Record<string, string | undefined>, RegExp]> = [
      ['a sentinel without a port', { REDIS_SENTINELS: 's1' }, /REDIS_SENTINELS: "s1" is not host:port/],
      [
        'a port out of range',
        { REDIS_CLUSTER_NODES: 'n1:70000' },
        /REDIS_CLUSTER_NODES: "n1:70000" is not host:port/,
      ],
      [
        'Sentinel and Cluster at once',
        { REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'n:7000', QUEUE_PREFIX: '{x}' },
        /exclude each other/,
      ],
      [
        'a Cluster without a hash-tag prefix',
        { REDIS_CLUSTER_NODES: 'n:7000' },
        /QUEUE_PREFIX must start with a hash tag/,
      ],
      [
        'a Prometheus without a context',
        { PROMETHEUS_URLS: 'http://p:9090' },
        /PROMETHEUS_URLS: .* is not context=/,
      ],
      ['a Prometheus that is not a URL', { PROMETHEUS_URLS: 'east=prom:9090' }, /PROMETHEUS_URLS/],
      ['a metrics port out of range', { METRICS_PORT: '70000' }, /METRICS_PORT/],
      ['a job lock under a second', { JOB_LOCK_MS: '10' }, /JOB_LOCK_MS/],
    ];
    for (const [what, env, message] of table) {
      assert.throws(
        () => loadConfig({ ...base, ...env }, { mode: 'worker' }),
        (error: unknown) => error instanceof OomBotError && message.test(error.userMessage),
        what,
      );
    }
  });
});

describe('config: .env.example as it ships', () => {
  it('loads once the Slack values are filled in (empty values count as unset)', async () => {
    const { parseEnv } = await import('node:util');
    const { readFileSync } = await import('node:fs');
    const env = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
    const c = loadConfig(
      {
        ...env,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: 'signing-secret',
        APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
      },
      { mode: 'start' },
    );
    assert.equal(c.slack.apiUrl, undefined);
    assert.equal(c.port, 3000);
    assert.equal(c.metricsPort, 9091);
    assert.equal(c.redis.sentinels, undefined);
  });
});
