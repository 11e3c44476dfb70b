/**
 * The verdict is on the root before the thread and the chart are drawn and handed to the sender:
 * the diagnose job shows it itself, and the sender's delivery of the same verdict then makes no
 * second chat.update. The real poster against the fake Slack; the seed incident from files.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bolt from '@slack/bolt';
import { pino } from 'pino';
import type { IncidentStore } from '../../../src/incidents/store.ts';
import { deliverDiagnosis } from '../../../src/jobs/deliver-diagnosis.ts';
import type { DiagnoseDeps, DiagnoseJob } from '../../../src/jobs/diagnose-job.ts';
import { processDiagnose } from '../../../src/jobs/diagnose-processor.ts';
import type { DeliveryData, DiagnoseJobData } from '../../../src/queues/payloads.ts';
import { createSlackPoster } from '../../../src/slack/poster.ts';
import { readScenario, type Scenario } from '../../../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../../scenarios/generator.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../../support/fake-slack.ts';

const CHANNEL = 'C0VERDICT1';
const isVerdict = (c: SlackCall) => JSON.stringify(c.args.blocks ?? '').includes('"block_id":"oom_verdict"');

describe('the verdict before the thread', () => {
  let slack: FakeSlack;
  let scenario: Scenario;
  let dir: string;

  before(async () => {
    slack = await startFakeSlack();
    dir = await mkdtemp(join(tmpdir(), 'oom-verdict-'));
    await writeScenario(dir, seedIncident());
    scenario = await readScenario(dir);
  });
  after(async () => {
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the verdict on the root from the diagnose job; the sender delivers the thread without updating the root again', async () => {
    const client = new bolt.webApi.WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const handedOff: DeliveryData[] = [];
    const deps: DiagnoseDeps = {
      sourcesFor: () => ({ cluster: scenario.cluster, metrics: scenario.metrics }),
      now: () => scenario.at,
      slack: createSlackPoster(client, { minIntervalMs: 0 }),
      incidents: { save: async () => undefined, get: async () => undefined } as unknown as IncidentStore,
      logger: pino({ level: 'silent' }),
      handOff: async (d) => {
        handedOff.push(structuredClone(d));
      },
    };
    const data: DiagnoseJobData = {
      request: { name: 'auth-service', namespace: 'prod' },
      reply: { channel: CHANNEL },
      trigger: 'slash_command',
      requestedAt: Math.floor(Date.now() / 1000),
    };
    const job: DiagnoseJob = {
      id: 'diag-verdict',
      data,
      attemptsMade: 0,
      opts: { attempts: 3 },
      async updateData(d) {
        this.data = d;
      },
    };
    await processDiagnose(job, deps);
    assert.equal(handedOff.length, 1, 'the thread and chart went to the sender');
    // nothing of the thread is posted yet, and the root already shows the verdict
    const verdict = await slack.waitFor((c) => c.method === 'chat.update' && isVerdict(c), 10_000);
    assert.equal(verdict.args.ts, job.data.posted?.rootTs);
    assert.equal(slack.calls('chat.postMessage').filter((c) => c.args.thread_ts).length, 0);

    const delivery = handedOff[0] as DeliveryData;
    let posted = { threadCount: 0, chart: false };
    await deliverDiagnosis(delivery, deps, {
      posted: () => posted,
      record: async (patch) => {
        posted = { ...posted, ...patch };
      },
      fence: async () => undefined,
    });
    const thread = slack
      .calls('chat.postMessage')
      .filter((c) => c.args.thread_ts === job.data.posted?.rootTs);
    assert.ok(thread.length >= delivery.thread.length, 'the thread was delivered');
    assert.equal(slack.calls('chat.update').filter(isVerdict).length, 1, 'one chat.update shows the verdict');
  });
});
