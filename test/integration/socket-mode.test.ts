/**
 * Socket Mode end to end: the real `oom-bot start` with SLACK_APP_TOKEN, the fake Slack's
 * `apps.connections.open` answering with the `ws://` URL of a local stand-in for Slack's Socket
 * Mode. A slash command, a button click and an event arrive as envelopes and are acknowledged by
 * envelope_id; `/oom` gets its answer in the ack and its diagnosis in the channel; Re-diagnose
 * posts again in the thread; a `disconnect` makes the app reconnect and go on working.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import {
  FAKE_SLACK_DEFAULTS,
  type FakeSlack,
  type SlackCall,
  startFakeSlack,
} from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { blockActionsPayload, slashCommandFields } from '../support/slack-requests.ts';
import { type SocketModeServer, startSocketModeServer } from '../support/socket-mode-server.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const isRootIn = (channel: string) => (c: SlackCall) =>
  c.method === 'chat.postMessage' && !c.args.thread_ts && c.args.channel === channel;

/** The value of the first button with `actionId` in a message's blocks. */
function buttonValue(blocks: unknown[] | undefined, actionId: string): string | undefined {
  for (const block of blocks ?? []) {
    const elements = (block as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? [];
    const button = elements.find((e) => e.action_id === actionId);
    if (button?.value) return button.value;
  }
  return undefined;
}

describe('Socket Mode end to end (real binary, real Redis, fake Slack, a Socket Mode stand-in)', function () {
  this.timeout(300_000);
  const prefix = `oom-socket-${process.pid}-${Date.now()}`;
  let socket: SocketModeServer;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;

  const oom = (channel: string, id: string) =>
    socket.send(
      'slash_commands',
      {
        ...slashCommandFields({
          text: 'auth-service -n prod',
          channel_id: channel,
          response_url: slack.responseUrl(id),
        }),
      },
      HANG_MS,
    );

  before(async () => {
    socket = await startSocketModeServer();
    slack = await startFakeSlack({ socketModeUrl: () => socket.nextUrl() });
    dir = mkdtempSync(join(tmpdir(), 'oom-socket-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-socket-mode-token-abcdef',
        SLACK_APP_TOKEN: 'xapp-1-A0FAKEAPP01-socket-mode-token',
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'info',
      },
    });
    await socket.waitForConnections(1, HANG_MS);
  });

  after(async () => {
    const exit = await bot?.stop();
    await socket?.close();
    await slack?.close();
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(exit, 0, 'the bot exits 0 on SIGTERM');
  });

  it('opens its connection through apps.connections.open with the app token', () => {
    const open = slack.calls('apps.connections.open');
    assert.ok(open.length >= 1);
    assert.equal(open[0]?.token, 'xapp-1-A0FAKEAPP01-socket-mode-token');
  });

  it('/oom: acknowledged by envelope_id with the answer, then the diagnosis in the channel', async () => {
    const channel = 'C0SOCKET001';
    const ack = await oom(channel, 'socket-oom');
    assert.match(String(ack.payload?.text), /Diagnosing `auth-service` in `prod`/);
    assert.equal(ack.payload?.response_type, 'ephemeral');
    await slack.waitFor(isRootIn(channel));
    await slack.waitFor((c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === channel);
  });

  it('a Re-diagnose click (block_actions) is acknowledged and diagnoses again in the thread', async () => {
    const channel = 'C0SOCKET001';
    // the root is updated in place with the verdict: its ts is the one the updates name
    const update = await slack.waitFor((c) => c.method === 'chat.update' && c.args.channel === channel);
    const ts = String(update.args.ts);
    const message = slack.message(channel, ts);
    const incidentId = buttonValue(message?.blocks, ACTION_IDS.rediagnose);
    assert.ok(incidentId, `a Re-diagnose button on the root: ${JSON.stringify(message?.blocks)}`);
    const before = slack.calls('chat.postMessage').length;
    const ack = await socket.send(
      'interactive',
      {
        ...blockActionsPayload({
          channel: { id: channel, name: 'ops' },
          message: { ts, type: 'message', blocks: message?.blocks ?? [] },
          response_url: slack.responseUrl('socket-click'),
          action: { action_id: ACTION_IDS.rediagnose, block_id: 'root_actions', value: incidentId },
        }),
      },
      HANG_MS,
    );
    assert.ok(ack.envelope_id);
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === channel &&
        c.args.thread_ts === ts &&
        slack.calls('chat.postMessage').indexOf(c) >= before,
    );
  });

  it('an event envelope is acknowledged by envelope_id and posts nothing', async () => {
    const before = slack.calls().length;
    const ack = await socket.send(
      'events_api',
      {
        token: 'fake-verification-token',
        team_id: FAKE_SLACK_DEFAULTS.teamId,
        api_app_id: FAKE_SLACK_DEFAULTS.appId,
        event: {
          type: 'app_mention',
          user: FAKE_SLACK_DEFAULTS.userId,
          text: `<@${FAKE_SLACK_DEFAULTS.botUserId}> hello`,
          ts: '1732441900.000100',
          channel: 'C0SOCKET002',
          event_ts: '1732441900.000100',
        },
        type: 'event_callback',
        event_id: 'Ev0SOCKET0001',
        event_time: 1732441900,
        authorizations: [
          { team_id: FAKE_SLACK_DEFAULTS.teamId, user_id: FAKE_SLACK_DEFAULTS.botUserId, is_bot: true },
        ],
      },
      HANG_MS,
    );
    assert.ok(ack.envelope_id);
    assert.deepEqual(
      slack
        .calls()
        .slice(before)
        // The previous test's re-diagnosis may still be updating its own thread; only this
        // event's channel must stay silent.
        .filter((c) => c.method.startsWith('chat.') && c.args.channel === 'C0SOCKET002'),
      [],
    );
  });

  it('a disconnect message: the app opens a new connection and goes on answering', async () => {
    const opened = slack.calls('apps.connections.open').length;
    const connections = socket.connections();
    socket.disconnect();
    await socket.waitForConnections(connections + 1, HANG_MS);
    assert.ok(slack.calls('apps.connections.open').length > opened, 'a new URL was asked for');
    const channel = 'C0SOCKET003';
    const ack = await oom(channel, 'socket-after-reconnect');
    assert.match(String(ack.payload?.text), /Diagnosing `auth-service`/);
    await slack.waitFor(isRootIn(channel));
  });
});
