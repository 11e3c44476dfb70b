/**
 * docker-compose.yml as a user runs it, with podman-compose: the file copied unchanged into a
 * project directory with a .env, Redis, web and two workers brought up from the locally built
 * images (Redis from Debian's redis-server package), their healthchecks run, and a signed /oom
 * sent through the published port reaches a fake Slack from inside the compose network.
 * Prometheus and Alertmanager have no image here (no registry); their configs are checked by
 * promtool and amtool in test/integration/deploy-files.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../stack/ports.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';
import { IMAGE, podman, podmanEnv, prepareImages, REDIS_IMAGE, ROOT } from './podman.ts';

const run = promisify(execFile);
const SECRET = 'compose-test-signing-secret-0123456789';
const PROJECT = `oom-bot-compose-test-${process.pid}`;

/** A project directory holding docker-compose.yml and the files it mounts, as in a checkout. */
function makeProjectDir(slackPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'oom-bot-compose-'));
  cpSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  cpSync(join(ROOT, 'compose'), join(dir, 'compose'), { recursive: true });
  mkdirSync(join(dir, 'manifests'));
  cpSync(join(ROOT, 'manifests/approval-policy.yaml'), join(dir, 'manifests/approval-policy.yaml'));
  writeFileSync(
    join(dir, '.env'),
    [
      'SLACK_BOT_TOKEN=xoxb-compose-test',
      `SLACK_SIGNING_SECRET=${SECRET}`,
      // required since plans are signed; a test-only value
      'APPROVAL_SIGNING_KEY=compose-test-approval-signing-key-0123456789',
      // Podman's name for the host, where the relay to the fake Slack listens
      `SLACK_API_URL=http://host.containers.internal:${slackPort}/api/`,
      'PROMETHEUS_URL=http://127.0.0.1:9',
      'LOG_LEVEL=info',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'kubeconfig'),
    'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n',
  );
  return dir;
}

/** Relays a port on every interface to the fake Slack (which listens on loopback only). */
function relayTo(port: number, listenPort: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(listenPort, '0.0.0.0', () => resolve(server)));
}

async function compose(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('podman-compose', ['-p', PROJECT, ...args], {
      cwd: dir,
      env,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`podman-compose ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.trim());
  }
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer 200 within 2 minutes`);
}

describe('docker-compose.yml with podman-compose (local images, fake Slack)', function () {
  this.timeout(10 * 60_000);
  let slack: FakeSlack;
  let relay: Server;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let webPort: number;
  let relayPort: number;

  before(async function () {
    this.timeout(40 * 60_000);
    await prepareImages();
    slack = await startFakeSlack();
    [relayPort, webPort] = (await freePorts(2)) as [number, number];
    relay = await relayTo(Number(new URL(slack.url).port), relayPort);
    dir = makeProjectDir(relayPort);
    env = {
      ...podmanEnv,
      OOM_BOT_IMAGE: IMAGE,
      REDIS_IMAGE,
      OOM_BOT_WEB_PORT: String(webPort),
      KUBECONFIG_HOST: join(dir, 'kubeconfig'),
    };
    await compose(dir, ['up', '-d', 'redis', 'web', 'worker'], env);
  });

  after(async () => {
    if (dir) {
      await compose(dir, ['down', '-t', '30'], env).catch(() => undefined);
      await podman(['network', 'rm', '-f', `${PROJECT}_default`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    relay?.close();
    await slack?.close();
  });

  it('brings up Redis, web and both workers, and their healthchecks pass', async () => {
    await waitForReady(`http://127.0.0.1:${webPort}/readyz`);
    const names = (
      await podman(['ps', '--filter', `label=io.podman.compose.project=${PROJECT}`, '--format', '{{.Names}}'])
    )
      .trim()
      .split('\n')
      .sort();
    assert.deepEqual(names, [
      `${PROJECT}_redis_1`,
      `${PROJECT}_web_1`,
      `${PROJECT}_worker_1`,
      `${PROJECT}_worker_2`,
    ]);
    for (const name of names) await podman(['healthcheck', 'run', name], 60_000);
    const user = (await podman(['inspect', '--format', '{{.Config.User}}', `${PROJECT}_web_1`])).trim();
    assert.equal(user, '1000:1000');
  });

  it('answers a signed /oom on the published port and a worker answers through Slack', async () => {
    await waitForReady(`http://127.0.0.1:${webPort}/readyz`);
    const res = await postSigned(
      `http://127.0.0.1:${webPort}/slack/events`,
      SECRET,
      slashCommandBody({
        text: 'auth-service -n prod',
        response_url: `http://host.containers.internal:${relayPort}/response/compose`,
      }),
    );
    assert.equal(res.status, 200);
    assert.match(res.body, /Diagnosing `auth-service`/);
    // no cluster in the mounted kubeconfig: a worker says so to the requester through the
    // response_url, from inside the compose network
    const answer = await slack.waitFor((c) => c.method === 'response_url', 120_000);
    assert.match(String(answer.args.text), /\/etc\/oom-bot\/kubeconfig names no cluster/);
  });
});
