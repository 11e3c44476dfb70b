/**
 * Reliability: Prometheus is down, end to end (the real binary, a real kube-apiserver holding the
 * seed incident, a real Prometheus behind a switchable TCP proxy, a real Redis, the fake Slack).
 *
 * With the proxy refusing connections, `/oom auth-service` still gets its thread: the kills come
 * from the pods' status in the cluster, and a "Missing data" message names every metric that
 * could not be read and why ("Prometheus at HOST: connection refused"). With Prometheus reachable
 * again, the next `/oom` is complete and names nothing missing, without a restart. The library
 * level (every gap, a slow Prometheus, a 403 on reads, a slow or stopped apiserver) is in
 * sources-failure.test.ts; a 409 and a 403 on the patch are in remediation.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { report } from '../reliability/intensity.ts';
import { writeScenario } from '../scenarios/generator.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { seedIncidentEndingNow } from '../support/live-seed.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'prom-down-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A TCP proxy on a fixed port that can stop listening (connection refused) and listen again. */
async function switchableProxy(upstream: string) {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const make = () =>
    createServer((client) => {
      const up = createConnection({ host: target.hostname, port: Number(target.port) });
      for (const s of [client, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(up).pipe(client);
    });
  let server: Server = make();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      server = make();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('reliability: Prometheus is down', function () {
  this.timeout(240_000);
  const prefix = `oom-rel-prom-${process.pid}-${Date.now()}`;
  let stack: Stack | undefined;
  let proxy: Awaited<ReturnType<typeof switchableProxy>>;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;

  const threadOf = async (channel: string): Promise<SlackCall[]> => {
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
    // done: the chart (none without metrics) or the "Missing data" message, the thread's last
    await slack.waitFor(
      (c) =>
        (c.method === 'files.completeUploadExternal' && c.args.channel_id === channel) ||
        (c.method === 'chat.postMessage' &&
          c.args.channel === channel &&
          /^Missing data/.test(String(c.args.text))),
      90_000,
    );
    return slack.calls().filter((c) => c.ok && c.args.channel === channel);
  };

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-prom-'));
    await writeScenario(dir, seedIncidentEndingNow());
    stack = await startStack({ scenarioDir: dir });
    proxy = await switchableProxy(stack.prometheus?.url as string);
    slack = await startFakeSlack();
    bot = await startBot({
      args: ['start'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-prom-down-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        KUBECONFIG: stack.kube.kubeconfigPath,
        PROMETHEUS_URL: proxy.url,
        SOURCE_TIMEOUT_MS: '5000',
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async function () {
    await bot?.stop();
    await slack?.close();
    await proxy?.close().catch(() => undefined);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await stack?.stop({ keepLogs: failed || undefined });
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('down: the diagnosis comes from the cluster, and every missing metric is named', async () => {
    await proxy.down();
    const host = new URL(proxy.url).host;
    const calls = await threadOf('C0PROMDOWN1');
    const missing = calls.find(
      (c) => c.method === 'chat.postMessage' && /^Missing data/.test(String(c.args.text)),
    );
    assert.ok(missing, 'a "Missing data" message in the thread');
    const named = [
      'memory working set',
      'memory limits',
      'restart counts',
      'traffic (http_requests_total)',
    ].filter((what) =>
      JSON.stringify(missing.args).includes(`${what}: Prometheus at ${host}: connection refused`),
    );
    assert.equal(named.length, 4, JSON.stringify(missing.args));
    const verdict = calls
      .filter((c) => c.method === 'chat.update' && JSON.stringify(c.args).includes('oom_verdict'))
      .at(-1);
    assert.ok(verdict, 'the root carries a verdict');
    assert.match(
      JSON.stringify(verdict.args),
      /OOM kills \(24 h\)\*\\n[1-9]/,
      'kills read from the pods’ status',
    );
    assert.doesNotMatch(String(verdict.args.text), /not an OOM kill/i);
    report('prometheus-down', { missingNamed: named.length, threadMessages: calls.length });
  });

  it('back: the next /oom is complete, without a restart', async () => {
    await proxy.up();
    const calls = await threadOf('C0PROMBACK1');
    assert.equal(
      calls.filter((c) => c.method === 'chat.postMessage' && /^Missing data/.test(String(c.args.text)))
        .length,
      0,
    );
    assert.match(JSON.stringify(calls.map((c) => c.args)), /traffic surge/i);
  });
});
