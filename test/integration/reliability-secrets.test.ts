/**
 * Reliability: no secret ever appears in logs or in Slack.
 *
 * The real binary runs a full flow at LOG_LEVEL=debug with a distinctive value in every secret:
 * the Slack bot token and signing secret, the Alertmanager bearer token and basic-auth password,
 * and the password of its own Redis (requirepass). The flow: a slash command and its thread, an
 * alert through the webhook (bearer and basic auth), refused credentials, a forged signature,
 * button clicks (Re-diagnose, Dismiss, an Apply refused without a policy), /metrics, and Redis
 * stopped and restarted under it. Then every line the process wrote (stdout and stderr), the
 * /metrics text, and every call the fake Slack received (arguments, not the bearer header) are
 * searched for each secret, raw, URL-encoded and base64-encoded. Invalid configurations that
 * carry secrets are tried too: the one-line error names the variable, never the value.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_IDS } from '../../src/render/action-ids.ts';
import { report, sleep, waitUntil } from '../reliability/intensity.ts';
import { type PrivateRedis, startPrivateRedis } from '../reliability/redis-server.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { BIN, type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { blockActionsBody, postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-SeCrEt0BoT0ToKeN-7Qp2Lm9Xw4',
  SLACK_SIGNING_SECRET: 'SeCrEt0SiGnInG0x8Hk3Vn6Rt1Zy5',
  ALERTMANAGER_TOKEN: 'SeCrEt0AmToKeN0b4Jd8Fs2Gh7Kq',
  ALERTMANAGER_BASIC_PASSWORD: 'SeCrEt0AmPaSs0w9Er3Ty6Ui1Op',
  REDIS_PASSWORD: 'SeCrEt0ReDiS0p@ss/w0rd:5Cv8',
};
const BASIC_USER = 'alertmanager';
const OOM_CHANNEL = 'C0SECRETALR';

/** Each secret as it could leak: raw, URL-encoded, base64 (basic auth: the whole user:password). */
function forms(): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, value] of Object.entries(SECRETS)) {
    out.push({ name, value }, { name: `${name} (url-encoded)`, value: encodeURIComponent(value) });
    out.push({ name: `${name} (base64)`, value: Buffer.from(value).toString('base64') });
  }
  const basic = `${BASIC_USER}:${SECRETS.ALERTMANAGER_BASIC_PASSWORD}`;
  out.push({ name: 'ALERTMANAGER_BASIC_AUTH (base64)', value: Buffer.from(basic).toString('base64') });
  return out.filter((f, i, all) => all.findIndex((g) => g.value === f.value) === i);
}

function alert(pod: string): string {
  return JSON.stringify({
    version: '4',
    groupKey: `secrets-${pod}`,
    status: 'firing',
    receiver: 'oom-bot',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.invalid',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'KubeContainerOOMKilled', namespace: 'prod', pod, container: 'auth' },
        annotations: {},
        startsAt: new Date(Date.now() - 30_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
      },
    ],
  });
}

