/**
 * Redis as the trust boundary asks an operator to run it: TLS only, the default user switched off
 * and an ACL user for the bot. A real redis-server with a certificate from a throwaway CA and the
 * real binary given `REDIS_URL=rediss://oom-bot:PASSWORD@host:port`: a signed `/oom` lands its job
 * in that Redis and the password appears in no log line; a wrong password leaves the bot unready.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { waitUntil } from '../reliability/intensity.ts';
import { waitForRedis } from '../reliability/redis-server.ts';
import { freePort } from '../stack/ports.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'redis-tls-signing-secret-0123';
const USER = 'oom-bot';
// holds characters a URL must encode, so the bot's decoding of the password is covered too
const PASSWORD = 'acl-p@ss/w0rd:redis-tls-4711';

interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 it signed, written to `dir`. */
function issueCertificates(dir: string): Certificates {
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const key = ['-newkey', 'rsa:2048', '-nodes', '-days', '1'];
  openssl([
    'req',
    '-x509',
    ...key,
    '-subj',
    '/CN=oom-bot test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  ]);
  openssl(['req', ...key, '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl([
    ...['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key')],
    ...['-CAcreateserial', '-days', '1', '-extfile', f('san.cnf'), '-out', f('server.pem')],
  ]);
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe('trust boundary: Redis over TLS with an ACL user (real redis-server, real binary)', function () {
  this.timeout(90_000);
  let dir: string;
  let certs: Certificates;
  let port: number;
  let redisServer: ChildProcess;
  let slack: FakeSlack;
  const bots: BotProcess[] = [];
  const queues: Queue[] = [];

  const tlsOptions = () => ({
    host: '127.0.0.1',
    port,
    username: USER,
    password: PASSWORD,
    tls: { ca: readFileSync(certs.ca) },
  });
  const rediss = (password = PASSWORD) =>
    `rediss://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-bot-redis-tls-'));
    certs = issueCertificates(dir);
    port = await freePort();
    redisServer = spawn(
      'redis-server',
      [
        ...[
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        ...['--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca],
        ...['--tls-auth-clients', 'no', '--user', 'default', 'off'],
        ...['--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
      ],
      { stdio: 'ignore' },
    );
    await waitForRedis('redis-server to answer over TLS', tlsOptions());
    slack = await startFakeSlack();
  });

  after(async () => {
    for (const bot of bots) await bot.stop();
    for (const queue of queues) await queue.close();
    await slack?.close();
    if (redisServer && redisServer.exitCode === null) {
      const exited = new Promise((resolve) => redisServer.once('exit', resolve));
      redisServer.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (redisUrl: string, prefix: string) =>
    startBot({
      args: ['serve'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-redis-tls-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: prefix,
        // the test's CA, as an operator adds a private CA to the bot's image
        NODE_EXTRA_CA_CERTS: certs.ca,
      },
    }).then((bot) => {
      bots.push(bot);
      return bot;
    });

  it('refuses the default user and plain TCP: the server is set up as the README asks', async () => {
    // the client's first command (HELLO) is refused: NOAUTH, and the server closes the connection
    const anonymous = new Redis({
      ...tlsOptions(),
      username: undefined,
      password: undefined,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    anonymous.on('error', (error) => errors.push(String(error)));
    try {
      await assert.rejects(anonymous.connect().then(() => anonymous.get('x')));
      assert.match(errors.join('\n'), /NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
    const plain = new Redis({
      ...tlsOptions(),
      tls: undefined,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    plain.on('error', () => undefined);
    try {
      await assert.rejects(plain.connect().then(() => plain.ping()));
    } finally {
      plain.disconnect();
    }
  });

  it('takes /oom through rediss://user:password@: the job is in that Redis, the password in no log line', async () => {
    const prefix = `oom-tls-${process.pid}`;
    const bot = await start(rediss(), prefix);
    await waitUntil('the bot to be ready on the TLS Redis', 30_000, async () => {
      return (await fetch(`${bot.url}/readyz`)).status === 200;
    });
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'auth-service' }),
    );
    assert.equal(res.status, 200);
    assert.match(String((res.json as { text?: string }).text), /Diagnosing `auth-service`/);
    const queue = new Queue('diagnose', {
      connection: { ...tlsOptions(), maxRetriesPerRequest: null },
      prefix,
    });
    queues.push(queue);
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.data.request.name, 'auth-service');
    const logs = bot.logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(PASSWORD), 'the Redis password is in the log');
    assert.ok(!logs.includes(encodeURIComponent(PASSWORD)), 'the encoded Redis password is in the log');
    await queue.obliterate({ force: true });
  });

  it('stays unready with a wrong password, and queues nothing', async () => {
    const prefix = `oom-tls-wrong-${process.pid}`;
    const bot = await start(rediss('not-the-password-0000'), prefix);
    assert.equal((await fetch(`${bot.url}/readyz`)).status, 503);
    const res = await postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({ text: 'auth-service' }),
    );
    assert.doesNotMatch(String((res.json as { text?: string } | undefined)?.text), /Diagnosing/);
    const queue = new Queue('diagnose', {
      connection: { ...tlsOptions(), maxRetriesPerRequest: null },
      prefix,
    });
    queues.push(queue);
    assert.equal((await queue.getJobs(['waiting', 'active', 'delayed', 'completed'])).length, 0);
    assert.equal((await fetch(`${bot.url}/readyz`)).status, 503);
    assert.match(bot.logs(), /WRONGPASS|NOAUTH|invalid username-password/);
  });
});
