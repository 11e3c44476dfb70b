/**
 * One bot, several clusters: a kubeconfig with two contexts, each a real kube-apiserver. The
 * incident lives in `prod-east` (its Prometheus is named in PROMETHEUS_URLS); `prod-west` is the
 * current context and has no such service. `/oom auth-service --cluster prod-east` diagnoses it
 * there; without `--cluster` the bot asks prod-west and says privately that nothing matches; an
 * unknown cluster gets a private answer naming the contexts it knows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { stringify } from 'yaml';
import { writeScenario } from '../scenarios/generator.ts';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { type BotProcess, startBot } from '../support/bot-process.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { HANG_MS } from '../support/hang.ts';
import { seedIncidentEndingNow } from '../support/live-seed.ts';
import { postSigned, slashCommandBody } from '../support/slack-requests.ts';

const SECRET = 'clusters-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function kubeconfig(clusters: Record<string, { server: string; token: string }>, current: string): string {
  const names = Object.keys(clusters);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((name) => ({
      name,
      cluster: { server: clusters[name]?.server, 'insecure-skip-tls-verify': true },
    })),
    users: names.map((name) => ({ name: `${name}-admin`, user: { token: clusters[name]?.token } })),
    contexts: names.map((name) => ({ name, context: { cluster: name, user: `${name}-admin` } })),
    'current-context': current,
  });
}

describe('one bot, two clusters through kubeconfig contexts (real apiservers, Prometheus, Redis)', function () {
  this.timeout(120_000);
  const prefix = `oom-clusters-${process.pid}-${Date.now()}`;
  let east: Stack | undefined;
  let west: KubeStack | undefined;
  let slack: FakeSlack;
  let bot: BotProcess;
  let dir: string | undefined;

  const oom = (text: string, id: string) =>
    postSigned(
      `${bot.url}/slack/events`,
      SECRET,
      slashCommandBody({
        text,
        channel_id: `C0CLUSTER${id.toUpperCase()}`,
        response_url: slack.responseUrl(id),
      }),
    );

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = mkdtempSync(join(tmpdir(), 'oom-clusters-'));
    await writeScenario(dir, seedIncidentEndingNow());
    [east, west] = await Promise.all([startStack({ scenarioDir: dir }), startKube()]);
    const file = join(dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfig(
        {
          'prod-east': { server: east.kube.server, token: east.kube.token },
          'prod-west': { server: west.server, token: west.token },
        },
        'prod-west',
      ),
      { mode: 0o600 },
    );
    slack = await startFakeSlack();
    bot = await startBot({
      args: ['start'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-clusters-token-abcdef',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        KUBECONFIG: file,
        // prod-east has its own Prometheus; the default one does not answer
        PROMETHEUS_URL: 'http://127.0.0.1:9',
        PROMETHEUS_URLS: `prod-east=${east.prometheus?.url}`,
        SOURCE_TIMEOUT_MS: '5000',
      },
    });
  });

  after(async function () {
    const code = await bot?.stop();
    await slack?.close();
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await east?.stop({ keepLogs: failed || undefined });
    await west?.stop({ keepLogs: failed || undefined });
    const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  });

  it('diagnoses in the context that --cluster names, with that cluster’s Prometheus', async () => {
    const res = await oom('auth-service -n prod --cluster prod-east', 'east');
    assert.equal(res.status, 200);
    assert.match(res.body, /Diagnosing `auth-service`/);
    const verdict = await slack.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.args.channel === 'C0CLUSTEREAST' &&
        /traffic surge/i.test(JSON.stringify(c.args)),
      HANG_MS,
    );
    assert.match(JSON.stringify(verdict.args), /on prod-east/, 'the verdict names the cluster');
    await slack.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.args.channel_id === 'C0CLUSTEREAST',
      HANG_MS,
    );
    const thread = slack.calls('chat.postMessage').filter((c) => c.args.channel === 'C0CLUSTEREAST');
    assert.match(JSON.stringify(thread.map((c) => c.args)), /kubectl -n prod patch deployment\/auth-service/);
    const enqueued = bot
      .logs()
      .split('\n')
      .filter((l) => l.includes('"/oom enqueued"'))
      .map((l) => JSON.parse(l) as { cluster?: string });
    assert.equal(enqueued[0]?.cluster, 'prod-east');
  });

  it('asks the current context without --cluster: prod-west has no auth-service', async () => {
    await oom('auth-service -n prod', 'west');
    const reply = await slack.waitFor((c) => c.method === 'response_url' && c.id === 'west', HANG_MS);
    assert.match(
      JSON.stringify(reply.args),
      /no service, workload or app label named auth-service in namespace prod/,
    );
    assert.equal(slack.calls('chat.postMessage').filter((c) => c.args.channel === 'C0CLUSTERWEST').length, 0);
  });

  it('answers an unknown cluster privately without listing the contexts, which go to the log', async () => {
    await oom('auth-service --cluster prod-north', 'north');
    const reply = await slack.waitFor((c) => c.method === 'response_url' && c.id === 'north', HANG_MS);
    assert.match(
      JSON.stringify(reply.args),
      /unknown cluster prod-north: oom-bot has no cluster of that name/,
    );
    assert.doesNotMatch(JSON.stringify(reply.args), /prod-east|prod-west/);
    const warned = bot
      .logs()
      .split('\n')
      .filter((l) => l.includes('"unknown cluster requested"'))
      .map((l) => JSON.parse(l) as { known?: string[] });
    assert.deepEqual(warned[0]?.known?.sort(), ['prod-east', 'prod-west']);
  });
});
