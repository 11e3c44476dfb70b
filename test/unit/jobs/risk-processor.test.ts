/**
 * `/oom risks` as the forecast worker answers it, over in-memory sources and a recording poster:
 * the ranked list in the channel, then a thread reply per risk whose fix Apply can make, whose
 * plan is bound to that reply and whose buttons are added to it; a plan that cannot be stored
 * leaves the reply without buttons and the job still answers.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Risk } from '../../../src/domain/forecast/types.ts';
import { createMemoryRiskStateStore } from '../../../src/forecast/state-store.ts';
import { processRisks } from '../../../src/jobs/risk-processor.ts';
import { createLogger } from '../../../src/logger.ts';
import type { RiskPlanContext } from '../../../src/remediation/risk-planner.ts';
import { ACTION_IDS } from '../../../src/render/action-ids.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';
import type { SeriesByMetric } from '../../../src/sources/openmetrics.ts';
import type { KubeObject } from '../../../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../../../src/sources/scenario.ts';

const MI = 2 ** 20;
const AT = Date.parse('2026-11-20T12:00:00Z') / 1000;

function workload(name: string, env: Array<{ name: string; value: string }> = []): KubeObject[] {
  const container = {
    name: 'app',
    image: 'app:1',
    env,
    resources: { limits: { memory: '2Gi' }, requests: { memory: '128Mi' } },
  };
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-5f6`,
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: 'u', controller: true }],
      },
      spec: { selector: { matchLabels: { ...labels, 'pod-template-hash': '5f6' } } },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-5f6-x`,
        namespace: 'shop',
        labels,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-5f6`, uid: 'u', controller: true },
        ],
      },
      spec: { nodeName: 'n1', containers: [container] },
    },
  ] as KubeObject[];
}

/** Three hours of flat usage at 700Mi per pod, with its limit and request. */
function metrics(pods: string[]): SeriesByMetric {
  const t = Array.from({ length: 181 }, (_, i) => AT - 3 * 3600 + i * 60);
  const flat = (v: number) => t.map(() => v);
  const labels = (pod: string, extra: Record<string, string> = {}) => ({
    namespace: 'shop',
    pod,
    container: 'app',
    ...extra,
  });
  return new Map([
    ['container_memory_working_set_bytes', pods.map((p) => ({ labels: labels(p), t, v: flat(700 * MI) }))],
    [
      'kube_pod_container_resource_limits',
      pods.map((p) => ({ labels: labels(p, { resource: 'memory' }), t, v: flat(2048 * MI) })),
    ],
    [
      'kube_pod_container_resource_requests',
      pods.map((p) => ({ labels: labels(p, { resource: 'memory' }), t, v: flat(128 * MI) })),
    ],
  ]);
}

interface Recorded {
  posts: Array<{ channel: string; message: SlackMessage; threadTs?: string; ts: string }>;
  updates: Array<{ channel: string; ts: string; message: SlackMessage }>;
}

function recorder(): SlackPoster & Recorded {
  const posts: Recorded['posts'] = [];
  const updates: Recorded['updates'] = [];
  return {
    posts,
    updates,
    async post(channel, message, threadTs) {
      const ts = `1800000000.${String(posts.length + 1).padStart(6, '0')}`;
      posts.push({ channel, message, threadTs, ts });
      return ts;
    },
    async update(channel, ts, message) {
      updates.push({ channel, ts, message });
    },
    uploadPng: async () => assert.fail('no upload'),
    respond: async () => assert.fail('no response URL'),
  };
}

describe('processRisks: /oom risks', () => {
  // search uses 700Mi on a 128Mi request (its fix is a request: Apply); billing's heap does not fit (no button)
  const objects = [...workload('search'), ...workload('billing', [{ name: 'JAVA_OPTS', value: '-Xmx3g' }])];
  const sources = {
    cluster: createStaticLister(objects, 'test'),
    metrics: createStaticMetrics(metrics(['search-5f6-x', 'billing-5f6-x']), 'test'),
  };
  const job = {
    data: {
      kind: 'ask' as const,
      namespace: 'shop',
      reply: { channel: 'C1', userId: 'U0ASKER' },
      requestedAt: AT,
    },
  };

  function deps(slack: SlackPoster, planRisk?: (r: Risk, c: RiskPlanContext) => Promise<string | undefined>) {
    const logs: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    return {
      logs,
      deps: {
        sourcesFor: () => sources,
        now: () => AT,
        slack,
        store: createMemoryRiskStateStore(),
        routes: [],
        windowSeconds: 3 * 3600,
        logger: createLogger({ level: 'info', secrets: [], destination }),
        ...(planRisk ? { planRisk } : {}),
      },
    };
  }

  it('posts the list, then the applicable fix in its thread with buttons on a plan bound to that reply', async () => {
    const slack = recorder();
    const asked: Array<{ name: string; context: RiskPlanContext }> = [];
    const { deps: d } = deps(slack, async (r, context) => {
      asked.push({ name: r.target.workload.name, context });
      return 'plan-search-0000000000';
    });
    assert.deepEqual(await processRisks(job, d), { asked: 2 });
    const [list, reply, ...rest] = slack.posts;
    assert.deepEqual(rest, []);
    assert.equal(list?.message.text, '2 containers at risk of an OOM kill in shop');
    assert.match(
      JSON.stringify(list?.message.blocks),
      /each memory fix is in the thread, with Apply \/ Preview/,
    );
    assert.equal(reply?.threadTs, list?.ts);
    assert.match(reply?.message.text ?? '', /^shop\/deployment\/search \(app\): request far below usage/);
    assert.deepEqual(
      asked.map((a) => [
        a.name,
        a.context.messageTs,
        a.context.threadTs,
        a.context.requester,
        a.context.channel,
      ]),
      [['search', reply?.ts, list?.ts, 'U0ASKER', 'C1']],
    );
    assert.deepEqual(
      slack.updates.map((u) => u.ts),
      [reply?.ts],
    );
    const blocks = JSON.stringify(slack.updates[0]?.message.blocks);
    assert.ok(blocks.includes(`"action_id":"${ACTION_IDS.apply}","value":"plan-search-0000000000"`));
    assert.ok(blocks.includes(`"action_id":"${ACTION_IDS.preview}","value":"plan-search-0000000000"`));
  });

  it('leaves the reply without buttons when the plan cannot be stored, and still answers', async () => {
    const slack = recorder();
    const { deps: d, logs } = deps(slack, async () => {
      throw new Error('redis down');
    });
    assert.deepEqual(await processRisks(job, d), { asked: 2 });
    assert.equal(slack.posts.length, 2);
    assert.deepEqual(slack.updates, []);
    assert.ok(!JSON.stringify(slack.posts).includes(ACTION_IDS.apply));
    assert.ok(logs.some((l) => /no buttons for it/.test(l) && /redis down/.test(l)));
  });

  it('posts only the list when no planner is wired', async () => {
    const slack = recorder();
    await processRisks(job, deps(slack).deps);
    assert.equal(slack.posts.length, 1);
    assert.doesNotMatch(JSON.stringify(slack.posts[0]?.message), /in the thread/);
  });
});
