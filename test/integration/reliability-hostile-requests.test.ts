/**
 * Reliability: hostile requests against the real binary (`oom-bot start`, real Redis, fake Slack).
 *
 * - forged signatures and timestamps outside the 5-minute window, in both directions (Bolt 5
 *   alone accepts future ones: src/slack/receiver.ts closes that): 401, nothing started;
 * - signed bodies Bolt cannot use (`payload=null` used to end the process): 400, still up;
 * - oversized bodies (Slack endpoint and webhook): 413; slow clients (headers or body trickled):
 *   408 from the server's own timeouts, on the Slack endpoint and on the webhook;
 * - mrkdwn injection (`<!channel>`, user mentions, links, formatting) in slash-command text and in
 *   Alertmanager labels: whatever reaches Slack, in blocks or in the notification text, is shown
 *   as text, never a broadcast, a mention or a link.
 * Replayed and tampered button values and clicks from non-approvers: remediation-clicks.test.ts
 * (and, across a restart, reliability-restart-approval.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { report, sleep, waitUntil } from '../reliability/intensity.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { postSigned, slackSignature, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'hostile-signing-secret-0123456789';
const TOKEN = 'hostile-alertmanager-token-0123456789';
const OOM_CHANNEL = 'C0HOSTILE01';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WEBHOOK_MAX_BYTES = 65_536;

/** Anything Slack would turn into a broadcast, a mention or a link. */
const LIVE_MARKUP = /<!(channel|here|everyone)|<@U0EVIL|<#C0EVIL|<https?:\/\/evil|<mailto:/;

/** Slack's headers, well-formed and current (the signature is forged): the body is read. */
function wellFormedSlackHeaders(): string {
  const stamp = Math.floor(Date.now() / 1000);
  return `X-Slack-Request-Timestamp: ${stamp}\r\nX-Slack-Signature: v0=${'0'.repeat(64)}\r\n`;
}

/** A raw HTTP/1.1 exchange whose parts are written `gapMs` apart; resolves with the status line. */
function trickle(port: number, parts: string[], gapMs: number): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d) => {
      answer += d.toString();
      if (/^HTTP\/1\.1 \d{3}/.test(answer)) socket.destroy(); // the answer is all we wait for
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), ms: Date.now() - started });
    });
    let i = 0;
    const next = () => {
      if (socket.destroyed) return;
      if (i < parts.length) socket.write(parts[i++] as string);
      timer = setTimeout(next, gapMs);
    };
    next();
  });
}

