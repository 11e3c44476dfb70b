/**
 * End to end, as a user meets the bot: a signed `/oom auth-service` reaches the real binary over
 * HTTP, the ack comes back, a worker diagnoses through a real Redis, and the fake Slack receives
 * the root message, the thread naming the cause, and the chart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'e2e-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Json = { response_type?: string; text?: string };

function textOf(value: unknown): string {
  return JSON.stringify(value);
}

describe('/oom end to end (real binary, real Redis, fake Slack)', function () {
  this.timeout(180_000);
  let slack: FakeSlack;
  let bot: BotProcess;
  const prefix = `oom-e2e-${process.pid}-${Date.now()}`;

  before(async () => {
    slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'oom-seed-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-e2e-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async () => {
    const code = await bot?.stop();
    await slack?.close();
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    assert.equal(code, 0, 'the bot shuts down cleanly on SIGTERM');
  });

  it('acknowledges, then posts a root message and a thread naming the cause', async () => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'auth-service -n prod', response_url: slack.responseUrl('seed') }),
    );
    assert.equal(res.status, 200);
    assert.match(res.body, /Diagnosing `auth-service`/);
    assert.equal((res.json as Json | undefined)?.response_type, 'ephemeral');

    const root = await slack.waitFor((c) => c.method === 'chat.postMessage' && !c.args.thread_ts, HANG_MS);
    const final = await slack.waitFor(
      (c) => c.method === 'chat.update' && textOf(c.args).toLowerCase().includes('traffic surge'),
      HANG_MS,
    );
    assert.equal(final.args.channel, root.args.channel);
    await slack.waitFor((c) => c.method === 'files.completeUploadExternal', HANG_MS);
    const thread = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts);
    assert.ok(thread.length >= 2, `thread replies: ${thread.length}`);
    assert.ok(thread.every((c) => c.args.thread_ts === thread[0]?.args.thread_ts));
    assert.match(textOf(thread.map((c) => c.args)), /kubectl -n prod patch deployment\/auth-service/);
    const file = slack.files()[0];
    assert.ok(file, 'the chart was uploaded');
    assert.ok(file.alt_text && file.alt_text.length > 10, 'the chart has alt text');
    assert.equal(file.thread_ts, thread[0]?.args.thread_ts);
  });

  it('lets identical requests in flight share one diagnosis', async () => {
    const channel = 'C0SHARED01';
    const body = () =>
      slashCommandBody({
        text: 'auth-service',
        channel_id: channel,
        response_url: slack.responseUrl('shared'),
      });
    const [a, b] = await Promise.all([
      postSigned(`${bot.url}/slack/events`, SECRET, body()),
      postSigned(`${bot.url}/slack/events`, SECRET, body()),
    ]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel,
      HANG_MS,
    );
    const roots = slack
      .calls('chat.postMessage')
      .filter((c) => c.args.channel === channel && !c.args.thread_ts);
    assert.equal(roots.length, 1);
  });

  it('answers a bad signature with 401 and does nothing', async () => {
    const before = slack.calls().length;
    const res = await postSigned(
      `${bot.url}/slack/events`,
      'wrong-secret',
      slashCommandBody({ text: 'auth-service' }),
    );
    assert.equal(res.status, 401);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(slack.calls().length, before);
  });

  it('answers bad arguments with an ephemeral usage message and enqueues nothing', async () => {
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    try {
      const res = await postSigned(
        `${bot.url}/slack/events`,
        SECRET,
        slashCommandBody({ text: 'Auth_Service!' }),
      );
      assert.equal(res.status, 200);
      assert.equal((res.json as Json | undefined)?.response_type, 'ephemeral');
      assert.match(String((res.json as Json | undefined)?.text), /not a valid Kubernetes name/);
      assert.match(String((res.json as Json | undefined)?.text), /Usage/);
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
      assert.equal((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0), 0);
    } finally {
      await queue.close();
    }
  });

  it('tells the requester privately when nothing matches, with near matches', async () => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'auth-servic', response_url: slack.responseUrl('typo') }),
    );
    assert.equal(res.status, 200);
    const reply = await slack.waitFor((c) => c.method === 'response_url' && c.id === 'typo', HANG_MS);
    assert.match(
      textOf(reply.args),
      /no service, workload or app label named auth-servic.*did you mean auth-service/,
    );
  });
});
