/**
 * `/oom risks` end to end: the real oom-bot binary (web and worker in one process), a real
 * kube-apiserver and Prometheus holding three workloads, a real Redis, the fake Slack.
 *
 * The slash command posts the ranked answer in the channel: a JVM heap above its limit first,
 * then a container peaking at its limit; a healthy workload is not named. The container at its
 * limit gets a thread reply with its fix, whose commands name the workload's pod selector, and
 * Apply / Preview on a plan stored as a diagnosis's is. A Preview writes nothing; a stranger's
 * Apply is refused; an approver's Apply patches exactly that container's memory (its sidecar and
 * the other workloads are untouched), with the audit annotations and the trail in the thread.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { stringify } from 'yaml';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import {
  FAKE_SLACK_DEFAULTS as D,
  type FakeSlack,
  type SlackCall,
  startFakeSlack,
} from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { simulateRollout } from '../support/remediation-fixtures.ts';
import { blockActionsBody, postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'risks-slash-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNEL = 'C0RISKS0001';
const APPROVER = 'U0APPROVER1';
const STRANGER = 'U0STRANGER1';
const MI = 2 ** 20;
const STEP = 60;
const HOURS = 6;
/** The data ends two minutes before the minute the test starts: the live bot scans "now". */
const AT = Math.floor(Date.now() / 60_000) * 60 - 120;

interface Container {
  name: string;
  limitMi: number;
  requestMi: number;
  usageMi: number;
  javaOpts?: string;
}

interface Workload {
  name: string;
  containers: Container[];
}

const WORKLOADS: Workload[] = [
  // peaks at 94% of its limit: near_limit, whose fix is a bigger limit for `app` alone
  {
    name: 'cart',
    containers: [
      { name: 'app', limitMi: 1024, requestMi: 512, usageMi: 960 },
      { name: 'proxy', limitMi: 256, requestMi: 64, usageMi: 40 },
    ],
  },
  // -Xmx above the limit: heap_above_limit, whose fix (the heap flag) no button makes
  {
    name: 'billing',
    containers: [{ name: 'app', limitMi: 512, requestMi: 256, usageMi: 300, javaOpts: '-Xmx600m' }],
  },
  { name: 'catalog', containers: [{ name: 'app', limitMi: 1024, requestMi: 512, usageMi: 400 }] },
];

const text = (c: SlackCall) => JSON.stringify(c.args);

