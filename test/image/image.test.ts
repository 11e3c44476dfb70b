/**
 * The image as a user runs it: built from the Dockerfile with podman (on bases made from Debian
 * packages, with the CA bundle as a build secret), then run read-only as its own non-root user
 * against the real Redis: `serve`, `worker` and `start` come up healthy, a signed /oom through
 * the container reaches a fake Slack, SIGTERM ends it with exit 0 within the grace period,
 * `demo` writes its chart, and nothing of the development setup is inside.
 * Slow and needs root: `npm run test:image` (run by .ci/run), not part of `npm test`.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePorts } from '../stack/ports.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';
import { type Container, recordFigure, startContainer, waitForHttp } from './containers.ts';
import { caBundle, IMAGE, imageSize, layerEntries, podman, prepareImages, ROOT } from './podman.ts';

const SECRET = 'image-test-signing-secret-0123456789';
const REDIS_URL = 'redis://127.0.0.1:6379';
/** The seconds Kubernetes waits after SIGTERM before killing a pod of the Deployment in `file`. */
function graceSecondsOf(file: string): number {
  const deployment = parseAllDocuments(readFileSync(join(ROOT, 'manifests', file), 'utf8'))
    .map((d) => d.toJS() as { kind?: string; spec?: { template: { spec: Record<string, unknown> } } })
    .find((o) => o?.kind === 'Deployment');
  const seconds = deployment?.spec?.template.spec.terminationGracePeriodSeconds;
  assert.equal(typeof seconds, 'number', `no terminationGracePeriodSeconds in manifests/${file}`);
  return seconds as number;
}

/** The grace period of each role's Deployment; `start` (both in one process) gets the worker's. */
const GRACE_SECONDS = {
  serve: graceSecondsOf('deployment-web.yaml'),
  worker: graceSecondsOf('deployment-worker.yaml'),
};

/** What the bot needs to start: Slack pointed at the fake, the real Redis, an unused Prometheus. */
function botEnv(port: number): Record<string, string> {
  return {
    PORT: String(port),
    METRICS_PORT: String(port),
    REDIS_URL,
    SLACK_BOT_TOKEN: 'xoxb-image-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    // required since plans are signed; a test-only value
    APPROVAL_SIGNING_KEY: 'image-test-approval-signing-key-0123456789',
    SLACK_API_URL: slackApiUrl,
    PROMETHEUS_URL: 'http://127.0.0.1:9',
  };
}

/** /healthz then /readyz answer 200, tini is PID 1 and the process runs as 1000; the error, if any. */
async function checkHealthy(mode: string, port: number, bot: Container): Promise<unknown> {
  try {
    const healthy = await waitForHttp(`http://127.0.0.1:${port}/healthz`, bot);
    const ready = await waitForHttp(`http://127.0.0.1:${port}/readyz`, bot);
    recordFigure(`${mode} seconds to ready`, ready.toFixed(1));
    assert.ok(healthy <= ready);
    assert.equal((await bot.exec(['cat', '/proc/1/comm'])).trim(), 'tini', 'tini is PID 1');
    assert.equal((await bot.exec(['id', '-u'])).trim(), '1000');
    return undefined;
  } catch (err) {
    return err;
  }
}

let slackApiUrl = '';

