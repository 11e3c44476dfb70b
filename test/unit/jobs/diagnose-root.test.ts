/**
 * The root message posted once across workers: a run killed between Slack's answer and the Redis
 * write that records the root leaves a claim; the run that takes the job over finds the root by
 * its metadata in the channel (or thread) instead of posting it again. Real Redis, the fake Slack
 * and the real poster; the kill is an `updateData` that never returns.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bolt from '@slack/bolt';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { IncidentStore } from '../../../src/incidents/store.ts';
import type { DiagnoseDeps, DiagnoseJob } from '../../../src/jobs/diagnose-job.ts';
import { processDiagnose } from '../../../src/jobs/diagnose-processor.ts';
import { createRootClaims, ROOT_EVENT } from '../../../src/jobs/diagnose-root.ts';
import type { DiagnoseJobData } from '../../../src/queues/payloads.ts';
import { createSlackPoster } from '../../../src/slack/poster.ts';
import { readScenario, type Scenario } from '../../../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../../scenarios/generator.ts';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.ts';

const killed = new Error('SIGKILL (simulated): the Redis write never happened');

/** A job whose progress record of the root fails, as if the worker died just before it. */
function jobOf(data: DiagnoseJobData, id: string, dieRecordingRoot: boolean): DiagnoseJob {
  return {
    id,
    data: structuredClone(data),
    attemptsMade: 0,
    opts: { attempts: 3 },
    async updateData(d) {
      if (dieRecordingRoot && d.posted?.rootTs) throw killed;
      this.data = d;
    },
  };
}

describe('the root message is posted once across workers', () => {
  let slack: FakeSlack;
  let redis: Redis;
  let scenario: Scenario;
  let dir: string;
  const prefix = `oom-root-test-${process.pid}-${Date.now()}`;

  before(async () => {
    slack = await startFakeSlack();
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    dir = await mkdtemp(join(tmpdir(), 'oom-root-'));
    await writeScenario(dir, seedIncident());
    scenario = await readScenario(dir);
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => slack.reset());

  function deps(): DiagnoseDeps {
    const client = new bolt.webApi.WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    return {
      sourcesFor: () => ({ cluster: scenario.cluster, metrics: scenario.metrics }),
      now: () => scenario.at,
      slack: createSlackPoster(client, { minIntervalMs: 0 }),
      incidents: { save: async () => undefined, get: async () => undefined } as unknown as IncidentStore,
      logger: pino({ level: 'silent' }),
      rootClaims: createRootClaims(redis, prefix),
    };
  }

  const request = (threadTs?: string): DiagnoseJobData => ({
    request: { name: 'auth-service', namespace: 'prod' },
    reply: { channel: 'C0ROOTTEST', ...(threadTs ? { threadTs } : {}) },
    trigger: 'slash_command',
    // Slack's ts are "now": the lookup window starts at the request
    requestedAt: Math.floor(Date.now() / 1000) - 1,
  });

  const roots = (channel = 'C0ROOTTEST') =>
    slack
      .calls('chat.postMessage')
      .filter(
        (c) =>
          c.ok &&
          c.args.channel === channel &&
          (c.args.metadata as { event_type?: string })?.event_type === ROOT_EVENT,
      );

  const rootOf = (job: DiagnoseJob) =>
    job.data.posted?.rootTs ? slack.message(job.data.reply.channel, job.data.posted.rootTs) : undefined;

  it('posts the root with metadata naming the job, and the heir of a killed run finds it instead of posting again', async () => {
    const data = request();
    await assert.rejects(processDiagnose(jobOf(data, 'diag-a', true), deps()), killed);
    assert.equal(roots().length, 1);
    assert.deepEqual(roots()[0]?.args.metadata, { event_type: ROOT_EVENT, event_payload: { job: 'diag-a' } });

    const heir = jobOf(data, 'diag-a', false);
    await processDiagnose(heir, deps());
    assert.equal(roots().length, 1, 'one root message in the channel');
    assert.deepEqual(rootOf(heir)?.metadata, roots()[0]?.args.metadata, 'the heir continued on that root');
    assert.ok(slack.calls('conversations.history').length >= 1, 'it looked in the channel');
    const thread = slack
      .calls('chat.postMessage')
      .filter((c) => c.ok && c.args.thread_ts === heir.data.posted?.rootTs);
    assert.ok(thread.length >= 1, 'the diagnosis went on in the thread of the one root');
  });

  it('finds a root posted into a thread through the thread replies', async () => {
    const parent = await deps().slack.post('C0ROOTTEST', { text: 'alert incident', blocks: [] });
    const data = request(parent);
    await assert.rejects(processDiagnose(jobOf(data, 'diag-b', true), deps()), killed);
    const heir = jobOf(data, 'diag-b', false);
    await processDiagnose(heir, deps());
    assert.equal(roots().length, 1);
    assert.ok(slack.calls('conversations.replies').length >= 1);
  });

  it('posts the root when the claimed run died before Slack posted it', async () => {
    const data = request();
    const first = deps();
    slack.failNext('chat.postMessage', { status: 500 });
    await assert.rejects(processDiagnose(jobOf(data, 'diag-c', false), first));
    assert.equal(roots().length, 0);
    const heir = jobOf(data, 'diag-c', false);
    await processDiagnose(heir, deps());
    assert.equal(roots().length, 1, 'the root exists once');
    assert.deepEqual(rootOf(heir)?.metadata, roots()[0]?.args.metadata);
  });

  it('posts again (at least once) when the channel cannot be read, for example without the history scope', async () => {
    const data = request();
    await assert.rejects(processDiagnose(jobOf(data, 'diag-d', true), deps()), killed);
    slack.failNext('conversations.history', { error: 'missing_scope' });
    await processDiagnose(jobOf(data, 'diag-d', false), deps());
    assert.equal(roots().length, 2, 'a duplicate root rather than a lost diagnosis');
  });

  it('a later request reusing the job id gets its own root', async () => {
    const first = request();
    await processDiagnose(jobOf(first, 'diag-e', false), deps());
    const later = { ...request(), requestedAt: first.requestedAt + 1 };
    await processDiagnose(jobOf(later, 'diag-e', false), deps());
    assert.equal(roots().length, 2);
  });
});