function containerSpec(c: Container) {
  return {
    name: c.name,
    image: `registry.example/${c.name}:1`,
    ...(c.javaOpts ? { env: [{ name: 'JAVA_OPTS', value: c.javaOpts }] } : {}),
    resources: { limits: { memory: `${c.limitMi}Mi` }, requests: { memory: `${c.requestMi}Mi` } },
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
  for (const w of WORKLOADS) {
    const labels = { app: w.name, tier: 'web' };
    const template = { metadata: { labels }, spec: { containers: w.containers.map(containerSpec) } };
    const rs = `${w.name}-7d9f8c6b5`;
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: 'shop' },
      spec: { replicas: 1, selector: { matchLabels: labels }, template },
    });
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rs,
        namespace: 'shop',
        labels: { ...labels, 'pod-template-hash': '7d9f8c6b5' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid: 'u', controller: true },
        ],
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: { ...labels, 'pod-template-hash': '7d9f8c6b5' } },
        template,
      },
    });
    docs.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs}-a1b2c`,
        namespace: 'shop',
        labels: { ...labels, 'pod-template-hash': '7d9f8c6b5' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: 'u', controller: true },
        ],
      },
      spec: { nodeName: 'node-1', containers: w.containers.map(containerSpec) },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

function metricsText(): string {
  const lines: string[] = [];
  const families: Array<[string, (c: Container, k: number) => number, string]> = [
    ['container_memory_working_set_bytes', (c, k) => (c.usageMi + (k % 7)) * MI, ''],
    ['kube_pod_container_resource_limits', (c) => c.limitMi * MI, ',resource="memory"'],
    ['kube_pod_container_resource_requests', (c) => c.requestMi * MI, ',resource="memory"'],
  ];
  const n = (HOURS * 3600) / STEP;
  for (const [metric, value, extra] of families) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const w of WORKLOADS)
      for (const c of w.containers) {
        const labels = `{namespace="shop",pod="${w.name}-7d9f8c6b5-a1b2c",container="${c.name}"${extra}}`;
        for (let k = 0; k <= n; k++) lines.push(`${metric}${labels} ${value(c, k)} ${AT - (n - k) * STEP}`);
      }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

describe('/oom risks through the real bot: the ranked answer, and a risk’s Apply / Preview', function () {
  this.timeout(240_000);
  const prefix = `oom-risks-slash-${process.pid}-${Date.now()}`;
  let dir: string;
  let stack: Stack | undefined;
  let slack: FakeSlack;
  let bot: BotProcess;
  let rootTs = '';
  let entryTs = '';
  let planId = '';
  let entryText = '';
  let initial: Map<string, V1Deployment>;

  const apps = () => (stack as Stack).kube.kubeConfig.makeApiClient(AppsV1Api);
  const deployment = (name: string) => apps().readNamespacedDeployment({ name, namespace: 'shop' });
  /** A container's resources as plain JSON. */
  const memoryOf = (d: V1Deployment, container: string): unknown =>
    JSON.parse(
      JSON.stringify(d.spec?.template.spec?.containers.find((c) => c.name === container)?.resources),
    );
  const click = (actionId: string, user: string) =>
    postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      blockActionsBody({
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: D.teamId },
        channel: { id: CHANNEL, name: 'risks' },
        message: { type: 'message', ts: entryTs, thread_ts: rootTs, text: 'risk', blocks: [] },
        action: { action_id: actionId, block_id: 'risk_actions', value: planId },
      }),
    );
  const inThread = (pattern: RegExp) =>
    slack.waitFor(
      (c) => c.method === 'chat.postMessage' && c.args.thread_ts === rootTs && pattern.test(text(c)),
      HANG_MS,
    );

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-risks-slash-'));
    writeFileSync(join(dir, 'cluster.yaml'), clusterYaml());
    writeFileSync(join(dir, 'metrics.om'), metricsText());
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      stringify({
        version: 1,
        approvers: { users: [APPROVER] },
        defaults: { actions: ['preview', 'apply', 'rollback'], maxMemoryLimit: '8Gi' },
      }),
    );
    [stack, slack] = await Promise.all([startStack({ scenarioDir: dir }), startFakeSlack()]);
    bot = await startBot({
      args: ['start'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-risks-slash-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        KUBECONFIG: stack.kube.kubeconfigPath,
        PROMETHEUS_URL: stack.prometheus?.url as string,
        APPROVAL_POLICY_FILE: policy,
        WINDOW_HOURS: String(HOURS),
        ROLLOUT_TIMEOUT_SECONDS: '30',
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
    initial = new Map(
      await Promise.all(WORKLOADS.map(async (w) => [w.name, await deployment(w.name)] as const)),
    );
  });

  after(async function () {
    await bot?.stop();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    if (failed && bot) process.stderr.write(`risks-slash: bot log\n${bot.logs().slice(-6000)}\n`);
    await stack?.stop({ keepLogs: failed || undefined });
    for (const name of ['diagnose', 'remediate', 'risks']) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('posts the ranked risks of the namespace in the channel', async () => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'risks shop', channel_id: CHANNEL, response_url: slack.responseUrl('risks') }),
    );
    assert.equal(res.status, 200);
    assert.match(res.body, /Scanning every container in `shop` for OOM risks/);
    const root = await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === CHANNEL &&
        !c.args.thread_ts &&
        /at risk of an OOM kill in shop/.test(String(c.args.text)),
      HANG_MS,
    );
    assert.equal(root.args.text, '2 containers at risk of an OOM kill in shop');
    const body = text(root);
    const billing = body.indexOf('shop/deployment/billing (app)');
    const cart = body.indexOf('shop/deployment/cart (app)');
    assert.ok(billing > 0 && cart > billing, 'the heap above its limit ranks before the peak at the limit');
    assert.ok(!body.includes('catalog'), 'the healthy workload is not named');
    assert.ok(!body.includes('(proxy)'), 'the sidecar far from its limit is not named');
    assert.match(body, /each memory fix is in the thread, with Apply \/ Preview/);
  });

  it('replies in the thread with the fix of the container at its limit, its exact commands and Apply / Preview', async () => {
    const entry = await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.channel === CHANNEL && text(c).includes(ACTION_IDS.apply),
      HANG_MS,
    );
    entryTs = String(entry.args.ts);
    entryText = text(entry);
    rootTs = slack.message(CHANNEL, entryTs)?.thread_ts ?? '';
    assert.ok(rootTs, 'the entry is a thread reply');
    assert.equal(
      slack.message(CHANNEL, rootTs)?.text,
      '2 containers at risk of an OOM kill in shop',
      'in the thread of the answer',
    );
    assert.match(String(entry.args.text), /^shop\/deployment\/cart \(app\): peaks at its limit/);
    planId =
      new RegExp(`"action_id":"${ACTION_IDS.apply}","value":"([A-Za-z0-9_-]{22})"`).exec(text(entry))?.[1] ??
      '';
    assert.ok(planId, 'Apply carries a plan id');
    assert.ok(text(entry).includes(`"action_id":"${ACTION_IDS.preview}","value":"${planId}"`));
    // the workload's pod selector, carried from the bulk read
    assert.match(text(entry), /kubectl -n shop top pod -l app=cart,tier=web --containers/);
    // one thread reply: the heap fix is no change a button makes
    const replies = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === rootTs);
    assert.equal(replies.length, 1);
  });

  it('Preview runs the dry run and writes nothing', async () => {
    assert.equal((await click(ACTION_IDS.preview, APPROVER)).status, 200);
    await inThread(/\*Preview\* for <@U0APPROVER1>.*Nothing was persisted/);
    const cart = await deployment('cart');
    assert.equal(cart.metadata?.generation, initial.get('cart')?.metadata?.generation);
    assert.deepEqual(memoryOf(cart, 'app'), memoryOf(initial.get('cart') as V1Deployment, 'app'));
  });

  it('refuses a stranger’s Apply, and the approver’s Apply patches exactly that container, audited', async () => {
    assert.equal((await click(ACTION_IDS.apply, STRANGER)).status, 200);
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postEphemeral' && c.args.user === STRANGER && /is not an approver/.test(text(c)),
      HANG_MS,
    );
    const generation = (await deployment('cart')).metadata?.generation ?? 0;
    assert.equal(generation, initial.get('cart')?.metadata?.generation, 'the refused click changed nothing');

    const rollout = simulateRollout((stack as Stack).kube.kubeConfig, 'shop', 'cart', generation, 60_000);
    assert.equal((await click(ACTION_IDS.apply, APPROVER)).status, 200);
    await inThread(/\*Applied\* by <@U0APPROVER1>/);
    await rollout;

    const cart = await deployment('cart');
    assert.equal(cart.metadata?.generation, generation + 1, 'patched once');
    // the values the entry showed: the 960-966Mi peak + 25%, rounded up to a tidy step; the
    // request covers the usage of the last minutes (the request as it was when no sample is that recent)
    const shown = /Raise app to (\S+) limit \/ (\S+) request/.exec(entryText)?.slice(1) ?? [];
    assert.equal(shown[0], '1280Mi');
    assert.deepEqual(memoryOf(cart, 'app'), { limits: { memory: shown[0] }, requests: { memory: shown[1] } });
    assert.deepEqual(memoryOf(cart, 'proxy'), memoryOf(initial.get('cart') as V1Deployment, 'proxy'));
    const annotations = cart.metadata?.annotations ?? {};
    assert.equal(annotations['oom-bot/approved-by'], APPROVER);
    assert.equal(annotations['oom-bot/container'], 'app');
    assert.match(annotations['oom-bot/incident'] ?? '', /^forecast-ask-\d+$/);
    for (const name of ['billing', 'catalog']) {
      const d = await deployment(name);
      assert.equal(d.metadata?.generation, initial.get(name)?.metadata?.generation, `${name} untouched`);
    }
    assert.match(bot.logs(), /click approved/);
  });
});
