// Which cluster and which Prometheus a diagnosis reads: the kubeconfig context that `/oom
// --cluster` or an alert's `cluster` label names, its Prometheus from PROMETHEUS_URLS, and the
// rule for alert labels that name no context. No server is contacted: sources connect lazily.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { OomBotError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createSourceFactory } from '../../src/main.ts';

function kubeconfig(dir: string, contexts: string[]): string {
  const file = join(dir, `kubeconfig-${contexts.length}`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: contexts.map((name, i) => ({ name, cluster: { server: `https://10.0.0.${i + 1}:6443` } })),
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: contexts.map((name) => ({ name, context: { cluster: name, user: 'u' } })),
      'current-context': contexts[0],
    }),
  );
  return file;
}

describe('evidence sources per cluster (createSourceFactory)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'oom-sources-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const logged: string[] = [];
  const logger = createLogger({
    level: 'info',
    secrets: [],
    destination: new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  });

  const factory = (contexts: string[], env: Record<string, string> = {}) =>
    createSourceFactory(
      loadConfig(
        {
          SLACK_BOT_TOKEN: 'xoxb-test-token',
          APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
          KUBECONFIG: kubeconfig(dir, contexts),
          PROMETHEUS_URL: 'http://prom-default:9090',
          ...env,
        },
        { mode: 'worker' },
      ),
      undefined,
      logger,
    );

  it('reads the named context with its own Prometheus, the current one by default', () => {
    const sourcesFor = factory(['east', 'west'], { PROMETHEUS_URLS: 'west=http://prom-west:9090' });
    assert.equal(sourcesFor().cluster.name, 'cluster east');
    assert.equal(sourcesFor().metrics.name, 'Prometheus prom-default:9090');
    assert.equal(sourcesFor('west').cluster.name, 'cluster west');
    assert.equal(sourcesFor('west').metrics.name, 'Prometheus prom-west:9090');
    assert.equal(sourcesFor('west'), sourcesFor('west'), 'one client per context');
  });

  it('refuses an unknown cluster without naming the known ones, which go to the log', () => {
    const sourcesFor = factory(['east', 'west']);
    logged.length = 0;
    assert.throws(
      () => sourcesFor('north'),
      (e: unknown) =>
        e instanceof OomBotError &&
        /^unknown cluster north: oom-bot has no cluster of that name/.test(e.userMessage) &&
        !/east|west/.test(e.userMessage),
    );
    const line = JSON.parse(logged.join('').split('\n')[0] as string);
    assert.equal(line.cluster, 'north');
    assert.deepEqual(line.known, ['east', 'west']);
    // an alert label naming no context of a several-cluster bot: refused too, never guessed
    assert.throws(() => sourcesFor('north', { lenient: true }), /unknown cluster north/);
  });

  it('takes an alert’s unknown cluster label for the only cluster of a one-cluster bot', () => {
    const sourcesFor = factory(['only']);
    const sources = sourcesFor('prod-eu-1', { lenient: true });
    assert.equal(sources.cluster.name, 'cluster only');
    assert.equal(sources.defaulted, true);
    assert.throws(
      () => sourcesFor('prod-eu-1'),
      /unknown cluster prod-eu-1: oom-bot has no cluster of that name/,
      '/oom --cluster stays strict',
    );
  });
});
