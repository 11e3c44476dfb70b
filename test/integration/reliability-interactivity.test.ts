/**
 * Property: the interactivity handler of the real binary (`oom-bot serve`, real Redis, fake
 * Slack), fed generated `payload=` bodies, each signed correctly: button clicks on every action
 * the bot registers and on others, with fields missing, of the wrong type or hostile (values,
 * users, channels, message timestamps), other interaction types, and arbitrary JSON. Every answer
 * is below 500 (200 acknowledged, 400 malformed, 404 for what no handler takes, after Bolt's 3 s),
 * the process stays up, and a real slash command still works afterwards.
 */
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { propertyRuns, propertySeed, report } from '../reliability/intensity.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { FAKE_SLACK_DEFAULTS as D, type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { blockActionsPayload, postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'interactivity-signing-secret-0123';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BATCH = 25;

const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '<!channel>',
    '',
    'A'.repeat(22),
    'A'.repeat(2001),
    '../../etc/passwd',
    '1800000000.000100',
  ),
);
/** Any JSON value, or usually a plausible one. */
const maybe = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 4, arbitrary: plausible },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const action = fc.record(
  {
    action_id: maybe(fc.oneof(fc.constantFrom(...Object.values(ACTION_IDS)), hostile)),
    block_id: maybe(hostile),
    value: maybe(hostile),
    type: maybe(fc.constantFrom('button', 'static_select', 'overflow')),
    action_ts: maybe(fc.constant('1800000000.000200')),
    selected_option: maybe(fc.record({ value: hostile })),
  },
  { requiredKeys: [] },
);
const blockActions = fc.record(
  {
    type: fc.oneof({ weight: 5, arbitrary: fc.constant('block_actions') }, { weight: 1, arbitrary: hostile }),
    user: maybe(
      fc.record({
        id: maybe(fc.oneof(fc.constantFrom(D.userId, 'U0STRANGER1'), hostile)),
        team_id: maybe(fc.constant(D.teamId)),
      }),
    ),
    api_app_id: maybe(fc.constant(D.appId)),
    team: maybe(fc.record({ id: maybe(fc.constant(D.teamId)), domain: maybe(hostile) })),
    channel: maybe(
      fc.record({ id: maybe(fc.oneof(fc.constant(D.channelId), hostile)), name: maybe(hostile) }),
    ),
    container: maybe(
      fc.record({
        type: maybe(fc.constant('message')),
        message_ts: maybe(fc.oneof(fc.constant('1800000000.000100'), hostile)),
        channel_id: maybe(fc.oneof(fc.constant(D.channelId), hostile)),
      }),
    ),
    message: maybe(fc.record({ ts: maybe(hostile), thread_ts: maybe(hostile), text: maybe(hostile) })),
    trigger_id: maybe(hostile),
    response_url: maybe(fc.constantFrom('http://127.0.0.1:9/nowhere', 'not a url', '')),
    actions: fc.oneof(
      { weight: 6, arbitrary: fc.array(action, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.jsonValue() },
    ),
    token: maybe(hostile),
    is_enterprise_install: maybe(fc.boolean()),
    enterprise: maybe(fc.constant(null)),
  },
  { requiredKeys: ['type'] },
);
const otherInteraction = fc.record(
  {
    type: fc.constantFrom(
      'view_submission',
      'view_closed',
      'shortcut',
      'message_action',
      'block_suggestion',
      'interactive_message',
      'dialog_submission',
    ),
    callback_id: maybe(hostile),
    view: maybe(fc.record({ id: maybe(hostile), callback_id: maybe(hostile), type: maybe(hostile) })),
    user: maybe(fc.record({ id: maybe(hostile) })),
    team: maybe(fc.record({ id: maybe(hostile) })),
    actions: maybe(fc.array(action, { maxLength: 2 })),
  },
  { requiredKeys: ['type'] },
);
/** A click exactly as Slack shapes it, with hostile values: these reach the bot's own handlers. */
const wellFormedClick = fc
  .record({
    actionId: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Object.values(ACTION_IDS)) },
      { weight: 1, arbitrary: hostile },
    ),
    value: hostile,
    user: fc.oneof(fc.constantFrom(D.userId, 'U0STRANGER1'), hostile),
    channel: fc.oneof(fc.constant(D.channelId), hostile),
    ts: fc.oneof(fc.constant('1800000000.000100'), hostile),
  })
  .map(({ actionId, value, user, channel, ts }) =>
    blockActionsPayload({
      user: { id: user, username: 'u', name: 'u', team_id: D.teamId },
      channel: { id: channel, name: 'c' },
      message: { type: 'message', ts, text: 'OOM', blocks: [] },
      action: { action_id: actionId, block_id: 'oom_actions', value },
    }),
  );
const payload = fc.oneof(
  { weight: 6, arbitrary: wellFormedClick },
  { weight: 6, arbitrary: blockActions },
  { weight: 2, arbitrary: otherInteraction },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue(), { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

describe('property: the interactivity handler of the real binary', function () {
  this.timeout(900_000);
  const prefix = `oom-rel-interact-${process.pid}-${Date.now()}`;
  let slack: FakeSlack;
  let bot: BotProcess;

  before(async () => {
    slack = await startFakeSlack();
    bot = await startBot({
      args: ['serve'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-interactivity-token',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await slack?.close();
    for (const name of ['diagnose', 'remediate']) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });

  it('answers every generated, correctly signed payload below 500 and stays up', async () => {
    const runs = propertyRuns(200, 2000);
    const inputs = fc.sample(payload, { numRuns: runs, seed: propertySeed() });
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let i = 0; i < inputs.length; i += BATCH) {
      await Promise.all(
        inputs.slice(i, i + BATCH).map(async (p) => {
          const body = new URLSearchParams({ payload: JSON.stringify(p) ?? 'null' }).toString();
          const res = await postSigned(`${bot.url}/slack/events`, SECRET, body);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`HTTP ${res.status} for ${JSON.stringify(p).slice(0, 300)}`);
        }),
      );
      assert.equal(bot.child.exitCode, null, `the process exited after input ${i}`);
    }
    const errors = bot
      .logs()
      .split('\n')
      .filter((l) => l.includes('"level":50') && !l.includes('not acknowledged within 3 seconds'));
    report('property-interactivity', {
      inputs: inputs.length,
      statuses: Object.fromEntries(statuses),
      status5xx: failures.length,
      errorLogLines: errors.length,
    });
    if (process.env.RELIABILITY_SHOW_ERRORS) process.stdout.write(`${errors.slice(0, 20).join('\n')}\n`);
    assert.deepEqual(failures.slice(0, 5), []);
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
    const help = await postSigned(`${bot.url}/slack/events`, SECRET, slashCommandBody({ text: 'help' }));
    assert.equal(help.status, 200);
    assert.match(help.body, /Usage/);
  });
});
