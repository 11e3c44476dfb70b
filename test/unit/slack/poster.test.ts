/** The paced poster: one message per second per channel, in order; a 429 is waited out and delivered once. */
import assert from 'node:assert/strict';
import bolt from '@slack/bolt';
import { createSlackPoster } from '../../../src/slack/poster.ts';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.ts';

const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error',
  setName() {},
} as never;

describe('createSlackPoster: Slack pace and rate limits', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  function makePoster(sleeps: number[]) {
    const client = new bolt.webApi.WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: quiet,
    });
    return createSlackPoster(client, {
      minIntervalMs: 1000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  }

  it('waits out a 429 Retry-After and delivers the message exactly once, in order', async () => {
    const sleeps: number[] = [];
    const poster = makePoster(sleeps);
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const sent = await Promise.all(
      [1, 2, 3].map((n) => poster.post('C1', { text: `message ${n}`, blocks: [] })),
    );
    const delivered = slack.calls('chat.postMessage').filter((c) => c.ok);
    assert.deepEqual(
      delivered.map((c) => c.args.text),
      ['message 1', 'message 2', 'message 3'],
    );
    assert.equal(new Set(sent).size, 3);
    assert.ok(sleeps.includes(7000), `waited the Retry-After: ${sleeps}`);
  });

  it('spaces messages to one channel and lets another channel go at once', async () => {
    const sleeps: number[] = [];
    const poster = makePoster(sleeps);
    await poster.post('C1', { text: 'a', blocks: [] });
    await poster.post('C1', { text: 'b', blocks: [] });
    const spacedWaits = sleeps.length;
    await poster.post('C2', { text: 'c', blocks: [] });
    assert.equal(spacedWaits, 1, 'the second message to C1 waited');
    assert.ok((sleeps[0] ?? 0) > 0 && (sleeps[0] ?? 0) <= 1000);
    assert.equal(sleeps.length, spacedWaits, 'the first message to C2 did not wait');
  });

  it('updates a posted message at once, in order, without holding back the next post', async () => {
    const sleeps: number[] = [];
    const poster = makePoster(sleeps);
    const ts = await poster.post('C1', { text: 'root', blocks: [] });
    await poster.update('C1', ts, { text: 'analysing', blocks: [] });
    assert.equal(sleeps.length, 0, 'the update did not wait for the posting pace');
    await poster.post('C1', { text: 'reply', blocks: [] });
    assert.equal(sleeps.length, 1, 'the next post still keeps one second after the previous post');
    assert.deepEqual(
      slack
        .calls()
        .filter((c) => c.ok)
        .map((c) => c.method),
      ['chat.postMessage', 'chat.update', 'chat.postMessage'],
    );
  });

  it('gives up on an error that is not a rate limit, without retrying', async () => {
    const poster = makePoster([]);
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await assert.rejects(poster.post('C1', { text: 'x', blocks: [] }), /channel_not_found/);
    assert.equal(slack.calls('chat.postMessage').length, 1);
  });
});
