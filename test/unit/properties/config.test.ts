/**
 * Property: the configuration loader, fed generated environments (every variable it knows, with
 * valid, borderline and hostile values, and unknown ones). It returns a frozen configuration or
 * throws one OomBotError `config_invalid` whose one-line message names a variable, and never
 * echoes the value of a secret variable.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig, type Mode } from '../../../src/config.ts';
import { OomBotError } from '../../../src/errors.ts';
import { propertyRuns, propertySeed, report } from '../../reliability/intensity.ts';

const SECRET_VARS = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'REDIS_SENTINEL_PASSWORD',
  'ALERTMANAGER_TOKEN',
  'ALERTMANAGER_BASIC_AUTH',
  'APPROVAL_SIGNING_KEY',
];

/** Values that are valid for some variable, plus hostile ones. */
const VALUES: Record<string, fc.Arbitrary<string>> = {
  SLACK_BOT_TOKEN: fc.oneof(fc.constant('xoxb-Zq8sEcReTbOt'), fc.constant('xoxp-Zq8sEcReTbOt')),
  SLACK_SIGNING_SECRET: fc.constant('Zq8sEcReTsIgNiNg'),
  APPROVAL_SIGNING_KEY: fc.constant('Zq8sEcReTaPpRoVaLkEy0123456789abcdef'),
  SLACK_APP_TOKEN: fc.oneof(fc.constant('xapp-Zq8sEcReTaPp'), fc.constant('Zq8sEcReTaPp')),
  SLACK_API_URL: fc.oneof(fc.webUrl(), fc.constantFrom('', 'ftp://x', 'not a url')),
  PORT: fc.oneof(
    fc.integer({ min: -5, max: 70_000 }).map(String),
    fc.constantFrom('', '3e3', '0x10', ' 80 '),
  ),
  METRICS_PORT: fc.integer({ min: -1, max: 70_000 }).map(String),
  REDIS_URL: fc.oneof(
    fc.constantFrom(
      'redis://127.0.0.1:6379',
      'rediss://:Zq8sEcReTrEdIs@r:6380/2',
      'http://x',
      'redis://',
      '%',
    ),
    fc.webUrl().map((u) => u.replace(/^https?/, 'redis')),
  ),
  REDIS_SENTINELS: fc.constantFrom('a:26379,b:26379', '[::1]:26379', 'a', 'a:0', 'a:99999', ''),
  REDIS_SENTINEL_PASSWORD: fc.constant('Zq8sEcReTsEnTiNeL'),
  REDIS_CLUSTER_NODES: fc.constantFrom('a:7000,b:7001', 'x', ''),
  QUEUE_PREFIX: fc.constantFrom('oom-bot', '{oom-bot}', 'bad prefix!', ''),
  PROMETHEUS_URL: fc.oneof(fc.webUrl(), fc.constantFrom('prometheus:9090', '')),
  PROMETHEUS_URLS: fc.constantFrom('east=http://p:9090', 'east', '=http://x', 'a=ftp://x', ''),
  WINDOW_HOURS: fc.oneof(fc.double().map(String), fc.constantFrom('24', '0', '337', 'NaN', 'Infinity')),
  SOURCE_TIMEOUT_MS: fc.integer().map(String),
  MAX_MEMORY_LIMIT: fc.constantFrom('16Gi', '0', '-1Gi', '1.5Ti', 'lots', ''),
  WORKER_CONCURRENCY: fc.integer({ min: -2, max: 100 }).map(String),
  JOB_LOCK_MS: fc.integer({ min: 0, max: 700_000 }).map(String),
  BUTTON_TTL_MINUTES: fc.double().map(String),
  DRY_RUN_ONLY: fc.constantFrom('true', 'FALSE', 'yes', '1', 'maybe', ''),
  ROLLOUT_TIMEOUT_SECONDS: fc.double().map(String),
  VERIFY_MINUTES: fc.double().map(String),
  LOG_LEVEL: fc.constantFrom('info', 'debug', 'silent', 'loud', ''),
  SLACK_MIN_INTERVAL_MS: fc.integer({ min: -10, max: 70_000 }).map(String),
  ALERTMANAGER_TOKEN: fc.constant('Zq8sEcReTaMtOkEn'),
  ALERTMANAGER_BASIC_AUTH: fc.constantFrom('am:Zq8sEcReTaMpAsS', 'Zq8sEcReTaMpAsS', ':Zq8sEcReTaMpAsS'),
  ALERTMANAGER_PATH: fc.constantFrom('/alertmanager', 'alertmanager', '/a b', '/'),
  ALERT_MATCHERS: fc.oneof(
    fc.constantFrom('alertname="X"', 'alertname=~"(("', 'foo', ''),
    fc.string({ maxLength: 40 }),
  ),
  CHANNEL_ROUTES: fc.oneof(
    fc.constantFrom('namespace=payments:C123', 'x', ':C1', ''),
    fc.string({ maxLength: 40 }),
  ),
  REOPEN_WINDOW_MINUTES: fc.double().map(String),
  WEBHOOK_MAX_BYTES: fc.integer({ min: 0, max: 100_000_000 }).map(String),
  OOM_CHANNEL: fc.constantFrom('C0OOM', ''),
  KUBECONFIG: fc.string({ maxLength: 20 }),
  KUBE_CONTEXT: fc.string({ maxLength: 20 }),
  APPROVAL_POLICY_FILE: fc.string({ maxLength: 20 }),
};

const env = fc
  .tuple(
    fc.subarray(Object.keys(VALUES)),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 30 }), { maxKeys: 3 }),
    fc.boolean(),
  )
  .chain(([names, unknown, hostile]) =>
    fc
      .tuple(
        ...names.map((n) =>
          hostile
            ? fc.oneof(VALUES[n] as fc.Arbitrary<string>, fc.string({ unit: 'binary', maxLength: 50 }))
            : (VALUES[n] as fc.Arbitrary<string>),
        ),
      )
      .map((values) => ({ ...unknown, ...Object.fromEntries(names.map((n, i) => [n, values[i]])) })),
  );

describe('property: the configuration loader', function () {
  this.timeout(300_000);

  it('returns a frozen configuration or one clear config_invalid error that names a variable and no secret', () => {
    const outcomes = { loaded: 0, refused: 0 };
    const mode = fc.constantFrom<Mode>('serve', 'worker', 'start', 'diagnose');
    fc.assert(
      fc.property(env, mode, fc.boolean(), (vars, m, scenario) => {
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig(vars as NodeJS.ProcessEnv, { mode: m, scenario });
        } catch (error) {
          assert.ok(error instanceof OomBotError, `not an OomBotError: ${String(error)}`);
          assert.equal(error.code, 'config_invalid');
          assert.ok(!error.userMessage.includes('\n'), error.userMessage);
          assert.match(error.userMessage, /^[A-Z_]+[ :]|^no Prometheus|exclude each other/);
          for (const name of SECRET_VARS) {
            const value = (vars as Record<string, string>)[name]?.trim();
            if (value && value.length >= 6)
              assert.ok(!error.userMessage.includes(value), `${name}'s value in "${error.userMessage}"`);
          }
          outcomes.refused++;
          return;
        }
        assert.ok(Object.isFrozen(config));
        assert.ok(config.port >= 0 && config.port <= 65535);
        assert.ok(config.workerConcurrency >= 1);
        outcomes.loaded++;
      }),
      { numRuns: propertyRuns() * 5, seed: propertySeed() },
    );
    report('property-config', { inputs: propertyRuns() * 5, ...outcomes, otherErrors: 0 });
    assert.ok(outcomes.loaded > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });
});
