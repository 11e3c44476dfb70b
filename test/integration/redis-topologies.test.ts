/**
 * Redis Sentinel and Redis Cluster, configured the way an operator does (REDIS_SENTINELS +
 * REDIS_SENTINEL_MASTER; REDIS_CLUSTER_NODES + a hash-tag QUEUE_PREFIX): real redis-server
 * processes on loopback, the real `oom-bot start` binary, a signed /oom that must come back as a
 * diagnosis in the fake Slack. REDIS_URL points at a closed port in both, so only the topology
 * settings can have carried the traffic.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { freePorts } from '../stack/ports.ts';
import { type ManagedProcess, startProcess } from '../stack/proc.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const run = promisify(execFile);
const SECRET = 'topology-signing-secret-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('Redis Sentinel and Redis Cluster through the ioredis options (real redis-server, real binary)', function () {
  this.timeout(90_000);
  let dir: string;
  let scenario: string;
  let slack: FakeSlack;
  const procs: ManagedProcess[] = [];
  const bots: BotProcess[] = [];

  const redisServer = (name: string, args: string[]) => {
    const p = startProcess(name, 'redis-server', args, join(dir, `${name}.log`));
    procs.push(p);
    return p;
  };

  /** Run the bot on this topology and diagnose the seed incident through it. */
  async function diagnoseThrough(env: Record<string, string>, channel: string): Promise<BotProcess> {
    const bot = await startBot({
      args: ['start', '--scenario', scenario],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-topology-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: 'redis://127.0.0.1:9/0',
        ...env,
      },
    });
    bots.push(bot);
    await waitFor('readiness', async () => (await fetch(`${bot.url}/readyz`)).ok);
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(channel),
      }),
    );
    assert.match(res.body, /Diagnosing `auth-service`/);
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel,
      40_000,
    );
    const roots = slack
      .calls('chat.postMessage')
      .filter((c) => c.args.channel === channel && !c.args.thread_ts);
    assert.equal(roots.length, 1);
    assert.equal(await bot.stop(), 0);
    return bot;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-redis-topologies-'));
    scenario = join(dir, 'scenario');
    await writeScenario(scenario, seedIncident());
    slack = await startFakeSlack();
  });

  after(async () => {
    for (const bot of bots) await bot.stop('SIGKILL');
    for (const p of procs.reverse()) await p.stop();
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows the master that the sentinels name (REDIS_SENTINELS, REDIS_SENTINEL_MASTER)', async () => {
    const [masterPort, sentinelPort] = (await freePorts(2)) as [number, number];
    redisServer('master', [
      '--port',
      String(masterPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    const master = new Redis({ port: masterPort, lazyConnect: true, maxRetriesPerRequest: 0 }).on(
      'error',
      () => undefined,
    );
    await waitFor('the master', async () => (await master.ping().catch(() => '')) === 'PONG');
    const sentinelConf = join(dir, 'sentinel.conf');
    writeFileSync(
      sentinelConf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `sentinel monitor oom-test 127.0.0.1 ${masterPort} 1`,
        'sentinel down-after-milliseconds oom-test 5000',
      ].join('\n'),
    );
    redisServer('sentinel', [sentinelConf, '--sentinel']);
    const sentinel = new Redis({ port: sentinelPort, lazyConnect: true, maxRetriesPerRequest: 0 }).on(
      'error',
      () => undefined,
    );
    await waitFor('the sentinel', async () => {
      const answer = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'oom-test')) as string[];
      return answer?.[1] === String(masterPort);
    });
    sentinel.disconnect();

    await diagnoseThrough(
      {
        REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
        REDIS_SENTINEL_MASTER: 'oom-test',
        QUEUE_PREFIX: 'oom-sentinel',
      },
      'C0SENTINEL1',
    );
    // the queue and the incident store live on the master the sentinel named
    assert.ok((await master.keys('oom-sentinel:incident:*')).length >= 1);
    master.disconnect();
  });

  it('runs on a Redis Cluster, every key in one slot (REDIS_CLUSTER_NODES, QUEUE_PREFIX={…})', async () => {
    const ports = await freePorts(3);
    for (const port of ports) {
      redisServer(`cluster-${port}`, [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
      ]);
    }
    for (const port of ports) {
      const node = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 }).on(
        'error',
        () => undefined,
      );
      await waitFor(`node ${port}`, async () => (await node.ping().catch(() => '')) === 'PONG');
      node.disconnect();
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const probe = new Redis({ port: ports[0], lazyConnect: true, maxRetriesPerRequest: 0 }).on(
      'error',
      () => undefined,
    );
    await waitFor('cluster_state:ok', async () => (await probe.cluster('INFO')).includes('cluster_state:ok'));
    probe.disconnect();

    await diagnoseThrough(
      {
        REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(','),
        QUEUE_PREFIX: '{oom-cluster}',
      },
      'C0CLUSTER01',
    );
    const cluster = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    await new Promise((resolve) => cluster.once('ready', resolve));
    const keys = await Promise.all(cluster.nodes('master').map((node) => node.keys('{oom-cluster}*')));
    assert.equal(keys.filter((k) => k.length > 0).length, 1, 'every key of the bot is on one node');
    await cluster.quit();
  });
});
