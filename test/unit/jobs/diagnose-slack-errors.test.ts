/**
 * Slack refusals no retry can fix: the requester is told the fix through the response URL and the
 * job fails as unrecoverable (not three times); other failures stay retryable. Real Web API client
 * against the fake Slack.
 */
import assert from 'node:assert/strict';
import bolt from '@slack/bolt';
import { UnrecoverableError } from 'bullmq';
import { pino } from 'pino';
import { failureOf, permanentSlackError } from '../../../src/jobs/diagnose-slack-errors.ts';
import { createSlackPoster } from '../../../src/slack/poster.ts';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.ts';

describe('permanent Slack errors of a diagnosis', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  const poster = () =>
    createSlackPoster(
      new bolt.webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
      { minIntervalMs: 0 },
    );
  const log = pino({ level: 'silent' });

  for (const code of [
    'not_in_channel',
    'channel_not_found',
    'is_archived',
    'missing_scope',
    'token_revoked',
  ]) {
    it(`${code}: tells the requester what went wrong and the fix, and is not retried`, async () => {
      const slackPoster = poster();
      slack.failNext('chat.postMessage', { error: code });
      const error = await slackPoster
        .post('C0NOTMEMBER', { text: 'root', blocks: [] })
        .catch((e: unknown) => e);
      assert.equal(permanentSlackError(error), code);
      const reply = { channel: 'C0NOTMEMBER', responseUrl: slack.responseUrl(`r-${code}`) };
      const failure = await failureOf(error, reply, slackPoster, log);
      assert.ok(failure instanceof UnrecoverableError, 'BullMQ does not retry it');
      const [answer] = slack.calls('response_url');
      assert.equal(answer?.id, `r-${code}`);
      assert.match(String(answer?.args.text), new RegExp(code));
      if (code === 'not_in_channel') assert.match(String(answer?.args.text), /\/invite @oom-bot/);
    });
  }

  it('keeps other failures retryable and says nothing (a 500 may pass on the next attempt)', async () => {
    const slackPoster = poster();
    slack.failNext('chat.postMessage', { status: 500 });
    const error = await slackPoster.post('C1', { text: 'root', blocks: [] }).catch((e: unknown) => e);
    const failure = await failureOf(
      error,
      { channel: 'C1', responseUrl: slack.responseUrl('r') },
      slackPoster,
      log,
    );
    assert.equal(failure, error);
    assert.equal(slack.calls('response_url').length, 0);
  });
});
