import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type BlockAction, verifySlackRequest, webApi } from '@slack/bolt';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.ts';
import {
  blockActionsBody,
  postSigned,
  signSlackRequest,
  slashCommandBody,
} from '../../support/slack-requests.ts';

const TOKEN = 'xoxb-fake-token';
const CHANNEL = 'C0FAKECHAN1';

const silentLogger: webApi.Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

function section(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function button(fields: { text?: string; value?: string; action_id?: string } = {}) {
  return {
    type: 'button',
    text: { type: 'plain_text', text: fields.text ?? 'Approve' },
    value: fields.value ?? 'v',
    action_id: fields.action_id ?? 'approve',
  };
}

async function platformError(promise: Promise<unknown>): Promise<webApi.WebAPIPlatformError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof webApi.WebAPIPlatformError, `expected a platform error, got ${error}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('fake Slack', () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;

  before(async () => {
    fake = await startFakeSlack({ startTs: 1732441800 });
  });
  beforeEach(() => {
    client = new webApi.WebClient(TOKEN, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logger: silentLogger,
    });
  });
  afterEach(() => fake.reset());
  after(() => fake.close());

  describe('messages', () => {
    it('answers chat.postMessage with channel and ts and records the call with parsed blocks', async () => {
      const blocks = [section('*OOMKilled* `api-7d9f`'), { type: 'divider' }];
      const res = await client.chat.postMessage({ channel: CHANNEL, text: 'OOM kill', blocks });

      assert.equal(res.ok, true);
      assert.equal(res.channel, CHANNEL);
      assert.match(res.ts ?? '', /^\d{10}\.\d{6}$/);
      assert.equal(res.message?.bot_id, fake.botId);

      const [call, ...rest] = fake.calls('chat.postMessage');
      assert.equal(rest.length, 0);
      assert.equal(call?.token, TOKEN);
      assert.equal(call?.ok, true);
      assert.equal(call?.args.text, 'OOM kill');
      assert.deepEqual(call?.args.blocks, blocks);
      assert.equal('token' in (call?.args ?? {}), false);
      assert.deepEqual(fake.message(CHANNEL, res.ts!)?.blocks, blocks);
    });

    it('records thread replies with thread_ts and hands out increasing ts', async () => {
      const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
      const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: parent.ts! });

      assert.ok(Number(reply.ts) > Number(parent.ts));
      const calls = fake.calls('chat.postMessage');
      assert.equal(calls[1]?.args.thread_ts, parent.ts);
      assert.equal(fake.message(CHANNEL, reply.ts!)?.thread_ts, parent.ts);
    });

    it('updates messages and answers chat.postEphemeral with message_ts', async () => {
      const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'before' });
      const updated = await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'after' });
      const ephemeral = await client.chat.postEphemeral({
        channel: CHANNEL,
        user: 'U0FAKEUSER1',
        text: 'psst',
      });

      assert.equal(updated.ts, posted.ts);
      assert.equal(fake.message(CHANNEL, posted.ts!)?.text, 'after');
      assert.equal(fake.message(CHANNEL, posted.ts!)?.edited, true);
      assert.match(ephemeral.message_ts ?? '', /^\d+\.\d{6}$/);
      assert.deepEqual(
        fake.calls().map((c) => c.method),
        ['chat.postMessage', 'chat.update', 'chat.postEphemeral'],
      );
    });

    it('answers auth.test, conversations.info and users.info', async () => {
      const auth = await client.auth.test();
      const info = await client.conversations.info({ channel: CHANNEL });
      const user = await client.users.info({ user: 'U0FAKEUSER1' });

      assert.equal(auth.user_id, fake.botUserId);
      assert.equal(auth.bot_id, fake.botId);
      assert.equal(auth.team_id, fake.teamId);
      assert.equal(info.channel?.id, CHANNEL);
      assert.equal(user.user?.id, 'U0FAKEUSER1');
    });

    it('answers unknown_method and not_authed like Slack', async () => {
      assert.equal((await platformError(client.apiCall('pods.explode'))).data.error, 'unknown_method');
      const anonymous = new webApi.WebClient(undefined, {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 0 },
        logger: silentLogger,
      });
      assert.equal((await platformError(anonymous.auth.test())).data.error, 'not_authed');
    });

    it('accepts JSON bodies with a Bearer token', async () => {
      const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('x')] }),
      });
      const body = (await res.json()) as { ok: boolean; ts: string };

      assert.equal(body.ok, true);
      const call = await fake.waitFor('chat.postMessage');
      assert.equal(call.token, TOKEN);
      assert.deepEqual(call.args.blocks, [section('x')]);
    });
  });

  describe('Block Kit limits', () => {
    it('rejects more than 50 blocks with invalid_blocks', async () => {
      const blocks = Array.from({ length: 51 }, (_, i) => section(`block ${i}`));
      const error = await platformError(client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks }));

      assert.equal(error.code, webApi.ErrorCode.PlatformError);
      assert.equal(error.data.error, 'invalid_blocks');
      const [call] = fake.calls('chat.postMessage');
      assert.equal(call?.ok, false);
      assert.equal(call?.error, 'invalid_blocks');

      await client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: blocks.slice(0, 50) });
    });

    it('rejects a header over 150 characters and accepts exactly 150', async () => {
      const header = (n: number) => [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(n) } }];
      const error = await platformError(
        client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: header(151) }),
      );

      assert.equal(error.data.error, 'invalid_blocks');
      assert.deepEqual((error.data as { errors?: string[] }).errors, [
        'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
      ]);
      await client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: header(150) });
    });

    const oversized: Array<[string, Record<string, unknown>, string]> = [
      ['section text over 3000', { blocks: [section('s'.repeat(3001))] }, 'invalid_blocks'],
      [
        'button text over 75',
        { blocks: [{ type: 'actions', elements: [button({ text: 'b'.repeat(76) })] }] },
        'invalid_blocks',
      ],
      [
        'button value over 2000',
        { blocks: [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }] },
        'invalid_blocks',
      ],
      [
        'action_id over 255',
        { blocks: [{ type: 'actions', elements: [button({ action_id: 'a'.repeat(256) })] }] },
        'invalid_blocks',
      ],
      [
        'accessory button text over 75',
        { blocks: [{ ...section('s'), accessory: button({ text: 'b'.repeat(76) }) }] },
        'invalid_blocks',
      ],
      [
        'more than 10 context elements',
        { blocks: [{ type: 'context', elements: Array(11).fill({ type: 'mrkdwn', text: 'c' }) }] },
        'invalid_blocks',
      ],
      ['empty section text', { blocks: [section('')] }, 'invalid_blocks'],
      ['text over 40000', { text: 't'.repeat(40_001) }, 'msg_too_long'],
    ];
    for (const [what, args, expected] of oversized) {
      it(`answers ${expected} for ${what}`, async () => {
        const error = await platformError(
          client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', ...args }),
        );
        assert.equal(error.data.error, expected);
      });
    }

    it('checks chat.update and chat.postEphemeral too', async () => {
      const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
      const update = client.chat.update({ channel: CHANNEL, ts: '1.000100', text: 'x', blocks });
      assert.equal((await platformError(update)).data.error, 'invalid_blocks');
      const ephemeral = client.chat.postEphemeral({ channel: CHANNEL, user: 'U1', text: 'x', blocks });
      assert.equal((await platformError(ephemeral)).data.error, 'invalid_blocks');
    });
  });

  describe('failure injection', () => {
    it('answers a queued 429 with Retry-After, which WebClient turns into a rate-limited error', async () => {
      const rejecting = new webApi.WebClient(TOKEN, {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        logger: silentLogger,
      });
      const rateLimited: number[] = [];
      rejecting.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
      fake.failNext('chat.postMessage', { status: 429, retryAfter: 7 });

      await assert.rejects(rejecting.chat.postMessage({ channel: CHANNEL, text: 'x' }), (error: unknown) => {
        assert.ok(error instanceof webApi.WebAPIRateLimitedError);
        assert.equal(error.code, webApi.ErrorCode.RateLimitedError);
        assert.equal(error.retryAfter, 7);
        return true;
      });
      assert.deepEqual(rateLimited, [7]);
      assert.equal(fake.calls('chat.postMessage')[0]?.status, 429);

      // the failure was consumed: the next call goes through
      await rejecting.chat.postMessage({ channel: CHANNEL, text: 'x' });
    });

    it('sends the Retry-After header on the wire', async () => {
      fake.failNext('auth.test', { status: 429, retryAfter: 3 });
      const res = await fetch(`${fake.apiUrl}auth.test`, {
        method: 'POST',
        headers: { authorization: 'Bearer t' },
      });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '3');
    });

    it('lets a retrying client succeed after the queued failures are used up', async () => {
      const retrying = new webApi.WebClient(TOKEN, {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 },
        logger: silentLogger,
      });
      fake.failNext('chat.postMessage', { status: 429, retryAfter: 0 });
      fake.failNext('chat.postMessage', { status: 503 });

      const res = await retrying.chat.postMessage({ channel: CHANNEL, text: 'x' });

      assert.equal(res.ok, true);
      assert.deepEqual(
        fake.calls('chat.postMessage').map((c) => c.status),
        [429, 503, 200],
      );
    });

    it('answers a queued HTTP 500 and a queued Slack error', async () => {
      fake.failNext('chat.postMessage', { status: 500 });
      fake.failNext('chat.postMessage', { error: 'channel_not_found' }, 2);

      await assert.rejects(client.chat.postMessage({ channel: CHANNEL, text: 'x' }), (error: unknown) => {
        assert.ok(error instanceof webApi.WebAPIHTTPError);
        assert.equal(error.statusCode, 500);
        return true;
      });
      for (let i = 0; i < 2; i++) {
        const error = await platformError(client.chat.postMessage({ channel: CHANNEL, text: 'x' }));
        assert.equal(error.data.error, 'channel_not_found');
      }
      await client.chat.postMessage({ channel: CHANNEL, text: 'x' });
    });
  });

  describe('files.uploadV2', () => {
    it('serves the three-step upload and records bytes, alt text and thread_ts', async () => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
      const res = await client.files.uploadV2({
        channel_id: CHANNEL,
        thread_ts: '1732441800.000100',
        file: bytes,
        filename: 'memory.png',
        title: 'Memory of api-7d9f',
        alt_text: 'Memory climbing to the 512Mi limit',
      });

      assert.equal(res.ok, true);
      assert.deepEqual(
        fake.calls().map((c) => c.method),
        ['files.getUploadURLExternal', 'file_upload', 'files.completeUploadExternal'],
      );
      const upload = fake.calls('file_upload')[0]!;
      assert.ok(Buffer.isBuffer(upload.args.bytes));
      assert.deepEqual(upload.args.bytes, bytes);

      const complete = fake.calls('files.completeUploadExternal')[0]!;
      assert.equal(complete.args.channel_id, CHANNEL);
      assert.equal(complete.args.thread_ts, '1732441800.000100');
      assert.equal(complete.token, TOKEN);

      const [file, ...others] = fake.files();
      assert.equal(others.length, 0);
      assert.deepEqual(file?.bytes, bytes);
      assert.equal(file?.filename, 'memory.png');
      assert.equal(file?.title, 'Memory of api-7d9f');
      assert.equal(file?.alt_text, 'Memory climbing to the 512Mi limit');
      assert.equal(file?.thread_ts, '1732441800.000100');
      assert.equal(file?.channel_id, CHANNEL);

      const completion = (res as unknown as { files: Array<{ files: Array<{ id: string; size: number }> }> })
        .files;
      assert.equal(completion[0]?.files[0]?.id, file?.id);
      assert.equal(completion[0]?.files[0]?.size, bytes.length);
    });

    it('fails the upload when the upload URL answers an error', async () => {
      fake.failNext('file_upload', { status: 500 });
      await assert.rejects(client.files.uploadV2({ channel_id: CHANNEL, content: 'log', filename: 'x.txt' }));
      assert.equal(fake.calls('files.completeUploadExternal').length, 0);
    });
  });

  describe('response_url and waitFor', () => {
    it('records JSON posted to a response_url', async () => {
      const url = fake.responseUrl('cmd-1');
      const waiting = fake.waitFor((c) => c.method === 'response_url' && c.id === 'cmd-1');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', text: 'working on it', blocks: [section('x')] }),
      });

      assert.equal(res.status, 200);
      const call = await waiting;
      assert.equal(call.args.response_type, 'ephemeral');
      assert.deepEqual(call.args.blocks, [section('x')]);
    });

    it('rejects waitFor after the timeout, naming what it saw', async () => {
      await client.auth.test();
      await assert.rejects(
        fake.waitFor('chat.postMessage', 50),
        /no chat\.postMessage within 50 ms.*auth\.test/,
      );
    });
  });

  describe('signed requests', () => {
    const SECRET = 'fake-signing-secret';

    it('produces signatures that Bolt verifies, and a wrong secret fails', () => {
      const body = slashCommandBody({ text: 'explain api-7d9f' });
      const headers = signSlackRequest(SECRET, body);
      const verify = (signingSecret: string) =>
        verifySlackRequest({
          signingSecret,
          body,
          headers: {
            'x-slack-signature': headers['x-slack-signature'],
            'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
          },
        });

      assert.equal(headers['content-type'], 'application/x-www-form-urlencoded');
      assert.match(headers['x-slack-signature'], /^v0=[0-9a-f]{64}$/);
      verify(SECRET);
      assert.throws(() => verify('another-secret'), /signature mismatch/);
    });

    it('builds a block_actions payload like Slack', () => {
      const body = blockActionsBody({ action: { action_id: 'apply_fix', value: 'fix-1' } });
      const payload = JSON.parse(new URLSearchParams(body).get('payload')!);
      assert.equal(payload.type, 'block_actions');
      assert.equal(payload.actions[0].action_id, 'apply_fix');
      assert.equal(payload.actions[0].type, 'button');
      assert.equal(payload.container.channel_id, payload.channel.id);
      assert.equal(payload.container.message_ts, payload.message.ts);
    });

    describe('against a Bolt app', () => {
      let app: App;
      let appUrl: string;

      before(async () => {
        app = new App({
          token: TOKEN,
          signingSecret: SECRET,
          logger: silentLogger,
          clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
        });
        app.command('/oom', async ({ ack, respond, command }) => {
          await ack();
          await respond({ response_type: 'ephemeral', text: `looking at ${command.text}` });
        });
        app.action<BlockAction>('apply_fix', async ({ ack, body, client: web }) => {
          await ack();
          await web.chat.update({
            channel: body.channel!.id,
            ts: body.container.message_ts,
            text: 'applied',
          });
        });
        const server = (await app.start(0)) as Server;
        appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      });
      after(() => app.stop());

      it('accepts a signed slash command whose respond() reaches the fake response_url', async () => {
        const body = slashCommandBody({ text: 'api-7d9f', response_url: fake.responseUrl('cmd-2') });
        const res = await postSigned(appUrl, SECRET, body);

        assert.equal(res.status, 200);
        const call = await fake.waitFor('response_url');
        assert.equal(call.id, 'cmd-2');
        assert.equal(call.args.text, 'looking at api-7d9f');
      });

      it('routes a signed block_actions payload to the action handler', async () => {
        const body = blockActionsBody({ action: { action_id: 'apply_fix' } });
        const res = await postSigned(appUrl, SECRET, body);

        assert.equal(res.status, 200);
        const call = await fake.waitFor('chat.update');
        assert.equal(call.args.text, 'applied');
        assert.equal(call.args.ts, '1732441800.000100');
      });

      it('rejects a wrong secret, a forged signature and a stale timestamp with 401', async () => {
        const body = slashCommandBody({ response_url: fake.responseUrl('never') });
        const stale = Math.floor(Date.now() / 1000) - 6 * 60;

        assert.equal((await postSigned(appUrl, 'wrong-secret', body)).status, 401);
        assert.equal(
          (await postSigned(appUrl, SECRET, body, { signature: `v0=${'0'.repeat(64)}` })).status,
          401,
        );
        assert.equal((await postSigned(appUrl, SECRET, body, { timestamp: stale })).status, 401);
        assert.equal(fake.calls('response_url').length, 0);
      });
    });
  });
});
