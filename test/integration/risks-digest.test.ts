/**
 * The scheduled forecast digest end to end: a real kube-apiserver and Prometheus holding three
 * workloads (a JVM heap above its limit, a healthy one, one using far more than its request),
 * the risks queue and its worker on the real Redis, the state in Redis, a recording Slack
 * poster. One digest per scan, nothing when nothing changed, a new entry when a workload got
 * worse (its pod replaced by one whose heap no longer fits). The entry whose fix a button can
 * make (a request far below usage) carries Apply / Preview on a signed plan in Redis, bound to
 * its thread message. Also: the scheduler registered by two workers is one scheduler.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { type Job, type Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { createRiskStateStore } from '../../src/forecast/state-store.ts';
import { processRisks } from '../../src/jobs/risk-processor.ts';
import { createLogger } from '../../src/logger.ts';
import type { RisksJobData } from '../../src/queues/payloads.ts';
import { createRisksQueue, RISKS_QUEUE, scheduleRiskScan } from '../../src/queues/risk-queue.ts';
import { createPlanStore, type PlanStore } from '../../src/remediation/plan-store.ts';
import { createRiskPlanner } from '../../src/remediation/risk-planner.ts';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import type { SlackMessage } from '../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../src/slack/poster.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { createPrometheusSource } from '../../src/sources/prometheus.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { testSigner } from '../support/remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MI = 2 ** 20;
const AT = Math.floor(Date.now() / 60_000) * 60 - 120;
const STEP = 60;
const HOURS = 6;

interface Spec {
  name: string;
  limitMi: number;
  requestMi: number;
  usageMi: number;
  javaOpts: string;
}

const SPECS: Spec[] = [
  { name: 'billing', limitMi: 512, requestMi: 256, usageMi: 300, javaOpts: '-Xmx600m' },
  { name: 'catalog', limitMi: 1024, requestMi: 512, usageMi: 400, javaOpts: '-Xmx600m' },
  { name: 'search', limitMi: 2048, requestMi: 128, usageMi: 700, javaOpts: '-Xmx1200m' },
];

function container(s: Spec, javaOpts = s.javaOpts) {
  return {
    name: 'app',
    image: 'registry.example/app:1',
    env: [{ name: 'JAVA_OPTS', value: javaOpts }],
    resources: { limits: { memory: `${s.limitMi}Mi` }, requests: { memory: `${s.requestMi}Mi` } },
  };
}

function podOf(s: Spec, suffix: string, javaOpts?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${s.name}-7d9f8c6b5-${suffix}`,
      namespace: 'shop',
      labels: { app: s.name },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${s.name}-7d9f8c6b5`,
          uid: 'u',
          controller: true,
        },
      ],
    },
    spec: { nodeName: 'node-1', containers: [container(s, javaOpts)] },
  };
}

function clusterYaml(): string {
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { capacity: { memory: '16Gi' }, allocatable: { memory: '15Gi' } },
    },
  ];
  for (const s of SPECS) {
    const template = { metadata: { labels: { app: s.name } }, spec: { containers: [container(s)] } };
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: s.name, namespace: 'shop' },
      spec: { replicas: 1, selector: { matchLabels: { app: s.name } }, template },
    });
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${s.name}-7d9f8c6b5`,
        namespace: 'shop',
        labels: { app: s.name },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name, uid: 'u', controller: true },
        ],
      },
      spec: { replicas: 1, selector: { matchLabels: { app: s.name } }, template },
    });
    docs.push(podOf(s, 'a1b2c'));
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

function metricsText(): string {
  const lines: string[] = [];
  const families: Array<[string, (s: Spec, k: number) => number, string]> = [
    ['container_memory_working_set_bytes', (s, k) => (s.usageMi + (k % 7)) * MI, ''],
    ['kube_pod_container_resource_limits', (s) => s.limitMi * MI, ',resource="memory"'],
    ['kube_pod_container_resource_requests', (s) => s.requestMi * MI, ',resource="memory"'],
  ];
  const n = (HOURS * 3600) / STEP;
  for (const [metric, value, extra] of families) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const s of SPECS) {
      const labels = `{namespace="shop",pod="${s.name}-7d9f8c6b5-a1b2c",container="app"${extra}}`;
      for (let k = 0; k <= n; k++) lines.push(`${metric}${labels} ${value(s, k)} ${AT - (n - k) * STEP}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

interface Post {
  channel: string;
  message: SlackMessage;
  threadTs?: string;
  ts: string;
}

function recordingPoster(posts: Post[], updates: Post[]): SlackPoster {
  let n = 0;
  return {
    async post(channel, message, threadTs) {
      const ts = `1700000000.${String(++n).padStart(6, '0')}`;
      posts.push({ channel, message, threadTs, ts });
      return ts;
    },
    async update(channel, ts, message) {
      updates.push({ channel, message, ts });
    },
    async uploadPng() {
      assert.fail('the digest uploads nothing');
    },
    async respond() {
      assert.fail('the digest answers no response URL');
    },
  };
}

describe('scheduled risk digest (real Redis, Prometheus and kube-apiserver)', function () {
  this.timeout(300_000);
  const prefix = `oom-risks-${process.pid}-${Date.now()}`;
  let dir: string;
  let stack: Stack;
  let redis: Redis;
  let queue: Queue<RisksJobData>;
  let events: QueueEvents;
  let worker: Worker<RisksJobData>;
  const posts: Post[] = [];
  const updates: Post[] = [];
  let plans: PlanStore;
  const duplicates: Redis[] = [];
  /** A connection of our own for a BullMQ object, closed in `after`. */
  const connect = (): Redis => {
    const c = redis.duplicate();
    duplicates.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-risks-digest-'));
    writeFileSync(join(dir, 'cluster.yaml'), clusterYaml());
    writeFileSync(join(dir, 'metrics.om'), metricsText());
    stack = await startStack({ scenarioDir: dir });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = createRisksQueue(redis, prefix);
    events = new QueueEvents(RISKS_QUEUE, { connection: connect(), prefix });
    await events.waitUntilReady();
    const sources = {
      cluster: createKubernetesLister(stack.kube.kubeConfig, 'test'),
      metrics: createPrometheusSource(stack.prometheus?.url ?? '', { timeoutMs: 30_000 }),
    };
    plans = createPlanStore(redis, prefix, testSigner());
    const deps = {
      sourcesFor: () => sources,
      now: () => AT,
      slack: recordingPoster(posts, updates),
      store: createRiskStateStore(redis, prefix),
      routes: [],
      defaultChannel: 'C-OOM',
      windowSeconds: HOURS * 3600,
      logger: createLogger({ level: 'silent', secrets: [] }),
      planRisk: createRiskPlanner({ plans, ttlSeconds: 1800 }),
    };
    worker = new Worker<RisksJobData>(RISKS_QUEUE, (job: Job<RisksJobData>) => processRisks(job, deps), {
      connection: connect(),
      prefix,
    });
  });

  after(async () => {
    await worker?.close();
    await events?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis?.disconnect();
    // BullMQ leaves connections it was given open: close ours, or mocha never exits
    for (const c of duplicates) c.disconnect();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function scan(): Promise<Post[]> {
    const before = posts.length;
    const job = await queue.add('scheduled-scan', { kind: 'scheduled', requestedAt: AT });
    await job.waitUntilFinished(events, 240_000);
    return posts.slice(before);
  }

  const roots = (list: Post[]) => list.filter((p) => !p.threadTs);
  const threadTexts = (list: Post[]) => list.filter((p) => p.threadTs).map((p) => p.message.text);

  it('registers one scheduler however many workers register it', async () => {
    const other = createRisksQueue(connect(), prefix);
    await Promise.all([scheduleRiskScan(queue, '0 * * * *'), scheduleRiskScan(other, '0 * * * *')]);
    const schedulers = await queue.getJobSchedulers();
    assert.equal(schedulers.length, 1);
    assert.equal(schedulers[0]?.pattern, '0 * * * *');
    await scheduleRiskScan(other, undefined);
    assert.equal((await queue.getJobSchedulers()).length, 0);
    await other.close();
  });

  it('posts one digest with a thread per workload at risk', async () => {
    const first = await scan();
    assert.equal(roots(first).length, 1);
    assert.equal(roots(first)[0]?.channel, 'C-OOM');
    assert.match(roots(first)[0]?.message.text ?? '', /2 new or worse risks/);
    const threads = threadTexts(first);
    assert.equal(threads.length, 2);
    assert.ok(threads.some((t) => /shop\/deployment\/billing \(app\): runtime heap does not fit/.test(t)));
    assert.ok(threads.some((t) => /shop\/deployment\/search \(app\): request far below usage/.test(t)));
    assert.ok(!threads.some((t) => t.includes('catalog')));
    const state = await redis.hgetall(`${prefix}:risks:seen`);
    assert.equal(Object.keys(state).length, 2);
    // search's fix (its request) gets Apply / Preview on a signed plan bound to its thread message;
    // billing's (the heap flag) is no change a button makes
    const entry = first.find((p) => p.threadTs && /search/.test(p.message.text)) as Post;
    const withButtons = updates.filter((u) => u.ts === entry.ts);
    assert.equal(withButtons.length, 1);
    assert.equal(updates.length, 1);
    const planId = new RegExp(`"action_id":"${ACTION_IDS.apply}","value":"([A-Za-z0-9_-]{22})"`).exec(
      JSON.stringify(withButtons[0]?.message.blocks),
    )?.[1];
    const plan = await plans.getPlan(planId ?? '');
    assert.deepEqual(plan?.target, { namespace: 'shop', kind: 'Deployment', name: 'search' });
    assert.equal(plan?.container, 'app');
    assert.equal(plan?.messageTs, entry.ts);
    assert.equal(plan?.threadTs, entry.threadTs);
    assert.deepEqual(plan?.memory?.from, { limit: '2Gi', request: '128Mi' });
    // the request now covers the 700-706Mi used, with 10%: the kubelet no longer evicts it first
    assert.equal(plan?.memory?.to.limit, '2Gi');
    const request = parseQuantity(plan?.memory?.to.request ?? '0') ?? 0;
    assert.ok(request >= 1.1 * 700 * MI && request < 1024 * MI, plan?.memory?.to.request);
  });

  it('posts nothing when nothing changed', async () => {
    assert.deepEqual(await scan(), []);
  });

  it('posts a new entry when a workload got worse', async () => {
    // search's pod replaced by one whose heap ceiling is above the 2Gi limit
    const api = KubernetesObjectApi.makeApiClient(stack.kube.kubeConfig);
    const search = SPECS[2] as Spec;
    await api.delete({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${search.name}-7d9f8c6b5-a1b2c`, namespace: 'shop' },
    });
    await api.create(podOf(search, 'z9y8x', '-Xmx2500m'));
    const worse = await scan();
    assert.equal(roots(worse).length, 1);
    assert.match(roots(worse)[0]?.message.text ?? '', /1 new or worse risk\b/);
    assert.deepEqual(
      threadTexts(worse).map((t) => t.split(':')[0]),
      ['shop/deployment/search (app)'],
    );
    assert.match(threadTexts(worse)[0] ?? '', /runtime heap does not fit/);
    assert.deepEqual(await scan(), []);
  });
});