describe('reliability: hostile requests', function () {
  this.timeout(180_000);
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  const prefix = `oom-rel-hostile-${process.pid}-${Date.now()}`;
  const counts: Record<string, { tried: number; outcome: string }> = {};
  const count = (kind: string, outcome: string, n = 1) => {
    const c = counts[kind] ?? { tried: 0, outcome };
    c.tried += n;
    counts[kind] = c;
  };

  const events = () => `${bot.url}/slack/events`;
  const diagnosesQueued = async () => {
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    try {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      return Object.values(c).reduce((a, b) => a + b, 0);
    } finally {
      await queue.close();
    }
  };

  before(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), 'oom-rel-hostile-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['start', '--scenario', dir],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-hostile-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        ALERTMANAGER_TOKEN: TOKEN,
        OOM_CHANNEL,
        WEBHOOK_MAX_BYTES: String(WEBHOOK_MAX_BYTES),
        SLACK_MIN_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
      },
    });
  });

  after(async () => {
    report('hostile-requests', counts);
    await bot?.stop();
    await slack?.close();
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses forged signatures with 401 and starts nothing', async () => {
    const body = slashCommandBody({
      text: 'auth-service -n prod',
      response_url: slack.responseUrl('forged'),
    });
    const now = Math.floor(Date.now() / 1000);
    const good = slackSignature(SECRET, body, now);
    const forged: Array<[string, Parameters<typeof postSigned>[3], string]> = [
      ['another secret', {}, 'wrong-secret'],
      ['no signature', { signature: '' }, SECRET],
      ['unknown version v1=', { signature: good.replace('v0=', 'v1=') }, SECRET],
      ['truncated', { signature: good.slice(0, -2) }, SECRET],
      ['one hex digit changed', { signature: good.slice(0, -1) + (good.endsWith('0') ? '1' : '0') }, SECRET],
      ['upper-case hex', { signature: `v0=${good.slice(3).toUpperCase()}` }, SECRET],
      ['signature of another body', { signature: slackSignature(SECRET, `${body}&x=1`, now) }, SECRET],
      [
        'another timestamp than signed',
        { timestamp: now, signature: slackSignature(SECRET, body, now - 1) },
        SECRET,
      ],
    ];
    for (const [name, opts, secret] of forged) {
      const res = await postSigned(events(), secret, body, { timestamp: now, ...opts });
      assert.equal(res.status, 401, name);
      count('forged signature', '401');
    }
    // the body tampered after signing
    const tampered = await fetch(events(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': good,
      },
      body: body.replace('auth-service', 'payments-api'),
    });
    assert.equal(tampered.status, 401);
    count('forged signature', '401');
    await sleep(300);
    assert.equal(await diagnosesQueued(), 0, 'nothing was enqueued');
    assert.deepEqual(
      slack.calls().filter((c) => c.method !== 'auth.test'),
      [],
      'nothing reached Slack (but Bolt’s auth.test at start)',
    );
  });

  it('guards every spelling of the endpoint Bolt would dispatch: a forged signature never reaches it', async () => {
    const body = slashCommandBody({ text: 'auth-service -n prod', response_url: slack.responseUrl('paths') });
    const spellings = [
      '/slack/events?ssl_check=0',
      '/slack/events/',
      '/slack//events',
      '/SLACK/events',
      '/slack/%65vents',
    ];
    for (const path of spellings) {
      const res = await postSigned(`${bot.url}${path}`, 'wrong-secret', body);
      assert.ok([401, 404].includes(res.status), `${path}: ${res.status}`);
      count('forged signature, other spelling of the path', String(res.status));
    }
    await sleep(300);
    assert.equal(await diagnosesQueued(), 0, 'nothing was enqueued');
    assert.deepEqual(slack.calls('chat.postMessage'), [], 'nothing reached Slack');
  });

  it('refuses timestamps more than 5 minutes old or in the future with 401; accepts them inside the window', async () => {
    const now = Math.floor(Date.now() / 1000);
    const outside = [-3600, -301, 301, 3600, 86_400 * 365];
    for (const offset of outside) {
      const body = slashCommandBody({ text: 'help' });
      const res = await postSigned(events(), SECRET, body, { timestamp: now + offset });
      assert.equal(res.status, 401, `a request stamped ${offset} s from now`);
      count(offset > 0 ? 'future timestamp' : 'stale timestamp', '401');
    }
    for (const stamp of ['', 'abc', '1e9', '-1', ' 1700000000', `${now}.5`]) {
      const body = slashCommandBody({ text: 'help' });
      const res = await postSigned(events(), SECRET, body, {
        headers: { 'x-slack-request-timestamp': stamp },
        signature: slackSignature(SECRET, body, Number(stamp)),
      });
      assert.equal(res.status, 401, `timestamp header "${stamp}"`);
      count('malformed timestamp', '401');
    }
    for (const offset of [-240, 0, 240]) {
      const res = await postSigned(events(), SECRET, slashCommandBody({ text: 'help' }), {
        timestamp: now + offset,
      });
      assert.equal(res.status, 200, `inside the window (${offset} s)`);
      assert.match(res.body, /Usage/);
    }
    assert.equal(bot.child.exitCode, null);
  });

  it('answers signed bodies Bolt cannot use with 400, and stays up', async () => {
    const bodies = [
      'payload=null',
      'payload=1',
      'payload=%22text%22',
      'payload=%5B%5D',
      'payload=%7B',
      'payload=a&payload=b',
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: null }))}`,
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [null] }))}`,
      `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission' }))}`,
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'oom_apply' }] }))}`,
    ];
    for (const body of bodies) {
      const res = await postSigned(events(), SECRET, body);
      assert.equal(res.status, 400, body);
      count('signed malformed body', '400');
    }
    const json = await postSigned(events(), SECRET, 'null', {
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(json.status, 400);
    count('signed malformed body', '400');
    assert.equal(bot.child.exitCode, null, 'the process is still running');
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
  });

  it('refuses oversized bodies with 413: Slack endpoint (1 MiB) and webhook (WEBHOOK_MAX_BYTES)', async () => {
    const big = `text=${'a'.repeat(5 * 1024 * 1024)}`;
    const slackBig = await postSigned(events(), SECRET, big).catch((e: Error) => ({ status: e.message }));
    assert.equal(slackBig.status, 413);
    count('oversized body', '413');
    // a declared length over the limit is refused before a byte of the body is read
    const declared = await trickle(
      bot.port,
      [
        `POST /slack/events HTTP/1.1\r\nHost: x\r\n${wellFormedSlackHeaders()}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 104857600\r\n\r\n`,
        'text=',
      ],
      50,
    );
    assert.equal(declared.status, 413);
    count('oversized body', '413');
    const hook = await fetch(`${bot.url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', pad: 'x'.repeat(WEBHOOK_MAX_BYTES) }),
    });
    assert.equal(hook.status, 413);
    count('oversized body', '413');
  });

  it('drops slow clients with 408: trickled headers, a trickled body on the Slack endpoint and on the webhook', async () => {
    const headerLines = Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: y\r\n`);
    const results = await Promise.all([
      trickle(bot.port, [`POST /slack/events HTTP/1.1\r\nHost: x\r\n`, ...headerLines], 250),
      trickle(
        bot.port,
        [
          `POST /slack/events HTTP/1.1\r\nHost: x\r\n${wellFormedSlackHeaders()}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n`,
          ...Array.from({ length: 400 }, () => 'a=b&'),
        ],
        250,
      ),
      trickle(
        bot.port,
        [
          `POST /alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n`,
          ...Array.from({ length: 400 }, () => '    '),
        ],
        250,
      ),
    ]);
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 408, `slow client ${i}`);
      count('slow client', '408');
    }
    report('slow-clients', { closedAfterMs: results.map((r) => r.ms) });
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
  });

  it('shows mrkdwn from slash commands and alert labels as text, in blocks and in notification text', async () => {
    const evil = '<!channel> <!here|here> <@U0EVIL> <#C0EVIL> <https://evil.example|click> *bold* `code`';
    const texts = [
      '<!channel>',
      'auth-service -n <!here>',
      'auth-service --cluster <@U0EVIL>',
      evil,
      '<https://evil.example|x>',
    ];
    for (const text of texts) {
      const res = await postSigned(events(), SECRET, slashCommandBody({ text }));
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.body, LIVE_MARKUP, `the answer to /oom ${text}`);
      count('mrkdwn injection (slash command)', 'escaped');
    }
    const labels: Array<Record<string, string>> = [
      { alertname: 'KubeContainerOOMKilled', namespace: 'prod', workload: evil, container: 'auth' },
      {
        alertname: 'KubeContainerOOMKilled',
        namespace: '<!here>',
        pod: 'auth-service-7d9f8b6c5d-x2x9z',
        container: evil,
      },
      { alertname: 'KubeNodeMemoryPressure', node: '<!everyone> <https://evil.example|node>' },
    ];
    const now = Date.now();
    const res = await fetch(`${bot.url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: 'hostile',
        status: 'firing',
        receiver: 'oom-bot',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: { summary: evil },
        externalURL: 'http://alertmanager.invalid',
        alerts: labels.map((l, i) => ({
          status: 'firing',
          labels: l,
          annotations: { description: evil },
          startsAt: new Date(now - 60_000).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: `abc${i}`,
        })),
      }),
    });
    assert.equal(res.status, 202, await res.text());
    count('mrkdwn injection (alert labels)', 'escaped', labels.length);
    // each incident gets its root; wait until all three are there and their diagnoses are done
    await waitUntil('three roots in the alert channel', HANG_MS, () =>
      slack
        .calls('chat.postMessage')
        .filter((c) => c.ok && c.args.channel === OOM_CHANNEL && !c.args.thread_ts).length >= 3
        ? true
        : undefined,
    );
    await sleep(3000);
    const shown = slack.calls().filter((c) => c.ok);
    const live = shown.filter((c) => LIVE_MARKUP.test(JSON.stringify(c.args)));
    assert.deepEqual(
      live.map(
        (c) =>
          `${c.method}: ${JSON.stringify(c.args).match(LIVE_MARKUP)?.[0]} in ${JSON.stringify(c.args).slice(0, 300)}`,
      ),
      [],
      'no live markup reached Slack',
    );
    assert.ok(
      shown.some((c) => JSON.stringify(c.args).includes('&lt;!channel&gt;')),
      'the hostile text is shown, escaped',
    );
  });
});