describe('reliability: no secret in logs or in Slack', function () {
  this.timeout(180_000);
  let redis: PrivateRedis;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  let metricsText = '';
  const stderrOfBadConfigs: string[] = [];

  before(async () => {
    redis = await startPrivateRedis({ password: SECRETS.REDIS_PASSWORD });
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-secrets-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: 'oom-rel-secrets',
        ALERTMANAGER_TOKEN: SECRETS.ALERTMANAGER_TOKEN,
        ALERTMANAGER_BASIC_AUTH: `${BASIC_USER}:${SECRETS.ALERTMANAGER_BASIC_PASSWORD}`,
        OOM_CHANNEL,
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'debug',
      },
    });
  });

  after(async () => {
    await bot?.stop();
    await slack?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the full flow', async () => {
    const events = `${bot.url}/slack/events`;
    const secret = SECRETS.SLACK_SIGNING_SECRET;
    // slash command and its thread
    await postSigned(
      events,
      secret,
      slashCommandBody({ text: 'auth-service -n prod', response_url: slack.responseUrl('s') }),
    );
    const root = await slack.waitFor(
      (c) => c.method === 'chat.update' && JSON.stringify(c.args).includes(ACTION_IDS.rediagnose),
      HANG_MS,
    );
    await slack.waitFor('files.completeUploadExternal', HANG_MS);
    const incidentId =
      /"action_id":"oom_rediagnose","value":"([^"]+)"/.exec(JSON.stringify(root.args))?.[1] ?? '';
    // alerts: bearer, basic auth, and refused credentials (a near miss of each secret)
    const hook = (authorization: string, pod: string) =>
      fetch(`${bot.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: alert(pod),
      });
    assert.equal(
      (await hook(`Bearer ${SECRETS.ALERTMANAGER_TOKEN}`, 'auth-service-7d9f8b6c5d-x2x9z')).status,
      202,
    );
    const basic = Buffer.from(`${BASIC_USER}:${SECRETS.ALERTMANAGER_BASIC_PASSWORD}`).toString('base64');
    assert.equal((await hook(`Basic ${basic}`, 'auth-service-7d9f8b6c5d-kq2mz')).status, 202);
    assert.equal(
      (await hook(`Bearer ${SECRETS.ALERTMANAGER_TOKEN}x`, 'auth-service-7d9f8b6c5d-zzzzz')).status,
      401,
    );
    await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === OOM_CHANNEL, HANG_MS);
    // a forged signature (signed with a near miss of the secret)
    assert.equal((await postSigned(events, `${secret}x`, slashCommandBody({ text: 'help' }))).status, 401);
    // buttons: Re-diagnose, an Apply without a policy (refused), Dismiss
    const message = { type: 'message', ts: String(root.args.ts), text: 'OOM', blocks: [] };
    const click = (action_id: string, value: string) =>
      postSigned(
        events,
        secret,
        blockActionsBody({ message, action: { action_id, block_id: 'oom_actions', value } }),
      );
    assert.equal((await click(ACTION_IDS.rediagnose, incidentId)).status, 200);
    const planId =
      /"action_id":"oom_apply","value":"([^"]+)"/.exec(JSON.stringify(root.args))?.[1] ?? 'A'.repeat(22);
    assert.equal((await click(ACTION_IDS.apply, planId)).status, 200);
    await slack.waitFor('chat.postEphemeral', HANG_MS);
    assert.equal((await click(ACTION_IDS.dismiss, incidentId)).status, 200);
    await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && /Dismissed by/.test(String(c.args.text)),
      HANG_MS,
    );
    metricsText = await (await fetch(`${bot.url}/metrics`)).text();
    // Redis goes away and comes back: connection errors are logged
    await redis.stop();
    await postSigned(events, secret, slashCommandBody({ text: 'auth-service' }));
    await waitUntil(
      '/readyz to fail',
      HANG_MS,
      async () => (await fetch(`${bot.url}/readyz`)).status === 503,
    );
    await sleep(1500);
    await redis.start();
    await waitUntil(
      '/readyz to recover',
      HANG_MS,
      async () => (await fetch(`${bot.url}/readyz`)).status === 200,
    );
    assert.ok(bot.logs().length > 10_000, 'a full run logs plenty at debug level');
  });

  it('refuses invalid configurations without echoing a secret', () => {
    const cases: Array<Record<string, string>> = [
      { SLACK_BOT_TOKEN: `xoxp-${SECRETS.SLACK_BOT_TOKEN}` },
      {
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        REDIS_URL: `http://:${encodeURIComponent(SECRETS.REDIS_PASSWORD)}@x`,
      },
      {
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        ALERTMANAGER_BASIC_AUTH: SECRETS.ALERTMANAGER_BASIC_PASSWORD,
      },
      {
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        ALERTMANAGER_TOKEN: SECRETS.ALERTMANAGER_TOKEN,
      },
      { SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN, SLACK_APP_TOKEN: SECRETS.SLACK_SIGNING_SECRET },
    ];
    for (const env of cases) {
      const run = spawnSync(BIN, ['serve'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.notEqual(run.status, 0, JSON.stringify(Object.keys(env)));
      assert.match(run.stderr, /^oom-bot: /);
      stderrOfBadConfigs.push(run.stdout + run.stderr);
    }
  });

  it('finds no secret in any log line, in /metrics, or in anything sent to Slack', () => {
    const logs = bot.logs();
    const sent = slack
      .calls()
      .map((c: SlackCall) => JSON.stringify({ method: c.method, args: c.args, id: c.id }));
    const places: Array<[string, string]> = [
      ['logs', logs],
      ['/metrics', metricsText],
      ['Slack calls', sent.join('\n')],
      ['invalid-config errors', stderrOfBadConfigs.join('\n')],
    ];
    const leaks: string[] = [];
    const checked = forms();
    for (const { name, value } of checked) {
      for (const [where, text] of places) if (text.includes(value)) leaks.push(`${name} in ${where}`);
    }
    report('secrets', {
      secrets: Object.keys(SECRETS).length,
      formsSearched: checked.length,
      logLines: logs.split('\n').length,
      slackCalls: sent.length,
      invalidConfigs: stderrOfBadConfigs.length,
      leaks: leaks.length,
    });
    assert.deepEqual(leaks, []);
    // the bot token did go where it belongs: the Authorization header of the Web API calls
    assert.ok(slack.calls().some((c) => c.token === SECRETS.SLACK_BOT_TOKEN));
  });
});
