/**
 * Reliability: a worker SIGKILLed mid-diagnosis (real binaries, real Redis, fake Slack).
 *
 * A clean run gives the reference thread. Then, at each point of the diagnosis (root posted,
 * each thread message posted, the last one just before the chart upload), a fresh `/oom` is sent, the worker is SIGKILLed
 * right after that post is recorded in the job, and a new worker is started: BullMQ's stalled-job
 * check (JOB_LOCK_MS) hands the job back, the new worker continues where the job stopped, and the
 * channel ends with exactly the reference thread: one root, each message once, in order, one
 * chart. workers.test.ts covers the first point (the root) and SIGTERM draining; this adds the
 * others and a job whose workers die twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { DiagnoseJobData } from '../../src/queues/payloads.ts';
import { FULL, report, sleep, waitUntil } from '../reliability/intensity.ts';
import { transcript } from '../reliability/transcript.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'kill-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Posted = NonNullable<DiagnoseJobData['posted']>;
interface KillPoint {
  name: string;
  reached(p: Posted): boolean;
}

describe('reliability: a worker SIGKILLed mid-diagnosis', function () {
  this.timeout(FULL ? 600_000 : 300_000);
  const prefix = `oom-rel-kill-${process.pid}-${Date.now()}`;
  let slack: FakeSlack;
  let dir: string;
  let web: BotProcess;
  let worker: BotProcess | undefined;
  let queue: Queue<DiagnoseJobData>;
  let sends: Queue<{ posted?: Posted; jobId?: string; rootTs?: string }>;
  let env: Record<string, string>;
  let reference: string[] = [];
  const workers: BotProcess[] = [];

  const startWorker = async () => {
    const w = await startBot({ args: ['worker', '--scenario', dir], env });
    workers.push(w);
    worker = w;
    return w;
  };
  const oom = (channel: string) =>
    postSigned(
      `${web.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(channel),
      }),
    );
  const jobIdFor = (channel: string) =>
    waitUntil('the job id in the web log', HANG_MS, () => {
      const line = web
        .logs()
        .split('\n')
        .find((l) => l.includes('"/oom enqueued"') && l.includes(`"channel":"${channel}"`));
      return line ? String((JSON.parse(line) as { jobId: string }).jobId) : undefined;
    });
  const diagnosed = (w: BotProcess, jobId: string) =>
    waitUntil(
      `job ${jobId} finished`,
      90_000,
      () =>
        w.logs().includes(`"jobId":"${jobId}"`) &&
        /"msg":"diagnosis posted"/.test(
          w
            .logs()
            .split('\n')
            .filter((l) => l.includes(`"jobId":"${jobId}"`))
            .join('\n'),
        ),
    );
  /**
   * The job's progress: the root in the diagnose job (removed once it completes), the thread in the
   * delivery it handed over to the sender (found by the diagnose job's id).
   */
  const posted = async (jobId: string): Promise<Posted> => {
    const own: Posted = (await queue.getJob(jobId))?.data.posted ?? {};
    const deliveries = await sends.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed']);
    const delivery = deliveries.find((d) => d?.data.jobId === jobId);
    return {
      ...own,
      ...(delivery ? { rootTs: delivery.data.rootTs } : {}),
      ...(delivery?.data.posted ?? {}),
    };
  };

  before(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-kill-'));
    await writeScenario(dir, seedIncident());
    env = {
      SLACK_BOT_TOKEN: 'xoxb-kill-token-abcdef',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '1',
      // posts a second apart leave a window after each recorded post to kill in
      SLACK_MIN_INTERVAL_MS: '1000',
      JOB_LOCK_MS: '2000',
      LOG_LEVEL: 'info',
    };
    queue = new Queue<DiagnoseJobData>('diagnose', { connection: { url: REDIS_URL }, prefix });
    sends = new Queue<{ posted?: Posted; jobId?: string; rootTs?: string }>('slack-send', {
      connection: { url: REDIS_URL },
      prefix,
    });
    web = await startBot({ args: ['serve'], env });
    await startWorker();
  });

  after(async () => {
    report('worker-kill', {
      points: outcomes.length,
      duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
      missing: outcomes.reduce((n, o) => n + o.missing, 0),
      inOrder: outcomes.every((o) => o.inOrder),
    });
    for (const w of workers) await w.stop('SIGKILL');
    await web?.stop();
    await slack?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await sends?.obliterate({ force: true }).catch(() => undefined);
    await sends?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a clean run gives the reference thread', async () => {
    const channel = 'C0KILLREF01';
    await oom(channel);
    await diagnosed(worker as BotProcess, await jobIdFor(channel));
    await sleep(500);
    reference = transcript(slack, channel);
    assert.equal(reference[0]?.startsWith('root'), true);
    assert.ok(reference.filter((l) => l.startsWith('reply')).length >= 4, reference.join('\n'));
    assert.equal(reference.filter((l) => l.startsWith('chart')).length, 1);
  });

  const thread = [1, 2, 3, 4].map((k) => ({
    name: `thread message ${k} posted`,
    reached: (p: Posted) => (p.threadCount ?? 0) >= k,
  }));
  // (after the chart only bookkeeping is left: the job completes within milliseconds)
  const all: KillPoint[] = [{ name: 'root posted', reached: (p) => Boolean(p.rootTs) }, ...thread];
  // CI: the first, a middle and the last point; RELIABILITY=full: every point
  const points = FULL ? all : [all[0], all[2], all[4]].filter((p): p is KillPoint => Boolean(p));
  const outcomes: Array<{ point: string; duplicates: number; missing: number; inOrder: boolean }> = [];

  for (const [i, point] of points.entries()) {
    it(`killed after "${point.name}": the new worker finishes, every post once and in order`, async () => {
      const channel = `C0KILL${String(i).padStart(5, '0')}`;
      await oom(channel);
      const jobId = await jobIdFor(channel);
      await waitUntil(point.name, HANG_MS, async () => point.reached(await posted(jobId)), 20);
      assert.equal(await (worker as BotProcess).stop('SIGKILL'), 'SIGKILL');
      const heir = await startWorker();
      await diagnosed(heir, jobId);
      await sleep(1500); // a second copy of anything would arrive now
      const seen = transcript(slack, channel);
      const duplicates = seen.length - new Set(seen).size;
      const missing = reference.filter((l) => !seen.includes(l)).length;
      outcomes.push({
        point: point.name,
        duplicates,
        missing,
        inOrder: seen.join('\n') === reference.join('\n'),
      });
      assert.deepEqual(seen, reference, 'the same thread as the clean run: each post once, in order');
    });
  }

  it('killed twice on the same job: BullMQ fails it as a poison job, and the thread says so', async () => {
    const channel = 'C0KILLTWICE';
    await oom(channel);
    const jobId = await jobIdFor(channel);
    await waitUntil('root posted', HANG_MS, async () => Boolean((await posted(jobId)).rootTs), 20);
    await (worker as BotProcess).stop('SIGKILL');
    const second = await startWorker();
    await waitUntil(
      'thread message 1',
      HANG_MS,
      async () => ((await posted(jobId)).threadCount ?? 0) >= 1,
      20,
    );
    await second.stop('SIGKILL');
    const third = await startWorker();
    const failed = await waitUntil('the job to finish or fail', HANG_MS, async () => {
      // once handed over, the delivery is the job that finishes or fails
      const deliveries = await sends.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed']);
      const job = deliveries.find((d) => d?.data.jobId === jobId) ?? (await queue.getJob(jobId));
      if (!job) return 'completed';
      const state = await job.getState();
      return state === 'failed' || state === 'completed'
        ? `${state}${job.failedReason ? `: ${job.failedReason}` : ''}`
        : undefined;
    });
    await sleep(1500);
    const seen = transcript(slack, channel);
    const roots = seen.filter((l) => l.startsWith('root')).length;
    // the root's current state: its last update (the fake keeps messages by the ts it answered)
    const lastUpdate = slack
      .calls('chat.update')
      .filter((c) => c.ok && c.args.channel === channel)
      .at(-1);
    const root = slack.message(channel, String(lastUpdate?.args.ts ?? ''));
    report('worker-kill-twice', { outcome: failed, roots, posts: seen.length, rootText: root?.text });
    assert.equal(roots, 1, 'never a second root');
    assert.equal(seen.length - new Set(seen).size, 0, 'nothing posted twice');
    if (failed.startsWith('failed')) {
      assert.match(
        String(root?.text),
        /diagnosis of auth-service stopped: its workers stopped in the middle of it more than once \(job stalled more than allowable limit\)/,
        'the root message says the diagnosis stopped, instead of showing its progress forever',
      );
    } else {
      assert.deepEqual(seen, reference);
    }
    assert.ok(third);
  });
});
