/**
 * Reliability: Slack refuses connections while a diagnosis is in flight, and the worker gets
 * SIGTERM (the real binaries, real Redis). The worker's Web API client would retry for
 * SLACK_RETRY_MAX_MS (set to 30 minutes here); shutdown must not wait for it: the worker exits 0
 * once SHUTDOWN_DRAIN_MS has passed, the job is still in the queue (neither failed nor completed),
 * and another worker, with Slack reachable, later posts the diagnosis exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { report, waitUntil } from '../reliability/intensity.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { freePort } from '../stack/ports.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'slack-down-signing-secret-012345';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DRAIN_MS = 3_000;
/** Far longer than the drain: an exit before it proves the drain deadline, not the retry bound. */
const SLACK_RETRY_MAX_MS = 30 * 60 * 1000;
/** Slack for the whole retry bound would be 30 min; the deadline plus this is well short of it. */
const EXIT_MARGIN_MS = 60_000;

const isRoot = (c: SlackCall) => c.method === 'chat.postMessage' && !c.args.thread_ts;

describe('reliability: Slack refuses connections, a worker with a diagnosis in flight gets SIGTERM', function () {
  this.timeout(300_000);
  const prefix = `oom-slack-down-${process.pid}-${Date.now()}`;
  let slack: FakeSlack;
  let dir: string;
  let web: BotProcess;
  const workers: BotProcess[] = [];
  let queue: Queue;
  let env: Record<string, string>;

  const startWorker = async (slackApiUrl: string) => {
    const worker = await startBot({
      args: ['worker', '--scenario', dir],
      env: { ...env, SLACK_API_URL: slackApiUrl },
    });
    workers.push(worker);
    return worker;
  };

  before(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-slack-down-'));
    await writeScenario(dir, seedIncident());
    env = {
      SLACK_BOT_TOKEN: 'xoxb-slack-down-token-abcdef',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      // a stopped worker's job is handed back after this; long enough that a loaded machine renews it in time
      JOB_LOCK_MS: '10000',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SLACK_RETRY_MAX_MS: String(SLACK_RETRY_MAX_MS),
      LOG_LEVEL: 'info',
    };
    web = await startBot({ args: ['serve'], env });
    queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
  });

  after(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    await web?.stop();
    await slack?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 within the drain deadline, leaves the job in the queue, and another worker posts it once', async () => {
    // nothing listens on this port: every Web API call is refused (ECONNREFUSED)
    const refusing = `http://127.0.0.1:${await freePort()}/api/`;
    const stranded = await startWorker(refusing);
    const channel = 'C0SLACKDOWN';
    const res = await postSigned(
      `${web.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl('down'),
      }),
    );
    assert.equal(res.status, 200);
    assert.match(res.body, /Diagnosing `auth-service`/);

    // in flight: the job is active and the worker is retrying its first post against the refusing Slack
    const [job] = await waitUntil('the job to be active', HANG_MS, async () => {
      const active = await queue.getActive();
      return active.length > 0 ? active : undefined;
    });
    assert.ok(job?.id);
    await waitUntil('a refused Slack call in the worker log', HANG_MS, () =>
      /ECONNREFUSED|connection refused|request failed|retry/i.test(stranded.logs()) ? true : undefined,
    );

    const stoppedAt = Date.now();
    const code = await stranded.stop('SIGTERM');
    const exitMs = Date.now() - stoppedAt;
    assert.equal(code, 0, `exit code (log:\n${stranded.logs().slice(-3000)})`);
    assert.ok(
      exitMs < DRAIN_MS + EXIT_MARGIN_MS,
      `exited ${exitMs} ms after SIGTERM, past the drain deadline of ${DRAIN_MS} ms plus ${EXIT_MARGIN_MS} ms`,
    );
    assert.match(stranded.logs(), /jobs still running at the drain deadline/);

    // the job is still the queue's: neither failed nor completed, no attempt spent
    const state = await queue.getJobState(job.id);
    assert.ok(['active', 'waiting', 'wait', 'prioritized', 'delayed'].includes(state), `job state ${state}`);
    const left = await queue.getJob(job.id);
    assert.equal(left?.attemptsMade, 0, 'the stopped run did not count as a failed attempt');
    assert.equal(slack.calls().filter(isRoot).length, 0, 'nothing reached Slack meanwhile');

    // another worker, Slack reachable: the stalled-job check hands the job over and it is posted
    const heir = await startWorker(slack.apiUrl);
    await slack
      .waitFor((c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel)
      .catch((error: Error) => {
        throw new Error(`${error.message}\nheir log:\n${heir.logs().slice(-4000)}`);
      });
    const roots = slack.calls().filter((c) => isRoot(c) && c.args.channel === channel);
    assert.equal(roots.length, 1, 'one root message');
    const id = job.id;
    // a completed diagnosis job is removed from the queue (removeOnComplete); a failed one stays
    const final = await waitUntil('the job to finish', HANG_MS, async () => {
      const now = await queue.getJobState(id);
      return ['completed', 'unknown', 'failed'].includes(now) ? now : undefined;
    });
    assert.notEqual(final, 'failed', 'the job was not failed');
    assert.equal(await heir.stop('SIGTERM'), 0);
    workers.length = 0;
    report('slack-refusing-shutdown', {
      drainMs: DRAIN_MS,
      retryMaxMs: SLACK_RETRY_MAX_MS,
      exitCode: code,
      exitMs,
      jobStateAfterExit: state,
      rootsPostedByHeir: roots.length,
    });
  });
});
