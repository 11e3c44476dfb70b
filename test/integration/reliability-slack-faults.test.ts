/**
 * Reliability: Slack answers 429 and 5xx (the real binary; a fault-injecting proxy in front of
 * the fake Slack).
 *
 * Delivery semantics, as built: the worker's WebClient rejects rate-limited calls and the poster
 * waits out Retry-After per channel lane, then sends again; a 5xx (or a network error) is retried
 * by the WebClient itself (its default policy: up to 10 retries over about 30 minutes, backing off
 * from about a second), inside the same lane, so later messages wait and order holds. A 5xx that
 * Slack answered without acting (the usual case) therefore ends with every message once, in
 * order. A 5xx answered *after* Slack posted cannot be told apart from one before (Slack's Web API
 * has no idempotency key, and reading the channel back would need history scopes the bot does not
 * ask for): the retry posts that one message a second time. The bot chooses at-least-once there
 * (a diagnosis is never silently lost); the last test pins that down: exactly one extra copy, of
 * exactly that message, nothing else out of order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intensity, report, sleep } from '../reliability/intensity.ts';
import {
  type FaultPlan,
  type SlackFaultProxy,
  startSlackFaultProxy,
} from '../reliability/slack-fault-proxy.ts';
import { transcript } from '../reliability/transcript.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'slack-faults-signing-secret-0123';

describe('reliability: Slack answers 429 and 5xx', function () {
  this.timeout(300_000);
  let slack: FakeSlack;
  let proxy: SlackFaultProxy;
  let bot: BotProcess;
  let dir: string;
  let reference: string[] = [];

  const diagnoseIn = async (channel: string) => {
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        channel_id: channel,
        response_url: slack.responseUrl(channel),
      }),
    );
    assert.match(res.body, /Diagnosing `auth-service`/);
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.ok && c.args.channel_id === channel,
      180_000,
    );
    await sleep(1000); // a late duplicate would arrive now
    return transcript(slack, channel);
  };

  before(async () => {
    slack = await startFakeSlack();
    proxy = await startSlackFaultProxy(slack.url, () => undefined);
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-slack-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-slack-faults-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: proxy.apiUrl,
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: `oom-rel-slack-${process.pid}-${Date.now()}`,
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await proxy?.close();
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without faults: the reference thread', async () => {
    reference = await diagnoseIn('C0SLACKREF1');
    assert.equal(reference[0]?.startsWith('root'), true);
    assert.ok(reference.length >= 6, reference.join('\n'));
  });

  const runs = intensity(2, 6);
  it(`429 with Retry-After and 500/502/503 before Slack acts, on every other call: ${runs} threads, every message once, in order`, async () => {
    const statuses = [500, 503, 502];
    let n = 0;
    const plan: FaultPlan = (method, nth) => {
      if (
        ![
          'chat.postMessage',
          'chat.update',
          'files.getUploadURLExternal',
          'files.completeUploadExternal',
        ].includes(method)
      )
        return undefined;
      if (nth % 2 === 1) return undefined; // the retry of a faulted call goes through
      n += 1;
      return n % 2 === 1
        ? { before: 429, retryAfter: 1 }
        : { before: statuses[n % statuses.length] as number };
    };
    proxy.setPlan(plan);
    const before = proxy.injected.length;
    const channels = Array.from({ length: runs }, (_, i) => `C0SLACKFLT${i}`);
    const seen = await Promise.all(channels.map((c) => diagnoseIn(c)));
    proxy.setPlan(() => undefined);
    const injected = proxy.injected.slice(before);
    const count = (status: number) =>
      injected.filter((f) => 'before' in f.fault && f.fault.before === status).length;
    report('slack-429-5xx', {
      threads: runs,
      faults: injected.length,
      status429: count(429),
      status5xx: count(500) + count(502) + count(503),
      messages: seen.reduce((n2, t) => n2 + t.length, 0),
      duplicates: seen.reduce((n2, t) => n2 + t.length - new Set(t).size, 0),
    });
    assert.ok(count(429) > 0 && count(500) + count(502) + count(503) > 0, 'both kinds were injected');
    for (const [i, t] of seen.entries())
      assert.deepEqual(t, reference, `${channels[i]}: once each, in order`);
  });

  it('a 500 returned after Slack posted: that message is posted again (at-least-once), nothing else changes', async () => {
    // the third chat.postMessage of the run (a thread reply) is posted by Slack, then answered 500
    proxy.setPlan((method, nth) => (method === 'chat.postMessage' && nth === 3 ? { after: 500 } : undefined));
    const seen = await diagnoseIn('C0SLACKDUP1');
    proxy.setPlan(() => undefined);
    const third = reference[2] as string;
    const expected = [...reference.slice(0, 3), third, ...reference.slice(3)];
    report('slack-5xx-after-post', {
      messages: seen.length,
      duplicates: seen.length - new Set(seen).size,
      duplicated: third.slice(0, 60),
    });
    assert.deepEqual(seen, expected, 'exactly one extra copy, of the message whose answer was lost');
  });
});
