import assert from 'node:assert/strict';
import { matchesAnyRule } from '../../src/alert-labels/matchers.ts';
import { routeChannel } from '../../src/alert-labels/routing.ts';
import { loadConfig } from '../../src/config.ts';
import { OomBotError } from '../../src/errors.ts';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
  SLACK_SIGNING_SECRET: 'signing-secret-1',
  PROMETHEUS_URL: 'http://127.0.0.1:9090',
};

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env, { mode: 'start' });
  } catch (error) {
    assert.ok(error instanceof OomBotError);
    assert.equal(error.code, 'config_invalid');
    return error.userMessage;
  }
  assert.fail('expected the configuration to be refused');
}

describe('loadConfig: the Alertmanager webhook and alert routing', () => {
  it('leaves the webhook off without credentials, with the documented defaults', () => {
    const c = loadConfig(base, { mode: 'start' });
    assert.equal(c.alerts.enabled, false);
    assert.equal(c.alerts.path, '/alertmanager');
    assert.equal(c.alerts.reopenWindowMs, 2 * 3600_000);
    assert.equal(c.alerts.maxBytes, 4 * 1024 * 1024);
    assert.equal(c.slackMinIntervalMs, 1000);
    assert.equal(matchesAnyRule({ alertname: 'KubeContainerOOMKilled' }, c.alerts.rules), true);
    assert.deepEqual(c.alerts.routes, []);
  });

  it('turns the webhook on with a token, parses matchers and routes, and redacts the secrets', () => {
    const c = loadConfig(
      {
        ...base,
        OOM_CHANNEL: 'C0DEFAULT',
        ALERTMANAGER_TOKEN: 'am-token-123456',
        ALERTMANAGER_BASIC_AUTH: 'alertmanager:p4ssword-long',
        ALERTMANAGER_PATH: '/hooks/am',
        ALERT_MATCHERS: 'alertname="MyOOM"',
        CHANNEL_ROUTES: 'namespace=payments:C123',
        REOPEN_WINDOW_MINUTES: '30',
        WEBHOOK_MAX_BYTES: '65536',
        SLACK_MIN_INTERVAL_MS: '10',
      },
      { mode: 'start' },
    );
    assert.equal(c.alerts.enabled, true);
    assert.equal(c.alerts.path, '/hooks/am');
    assert.equal(matchesAnyRule({ alertname: 'MyOOM' }, c.alerts.rules), true);
    assert.equal(matchesAnyRule({ alertname: 'KubeContainerOOMKilled' }, c.alerts.rules), false);
    assert.equal(routeChannel({ namespace: 'payments' }, c.alerts.routes, c.oomChannel), 'C123');
    assert.equal(c.alerts.reopenWindowMs, 30 * 60_000);
    assert.equal(c.alerts.maxBytes, 65536);
    assert.equal(c.slackMinIntervalMs, 10);
    assert.ok(c.secrets.includes('am-token-123456'));
    assert.ok(c.secrets.includes('p4ssword-long'));
  });

  const rows: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    // the webhook needs somewhere to post what no route matches
    [
      'a webhook without OOM_CHANNEL',
      { ...base, ALERTMANAGER_TOKEN: 'tok-123456' },
      /^OOM_CHANNEL is required when ALERTMANAGER_TOKEN/,
    ],
    // basic auth is user:password
    [
      'basic auth without a password',
      { ...base, ALERTMANAGER_BASIC_AUTH: 'alertmanager' },
      /^ALERTMANAGER_BASIC_AUTH: must be user:password/,
    ],
    // a path is a path
    [
      'a path without a slash',
      { ...base, ALERTMANAGER_PATH: 'alertmanager' },
      /^ALERTMANAGER_PATH: must be a URL path/,
    ],
    // a matcher syntax error names the variable and the place
    [
      'a bad matcher',
      { ...base, ALERT_MATCHERS: 'alertname~"x"' },
      /^ALERT_MATCHERS: expected =, !=, =~ or !~ after alertname at character 10/,
    ],
    // a route without its channel
    [
      'a route without a channel',
      { ...base, CHANNEL_ROUTES: 'namespace=payments' },
      /^CHANNEL_ROUTES: expected :<channel id>/,
    ],
    // the window is minutes, positive
    ['a zero reopen window', { ...base, REOPEN_WINDOW_MINUTES: '0' }, /^REOPEN_WINDOW_MINUTES:/],
    // the body limit has a floor
    ['a tiny body limit', { ...base, WEBHOOK_MAX_BYTES: '10' }, /^WEBHOOK_MAX_BYTES:/],
    // pacing is milliseconds
    ['a negative Slack interval', { ...base, SLACK_MIN_INTERVAL_MS: '-1' }, /^SLACK_MIN_INTERVAL_MS:/],
  ];
  for (const [name, env, message] of rows) {
    it(`refuses ${name}`, () => {
      assert.match(failure(env), message);
    });
  }
});
