/**
 * `/slack/events` against unauthenticated floods and replays, on the real binary (`oom-bot start`,
 * real Redis, fake Slack):
 *
 * - 90 connections without Slack's headers, each sending a large body, are refused before their
 *   bodies are read: the bot's RSS (from /proc) does not grow with them;
 * - 90 connections with well-formed but forged headers, each declaring a 1 MiB body and holding
 *   it, are bounded by the bytes-in-flight budget: all but the budget's worth are refused (503);
 * - a signed request replayed within the 5-minute window is refused (401) and starts nothing;
 *   Slack's own retry of it (`x-slack-retry-num`) is acknowledged and starts nothing either.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SLACK_BODY_MAX_BYTES, SLACK_BYTES_IN_FLIGHT } from '../../src/slack/receiver.ts';
import { report, waitUntil } from '../reliability/intensity.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, signSlackRequest, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'ingress-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 90;
const MiB = 1024 * 1024;

/** Resident memory of a process, from /proc. */
function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/**
 * A raw POST that sends its headers, then `bodyBytes` of body in 64 KiB writes while the server
 * lets it; resolves with the answer's status (0: the server closed without one).
 */
function flood(port: number, headers: string[], declared: number, bodyBytes: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
      if (/^HTTP\/1\.1 \d{3}/.test(answer)) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.write(
      [
        'POST /slack/events HTTP/1.1',
        'Host: x',
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${declared}`,
        ...headers,
        '',
        '',
      ].join('\r\n'),
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < bodyBytes && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

describe('/slack/events: floods and replays', function () {
  this.timeout(180_000);
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string;
  const prefix = `oom-ingress-${process.pid}-${Date.now()}`;
  const figures: Record<string, unknown> = {};

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
    dir = mkdtempSync(join(tmpdir(), 'oom-ingress-'));
    await writeScenario(dir, seedIncident());
    bot = await startBot({
      args: ['serve'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-ingress-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
    });
  });

  after(async () => {
    report('slack-ingress', figures);
    await bot?.stop();
    await slack?.close();
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses 90 unsigned connections sending large bodies before reading them; RSS stays put', async () => {
    const pid = bot.child.pid as number;
    const before = rssBytes(pid);
    const statuses = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => flood(bot.port, [], 4 * MiB, 4 * MiB)),
    );
    const after = rssBytes(pid);
    figures.unsignedRssBeforeMiB = +(before / MiB).toFixed(1);
    figures.unsignedRssAfterMiB = +(after / MiB).toFixed(1);
    // each answered 401, or was closed after its 401 before the client read it
    assert.ok(
      statuses.every((s) => s === 401 || s === 0),
      `statuses: ${[...new Set(statuses)].join(', ')}`,
    );
    assert.ok(statuses.filter((s) => s === 401).length > 0);
    // 90 bodies of 4 MiB would be 360 MiB; refused unread, the process grows by far less than one
    // body per connection
    assert.ok(after - before < 48 * MiB, `RSS grew from ${before / MiB} to ${after / MiB} MiB`);
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
  });

  it('bounds the bytes in flight: forged-signature requests holding 1 MiB bodies beyond the budget get 503', async () => {
    const held = SLACK_BYTES_IN_FLIGHT / SLACK_BODY_MAX_BYTES;
    const stamp = String(Math.floor(Date.now() / 1000));
    const forged = () => [
      `X-Slack-Request-Timestamp: ${stamp}`,
      `X-Slack-Signature: v0=${randomBytes(32).toString('hex')}`,
    ];
    const pid = bot.child.pid as number;
    const before = rssBytes(pid);
    // each sends half of its declared 1 MiB and waits: the budget holds what it admitted until
    // the server's request timeout answers 408
    const statuses = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => flood(bot.port, forged(), MiB, MiB / 2)),
    );
    const after = rssBytes(pid);
    const count = (s: number) => statuses.filter((x) => x === s).length;
    // a refused connection is closed after its 503; a client still writing its body may see the
    // close before the answer (status 0), as with the unsigned flood above
    const refused = count(503) + count(0);
    Object.assign(figures, {
      budgetRefused503: count(503),
      budgetClosed: count(0),
      budgetHeld408: count(408),
    });
    assert.equal(refused + count(408), CONNECTIONS, `statuses: ${statuses.join(',')}`);
    assert.ok(count(503) > 0, 'the budget answers 503');
    // at most `held` requests are admitted at once; allow one more round for admissions after a
    // held request's timeout
    assert.ok(refused >= CONNECTIONS - 2 * held, `only ${refused} refused`);
    assert.ok(after - before < 64 * MiB, `RSS grew from ${before / MiB} to ${after / MiB} MiB`);
  });

  it('refuses a replayed signed request and acts once on a Slack retry of it', async () => {
    const body = slashCommandBody({
      text: 'auth-service -n prod',
      response_url: slack.responseUrl('replay'),
    });
    const headers = signSlackRequest(SECRET, body);
    const send = (extra: Record<string, string> = {}) =>
      fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { ...headers, ...extra }, body });
    assert.equal((await send()).status, 200);
    await waitUntil('the diagnosis job', 10_000, async () => (await diagnosesQueued()) === 1);
    const replay = await send();
    assert.equal(replay.status, 401);
    const retry = await send({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    assert.equal(retry.status, 200);
    // a fresh request (new timestamp or body) still works
    const fresh = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'cart -n shop', response_url: slack.responseUrl('fresh') }),
    );
    assert.equal(fresh.status, 200);
    await waitUntil('the second diagnosis job', 10_000, async () => (await diagnosesQueued()) === 2);
    assert.equal(await diagnosesQueued(), 2, 'the replay or the retry started a diagnosis');
    assert.match(bot.logs(), /replayed/);
  });
});
