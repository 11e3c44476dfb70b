/**
 * Scaling out and shutting down, as an operator runs the bot: one `oom-bot serve` and two
 * `oom-bot worker` processes (the real binary) on one Redis queue, signed `/oom` requests, the
 * fake Slack. Every request gets exactly one thread, both workers take jobs, the logs carry the
 * request and job ids, /metrics counts what happened, and a worker stopped mid-job (SIGTERM)
 * finishes it before it exits 0, while one killed mid-job (SIGKILL) has its job handed back to
 * another worker, which finishes it without posting a second root message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'workers-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUESTS = 8;

type LogLine = Record<string, unknown> & { msg?: string };

function logLines(bot: BotProcess): LogLine[] {
  return bot
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

const linesWith = (bot: BotProcess, msg: string) => logLines(bot).filter((l) => l.msg === msg);

const isRoot = (c: SlackCall) => c.method === 'chat.postMessage' && !c.args.thread_ts;

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

/** The value of one sample (`name{labels} value`), summed over the lines that match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('several workers on one queue, and their shutdown (real binaries, real Redis, fake Slack)', function () {
  this.timeout(120_000);
  const prefix = `oom-workers-${process.pid}-${Date.now()}`;
  let slack: FakeSlack;
  let dir: string;
  let web: BotProcess;
  const workers: BotProcess[] = [];
  let env: Record<string, string>;

  const oom = (channel: string, id: string) =>
    postSigned(
      `${web.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(id),
      }),
    );
  const startWorker = async () => {
    const worker = await startBot({ args: ['worker', '--scenario', dir], env });
    workers.push(worker);
    return worker;
  };
  /** The diagnosis is complete in `channel`: root updated with the verdict and chart uploaded. */
  const finished = (channel: string) =>
    slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel,
      HANG_MS,
    );

  before(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-workers-'));
    await writeScenario(dir, seedIncident());
    env = {
      SLACK_BOT_TOKEN: 'xoxb-workers-token-abcdef',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '2',
      JOB_LOCK_MS: '3000', // hand a killed worker's job back in seconds, not the default 30 s
      LOG_LEVEL: 'info',
    };
    web = await startBot({ args: ['serve'], env });
    await startWorker();
    await startWorker();
  });

  after(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    const webExit = await web?.stop();
    await slack?.close();
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(webExit, 0, 'the web process shuts down cleanly on SIGTERM');
  });

  it('gives each request exactly one thread, spread over both workers, with request and job ids in the logs', async () => {
    const channels = Array.from({ length: REQUESTS }, (_, i) => `C0SCALE${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(channels.map((channel, i) => oom(channel, `scale-${i}`)));
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.match(answer.body, /Diagnosing `auth-service`/);
    }
    await Promise.all(channels.map(finished));
    await sleep(1500); // anything posted twice would arrive now

    for (const channel of channels) {
      const roots = slack.calls().filter((c) => isRoot(c) && c.args.channel === channel);
      assert.equal(roots.length, 1, `${channel}: ${roots.length} root messages`);
      const verdict = slack
        .calls('chat.update')
        .filter((c) => c.args.channel === channel && /traffic surge/i.test(JSON.stringify(c.args)));
      assert.ok(verdict.length >= 1, `${channel}: the root was updated with the verdict`);
      assert.equal(slack.files().filter((f) => f.channel_id === channel).length, 1, `${channel}: one chart`);
    }

    // the diagnoses spread over both workers; their deliveries go to whichever sender takes them
    const [a, b] = workers as [BotProcess, BotProcess];
    const diagnosedA = linesWith(a, 'diagnosis handed to the sender');
    const diagnosedB = linesWith(b, 'diagnosis handed to the sender');
    assert.equal(diagnosedA.length + diagnosedB.length, REQUESTS, 'each job was diagnosed once');
    assert.ok(
      diagnosedA.length > 0 && diagnosedB.length > 0,
      `spread: ${diagnosedA.length} + ${diagnosedB.length}`,
    );
    const jobIds = [...diagnosedA, ...diagnosedB].map((l) => l.jobId);
    assert.equal(new Set(jobIds).size, REQUESTS, 'no job was processed by both workers');
    const posted = [...linesWith(a, 'diagnosis posted'), ...linesWith(b, 'diagnosis posted')];
    assert.deepEqual(posted.map((l) => l.jobId).sort(), [...jobIds].sort(), 'each diagnosis delivered once');

    // the web log ties each Slack request (trigger_id) to its job; the worker logs carry both
    const enqueued = linesWith(web, '/oom enqueued');
    assert.equal(enqueued.length, REQUESTS);
    for (const line of enqueued) {
      assert.match(String(line.requestId), /fake0trigger/);
      const delivered = posted.find((l) => l.jobId === line.jobId);
      assert.ok(delivered, `job ${String(line.jobId)} was posted`);
      assert.equal(delivered.requestId, line.requestId);
    }
  });

  it('serves /metrics, /healthz and /readyz on the web port and on each worker', async () => {
    const webMetrics = await metricsText(web.url);
    assert.equal(
      sample(webMetrics, 'oom_bot_slack_requests_total', { kind: 'slash_command', outcome: 'enqueued' }),
      REQUESTS,
    );
    assert.equal(sample(webMetrics, 'oom_bot_queue_jobs', { queue: 'diagnose', state: 'waiting' }), 0);
    assert.ok(sample(webMetrics, 'oom_bot_process_resident_memory_bytes') > 0);
    let diagnosed = 0;
    let timed = 0;
    for (const worker of workers) {
      assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${worker.url}/readyz`)).status, 200);
      const text = await metricsText(worker.url);
      diagnosed += sample(text, 'oom_bot_diagnoses_total', {
        cause: 'traffic_surge',
        trigger: 'slash_command',
      });
      timed += sample(text, 'oom_bot_job_duration_seconds_count', {
        queue: 'diagnose',
        outcome: 'completed',
      });
      assert.match(text, /# TYPE oom_bot_slack_api_errors_total counter/);
      assert.match(text, /# TYPE oom_bot_approval_decisions_total counter/);
    }
    assert.equal(diagnosed, REQUESTS);
    assert.equal(timed, REQUESTS);
  });

  it('finishes the job in flight when a worker gets SIGTERM, then exits 0', async () => {
    // one worker left, so it is the one that takes the job
    const spare = workers.pop() as BotProcess;
    assert.equal(await spare.stop('SIGTERM'), 0, 'an idle worker exits 0 on SIGTERM');
    const worker = workers[0] as BotProcess;
    const channel = 'C0SIGTERM01';
    await oom(channel, 'sigterm');
    await slack.waitFor((c) => isRoot(c) && c.args.channel === channel, HANG_MS);
    const exit = worker.stop('SIGTERM');
    await sleep(200);
    const ready = await fetch(`${worker.url}/readyz`).catch(() => undefined);
    if (ready) assert.equal(ready.status, 503, 'not ready while draining');
    assert.equal(await exit, 0);
    // everything arrived before the process exited
    assert.equal(slack.files().filter((f) => f.channel_id === channel).length, 1, 'the chart was posted');
    assert.equal(slack.calls().filter((c) => isRoot(c) && c.args.channel === channel).length, 1);
    const drained = linesWith(worker, 'worker draining')[0];
    assert.ok(drained && Number(drained.active) >= 1, 'the worker drained an active job');
    assert.ok(linesWith(worker, 'diagnosis posted').length > 0);
    assert.ok(linesWith(worker, 'shutdown complete').length === 1);
  });

  it('hands the job of a worker killed mid-job back to another worker, which finishes it without a second root', async () => {
    workers.length = 0;
    const doomed = await startWorker();
    const channel = 'C0SIGKILL01';
    await oom(channel, 'sigkill');
    await slack.waitFor((c) => isRoot(c) && c.args.channel === channel, HANG_MS);
    // the job records each post right after Slack answers; kill it once the root is recorded (a
    // kill inside those milliseconds is the one window where a hand-back can post again)
    const jobId = String(linesWith(web, '/oom enqueued').at(-1)?.jobId);
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    try {
      const deadline = Date.now() + HANG_MS;
      while (!(await queue.getJob(jobId))?.data.posted?.rootTs) {
        assert.ok(Date.now() < deadline, 'the root post was recorded in the job');
        await sleep(20);
      }
    } finally {
      await queue.close();
    }
    assert.notEqual(await doomed.stop('SIGKILL'), 0);
    workers.length = 0;
    // the job's lock expires (JOB_LOCK_MS) and the next worker's stalled-job check moves it back
    const heir = await startWorker();
    await finished(channel);
    await sleep(1000);
    assert.equal(slack.calls().filter((c) => isRoot(c) && c.args.channel === channel).length, 1);
    const posted = linesWith(heir, 'diagnosis posted');
    assert.equal(posted.length, 1, 'the second worker finished the job');
    assert.equal(await heir.stop('SIGTERM'), 0);
    workers.length = 0;
  });
});
