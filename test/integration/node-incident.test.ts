/**
 * A node MemoryPressure alert end to end, against a real kube-apiserver and Prometheus: the
 * `oom-bot start` binary receives the alert on its webhook, opens the node incident (its root),
 * then diagnoses the node from the apiserver (the node, its pods, the eviction events) and
 * Prometheus (its pods' working sets) and posts the diagnosis in the root's thread, naming the
 * BestEffort batch pod that filled the node, the api pods above their request, the eviction, and
 * never a pod of another node. The same node from the command line: `diagnose --node -o json`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type Stack, startStack } from '../stack/stack.ts';
import { BIN, type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import {
  HOG,
  NODE,
  nodePressureClusterYaml,
  nodePressureOpenMetrics,
} from '../support/node-pressure-fixture.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'e2e-node-incident-token-0123456789';
const CHANNEL = 'C0NODEPRESSURE';

const text = (value: unknown) => JSON.stringify(value ?? '');

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('node incident → node diagnosis in its thread (real kube-apiserver, Prometheus, Redis)', function () {
  this.timeout(180_000);
  const prefix = `oom-node-e2e-${process.pid}-${Date.now()}`;
  let stack: Stack | undefined;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string | undefined;
  const at = Math.floor(Date.now() / 1000);

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-node-e2e-'));
    writeFileSync(join(dir, 'cluster.yaml'), nodePressureClusterYaml(at));
    writeFileSync(join(dir, 'metrics.om'), nodePressureOpenMetrics(at));
    stack = await startStack({ scenarioDir: dir });
    slack = await startFakeSlack();
    bot = await startBot({
      args: ['start'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-e2e-token-node',
        SLACK_SIGNING_SECRET: 'e2e-signing-secret-node-0123',
        SLACK_API_URL: slack.apiUrl,
        SLACK_MIN_INTERVAL_MS: '50',
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        OOM_CHANNEL: CHANNEL,
        ALERTMANAGER_TOKEN: TOKEN,
        KUBECONFIG: stack.kube.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheus?.url,
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async function () {
    const code = await bot?.stop();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    if (failed && bot) process.stderr.write(`bot log:\n${bot.logs().split('\n').slice(-60).join('\n')}\n`);
    await stack?.stop({ keepLogs: failed || undefined });
    await deleteKeys(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'the bot shuts down cleanly');
  });

  it('posts the node diagnosis, naming the pods that filled the node, in the node incident thread', async () => {
    const res = await fetch(`${bot.url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: 'node',
        status: 'firing',
        receiver: 'oom-bot',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager.invalid',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'KubeNodeMemoryPressure', node: NODE, severity: 'warning' },
            annotations: {},
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: '9c1e5a7b3d2f4e60',
          },
        ],
      }),
    });
    assert.equal(res.status, 202, await res.text());
    const advice = await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.ok &&
        c.args.channel === CHANNEL &&
        /What to do about worker-1/.test(text(c.args.text)),
      HANG_MS,
    );
    const rootTs = String(advice.args.thread_ts ?? '');
    const root = slack.message(CHANNEL, rootTs);
    assert.ok(root && !root.thread_ts, 'the diagnosis is in the thread of a top-level root');
    assert.match(text(root.blocks), /node worker-1/, 'the root is the node incident');
    const inThread = (c: SlackCall) => c.method === 'chat.postMessage' && c.ok && c.args.thread_ts === rootTs;
    const thread = slack.calls('chat.postMessage').filter(inThread);
    assert.equal(thread.length, 3, 'evidence, pods, advice: once each');
    const [evidence, pods] = thread.map((c) => text(c.args.blocks));
    assert.match(evidence ?? '', new RegExp(`batch/${HOG.pod} 9Gi`), 'the hog has the largest working set');
    assert.match(evidence ?? '', /without a memory request.*BestEffort/);
    assert.match(evidence ?? '', /in order: 1\. shop\/web-5f6d7-ccccc/, 'the eviction');
    assert.match(evidence ?? '', /hold back 1Gi of 16Gi/, 'the reserved share');
    assert.match(
      pods ?? '',
      new RegExp(`1\\. \\*batch/${HOG.pod}\\* 9Gi \\(no request, no limit, BestEffort\\)`),
    );
    assert.match(pods ?? '', /shop\/api-7c9d8f-aaaaa\* 950Mi \(request 512Mi, limit 1Gi, Burstable\)/);
    assert.doesNotMatch(`${evidence}${pods}`, /api-7c9d8f-zzzzz/, 'a pod of worker-2 is not counted');
    const adviceText = text(advice.args.blocks);
    assert.match(
      adviceText,
      /1\. raise the memory request of batch\/Job\/report-builder-28901 from no request to/,
    );
    assert.match(adviceText, /spread shop\/Deployment\/api: 2 pods on worker-1/);
  });

  it('answers `diagnose --node` with the same pods in its JSON', async () => {
    const { stdout } = await promisify(execFile)(BIN, ['diagnose', '--node', NODE, '--output', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBECONFIG: stack?.kube.kubeconfigPath,
        PROMETHEUS_URL: stack?.prometheus?.url,
      },
    });
    const report = JSON.parse(stdout) as {
      cause: string;
      node: { name: string; pods: Array<{ name: string; workingSetBytes: number; requestBytes?: number }> };
    };
    assert.equal(report.cause, 'node_pressure');
    assert.equal(report.node.name, NODE);
    assert.equal(report.node.pods[0]?.name, HOG.pod);
    assert.equal(report.node.pods[0]?.workingSetBytes, HOG.bytes);
    assert.deepEqual(
      report.node.pods.map((p) => p.name).sort(),
      [HOG.pod, 'api-7c9d8f-aaaaa', 'api-7c9d8f-bbbbb', 'cache-0'].sort(),
      'the running pods of worker-1, none of worker-2, not the evicted one',
    );
  });
});