describe('the container image (podman, real Redis, fake Slack)', function () {
  this.timeout(10 * 60_000);
  let slack: FakeSlack;
  let outDir: string;

  before(async function () {
    this.timeout(40 * 60_000);
    const { buildSeconds } = await prepareImages();
    recordFigure('build seconds', buildSeconds.toFixed(0));
    recordFigure('image MB', ((await imageSize()) / 1e6).toFixed(0));
    slack = await startFakeSlack();
    slackApiUrl = slack.apiUrl;
    outDir = mkdtempSync(join(tmpdir(), 'oom-bot-image-'));
    chmodSync(outDir, 0o777); // the container's uid 1000 writes here
  });

  after(async () => {
    await slack?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('runs as uid 1000 on a read-only root filesystem that it cannot write to', async () => {
    const out = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'id -u; id -g; touch /app/x 2>/dev/null && echo writable || echo read-only; touch /tmp/x && echo tmp-ok',
    ]);
    assert.deepEqual(out.trim().split('\n'), ['1000', '1000', 'read-only', 'tmp-ok']);
    const user = (await podman(['image', 'inspect', '--format', '{{.Config.User}}', IMAGE])).trim();
    assert.equal(user, '1000:1000');
  });

  it('holds no devDependency, test file, CA bundle or npm', async () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(
        ([path, p]) => p.dev && path.startsWith('node_modules/') && !path.includes('/node_modules/', 13),
      )
      .map(([path]) => path.slice('node_modules/'.length));
    assert.ok(devOnly.includes('mocha') && devOnly.includes('typescript'), 'the lockfile marks dev packages');
    const listing = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls -A /app; cd /app/node_modules && for p in * @*/*; do echo "node_modules/$p"; done; ' +
        'find / -xdev \\( -name "*.test.ts" -o -path "/app/dist/*.ts" -o -path /app/test -o -name "ca-certificates.crt" -o -path "*/run/secrets/*" \\) -print; ' +
        'command -v npm || true',
    ]);
    const names = new Set(
      listing
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    assert.deepEqual(
      [...listing.matchAll(/^\/\S+$/gm)].map((m) => m[0]),
      [],
      'no test file, TypeScript source, CA bundle, secret or npm',
    );
    for (const name of ['dist', 'node_modules', 'package.json']) assert.ok(names.has(name), `/app/${name}`);
    // the compiled build runs; the TypeScript sources and the launcher for a checkout stay out
    for (const name of ['src', 'bin', 'test', 'bench', 'docs', '.git', '.env', 'manifests', 'charts'])
      assert.ok(!names.has(name), `/app/${name} is in the image`);
    // the listing names packages as the lockfile does, scoped ones included
    for (const name of ['@slack/bolt', 'bullmq', 'ioredis'])
      assert.ok(names.has(`node_modules/${name}`), `production dependency ${name} missing`);
    const shipped = devOnly.filter((name) => names.has(`node_modules/${name}`));
    assert.deepEqual(shipped, [], `devDependencies in the image: ${shipped.join(', ')}`);
  });

  it('did not keep the CA bundle in any layer', async function () {
    const ca = caBundle();
    if (!ca) this.skip();
    const history = await podman(['history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE]);
    assert.doesNotMatch(history, /BEGIN CERTIFICATE/);
    const layersWithBundle = await podman([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls /run/secrets 2>/dev/null; ls /etc/ssl/certs 2>/dev/null | wc -l',
    ]);
    assert.equal(layersWithBundle.trim(), '0', 'no secret mount or certificate store left in the image');
    // every layer, not just the final file system: a file written then deleted stays in its layer
    const { layers, entries } = await layerEntries();
    const paths = entries.map((e) => e.replace(/^\.\//, ''));
    assert.ok(layers >= 2 && paths.includes('app/dist/cli.js'), `read ${layers} layers`);
    const kept = paths.filter(
      (p) => /(^|\/)(\.wh\.)?ca-certificates\.crt$/.test(p) || /^run\/secrets\/[^/]/.test(p),
    );
    assert.deepEqual(kept, [], 'a CA bundle or secret in a layer');
  });

  for (const mode of ['serve', 'worker'] as const) {
    it(`\`${mode}\` comes up healthy and ready on the real Redis, and SIGTERM exits 0 within the grace period`, async () => {
      const port = (await freePorts(1))[0] as number;
      const bot = await startContainer(mode, {
        ...botEnv(port),
        QUEUE_PREFIX: `oom-image-${mode}-${process.pid}`,
      });
      const failure = await checkHealthy(mode, port, bot);
      const { code, seconds } = await bot.stop(GRACE_SECONDS[mode]);
      recordFigure(`${mode} shutdown seconds`, seconds.toFixed(2));
      if (failure) throw failure;
      assert.equal(code, 0, `exit code after SIGTERM:\n${await bot.logs()}`);
      assert.ok(seconds < GRACE_SECONDS[mode], `stopped after ${seconds} s of ${GRACE_SECONDS[mode]} s`);
    });
  }

  it('`demo` writes the memory chart as a PNG', async () => {
    await podman(
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--read-only',
        '--tmpfs',
        '/tmp',
        '-v',
        `${outDir}:/out:rw,Z`,
        IMAGE,
        'demo',
        '--out',
        '/out',
      ],
      300_000,
    );
    const png = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.png'));
    assert.ok(png, `no PNG in ${readdirSync(outDir).join(', ')}`);
    const bytes = readFileSync(join(outDir, png));
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'PNG signature');
    assert.ok(bytes.length > 5000, `chart of ${bytes.length} bytes`);
  });

  it('`start` answers a signed /oom and the diagnosis reaches Slack', async () => {
    const scenario = join(outDir, 'auth-service-scenario');
    assert.ok(existsSync(scenario), 'the demo wrote its scenario');
    const port = (await freePorts(1))[0] as number;
    const bot = await startContainer(
      'start',
      { ...botEnv(port), QUEUE_PREFIX: `oom-image-start-${process.pid}` },
      ['--scenario', '/scenario'],
      ['-v', `${scenario}:/scenario:ro,Z`],
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, bot);
      slack.reset();
      const res = await postSigned(
        `http://127.0.0.1:${port}/slack/events`,
        SECRET,
        slashCommandBody({ text: 'auth-service -n prod', response_url: slack.responseUrl('image') }),
      );
      assert.equal(res.status, 200);
      assert.match(res.body, /Diagnosing `auth-service`/);
      await slack.waitFor((c) => c.method === 'chat.postMessage' && !c.args.thread_ts, 60_000);
      await slack.waitFor((c) => c.method === 'files.completeUploadExternal', 90_000);
      assert.ok(slack.files()[0], 'the chart was uploaded from inside the container');
    } finally {
      const { code } = await bot.stop(GRACE_SECONDS.worker);
      assert.equal(code, 0, `exit code after SIGTERM:\n${await bot.logs()}`);
    }
  });
});
