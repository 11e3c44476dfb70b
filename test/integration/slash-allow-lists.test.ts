/**
 * The `/oom` allow-lists on the real binary: signed slash commands from a channel, a user and a
 * namespace that are not allowed are refused privately, naming the rule, and queue nothing; user
 * groups come from the fake Slack's usergroups.users.list, asked once per group while cached.
 */
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { FAKE_SLACK_DEFAULTS, type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'allow-list-signing-secret-0123';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SRE = 'S0SREGROUP';

type Ack = { response_type?: string; text?: string };

describe('/oom allow-lists (real binary, real Redis, fake Slack)', function () {
  this.timeout(90_000);
  let slack: FakeSlack;
  let bot: BotProcess;
  let queue: Queue;
  const prefix = `oom-allow-${process.pid}-${Date.now()}`;

  before(async () => {
    slack = await startFakeSlack({ userGroups: { [SRE]: [FAKE_SLACK_DEFAULTS.userId] } });
    bot = await startBot({
      args: ['serve'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-allow-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        OOM_ALLOWED_CHANNELS: FAKE_SLACK_DEFAULTS.channelId,
        OOM_ALLOWED_USERGROUPS: SRE,
        OOM_ALLOWED_NAMESPACES: 'prod',
      },
    });
    queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
  });

  after(async () => {
    const code = await bot?.stop();
    await slack?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    assert.equal(code, 0);
  });

  async function oom(fields: Parameters<typeof slashCommandBody>[0]): Promise<Ack> {
    const res = await postSigned(`${bot.url}/slack/events`, SECRET, slashCommandBody(fields));
    assert.equal(res.status, 200);
    return (res.json ?? {}) as Ack;
  }

  const queued = async () => {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.completed ?? 0);
  };

  it('refuses privately from another channel, another user or another namespace, and queues nothing', async () => {
    const channel = await oom({ text: 'auth-service', channel_id: 'C0OTHERCHAN' });
    assert.equal(channel.response_type, 'ephemeral');
    assert.match(String(channel.text), /channel allow-list/);
    const user = await oom({ text: 'auth-service', user_id: 'U0STRANGER1' });
    assert.equal(user.response_type, 'ephemeral');
    assert.match(String(user.text), /user group allow-list/);
    const namespace = await oom({ text: 'coredns -n kube-system' });
    assert.equal(namespace.response_type, 'ephemeral');
    assert.match(String(namespace.text), /namespace allow-list/);
    assert.equal(await queued(), 0);
  });

  it('lets a member of the group diagnose in the allowed namespace, which is the default', async () => {
    const ack = await oom({ text: 'auth-service' });
    assert.equal(ack.response_type, 'ephemeral');
    assert.match(String(ack.text), /Diagnosing `auth-service` in `prod`/);
    assert.equal(await queued(), 1);
    const [job] = await queue.getJobs(['waiting', 'active', 'delayed', 'completed']);
    assert.equal(job?.data.request.namespace, 'prod');
    // the group's members were asked once: the second request within a minute used the cache
    assert.equal(slack.calls('usergroups.users.list').length, 1);
  });
});
