/**
 * Who asked for a diagnosis is the person who ran `/oom`, never whoever clicked Re-diagnose: the
 * diagnose worker, on a real kube-apiserver and Redis, stores the plan of a Re-diagnose click
 * without a requester, while the same person's slash command names them. (The two-person rule no
 * longer depends on the requester; this keeps a click from passing as a request.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bolt from '@slack/bolt';
import { Redis } from 'ioredis';
import { createIncidentStore } from '../../src/incidents/store.ts';
import { processDiagnose } from '../../src/jobs/diagnose-processor.ts';
import { createLogger } from '../../src/logger.ts';
import type { DiagnoseJobData } from '../../src/queues/payloads.ts';
import { createPlanStore, type PlanStore } from '../../src/remediation/plan-store.ts';
import { createPlanner } from '../../src/remediation/planner.ts';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { createSlackPoster } from '../../src/slack/poster.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { readScenario, type Scenario } from '../../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';
import { FAKE_SLACK_DEFAULTS as D, type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { testSigner } from '../support/remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLICKER = 'U0CLICKER01';

describe('trust boundary: Re-diagnose never makes the clicker the requester', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let slack: FakeSlack;
  let redis: Redis;
  let plans: PlanStore;
  let scenario: Scenario;
  let dir: string;
  const prefix = `oom-rediag-${process.pid}-${Date.now()}`;
  const logger = createLogger({ level: 'silent', secrets: [] });

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    [kube, slack] = await Promise.all([startKube(), startFakeSlack()]);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    plans = createPlanStore(redis, prefix, testSigner());
    dir = await mkdtemp(join(tmpdir(), 'oom-rediag-'));
    await writeScenario(dir, seedIncident());
    scenario = await readScenario(dir);
    await loadClusterYaml(kube.kubeConfig, await readFile(join(dir, 'cluster.yaml'), 'utf8'));
  });

  after(async function () {
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await slack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  /** Runs the diagnose worker on `data`; the id of the plan behind the Apply button it posted. */
  async function diagnose(id: string, data: DiagnoseJobData): Promise<string> {
    const seen = new Set(slack.calls().map((c) => c));
    const client = new bolt.webApi.WebClient('xoxb-rediag-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const result = await processDiagnose(
      {
        id,
        data,
        attemptsMade: 0,
        opts: { attempts: 1 },
        updateData: async () => undefined,
      },
      {
        sourcesFor: () => ({ cluster: createKubernetesLister(kube!.kubeConfig), metrics: scenario.metrics }),
        now: () => scenario.at,
        slack: createSlackPoster(client, { minIntervalMs: 0 }),
        incidents: createIncidentStore(redis, prefix),
        logger,
        createPlan: createPlanner({ plans, ttlSeconds: 1800 }),
      },
    );
    assert.equal(result?.cause, 'traffic_surge');
    const apply = slack
      .calls()
      .filter((c) => !seen.has(c))
      .flatMap((c) => (Array.isArray(c.args.blocks) ? c.args.blocks : []))
      .flatMap((b: { elements?: Array<{ action_id?: string; value?: string }> }) => b.elements ?? [])
      .find((e) => e.action_id === ACTION_IDS.apply);
    assert.ok(apply?.value, 'the diagnosis posted an Apply button');
    return apply.value;
  }

  it('stores the plan of a Re-diagnose click without a requester; a slash command by the same person names them', async () => {
    const request = { name: 'auth-service', namespace: 'prod' };
    const clicked = await diagnose('rediag-button', {
      request,
      reply: { channel: D.channelId, threadTs: '1800000000.000100', userId: CLICKER },
      trigger: 'button',
      requestedAt: scenario.at,
    });
    const fromClick = await plans.getPlan(clicked);
    assert.ok(fromClick, 'the plan is stored, signed');
    assert.equal(fromClick.requester, undefined);

    const asked = await diagnose('rediag-slash', {
      request,
      reply: { channel: D.channelId, userId: CLICKER },
      trigger: 'slash_command',
      requestedAt: scenario.at,
    });
    assert.notEqual(asked, clicked);
    assert.equal((await plans.getPlan(asked))?.requester, CLICKER);
  });
});
