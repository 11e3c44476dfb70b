import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { OomBotError } from '../../src/errors.ts';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
  SLACK_SIGNING_SECRET: 'signing-secret-1',
  PROMETHEUS_URL: 'http://127.0.0.1:9090',
};

function failure(env: NodeJS.ProcessEnv, mode: Parameters<typeof loadConfig>[1]['mode'] = 'start'): string {
  try {
    loadConfig(env, { mode });
  } catch (error) {
    assert.ok(error instanceof OomBotError);
    assert.equal(error.code, 'config_invalid');
    return error.userMessage;
  }
  assert.fail('expected the configuration to be refused');
}

describe('loadConfig: the only reader of the environment', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base, { mode: 'start' });
    assert.equal(c.port, 3000);
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(c.windowSeconds, 24 * 3600);
    assert.equal(c.maxLimitBytes, 16 * 2 ** 30);
    assert.equal(c.slack.socketMode, false);
    assert.ok(Object.isFrozen(c));
  });

  it('switches to Socket Mode when an app token is set', () => {
    const c = loadConfig(
      { ...base, SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-abc' },
      { mode: 'serve' },
    );
    assert.equal(c.slack.socketMode, true);
  });

  const rows: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['a bad port', { ...base, PORT: 'eighty' }, /^PORT:/],
    ['a port out of range', { ...base, PORT: '70000' }, /^PORT:/],
    ['a non-redis URL', { ...base, REDIS_URL: 'http://x' }, /^REDIS_URL: must be a redis: or rediss: URL/],
    [
      'a user token instead of a bot token',
      { ...base, SLACK_BOT_TOKEN: 'xoxp-1' },
      /^SLACK_BOT_TOKEN: must start with xoxb-/,
    ],
    ['a missing bot token', { ...base, SLACK_BOT_TOKEN: '' }, /SLACK_BOT_TOKEN is required/],
    [
      'a missing signing secret in HTTP mode',
      { ...base, SLACK_SIGNING_SECRET: undefined },
      /SLACK_SIGNING_SECRET is required/,
    ],
    ['a missing Prometheus', { ...base, PROMETHEUS_URL: undefined }, /PROMETHEUS_URL is required/],
    ['a bad maximum limit', { ...base, MAX_MEMORY_LIMIT: 'lots' }, /^MAX_MEMORY_LIMIT:/],
    ['a bad log level', { ...base, LOG_LEVEL: 'loud' }, /^LOG_LEVEL:/],
  ];
  for (const [name, env, message] of rows) {
    it(`refuses ${name}, naming the variable`, () => assert.match(failure(env), message));
  }

  it('never puts a secret in its messages', () => {
    const message = failure({ ...base, SLACK_BOT_TOKEN: 'xoxp-very-secret-value' });
    assert.ok(!message.includes('very-secret'));
  });

  it('lists every secret for log redaction, including a Redis password', () => {
    const c = loadConfig({ ...base, REDIS_URL: 'redis://:s3cr%40t@127.0.0.1:6379' }, { mode: 'start' });
    assert.deepEqual(
      [...c.secrets].sort(),
      [
        's3cr@t',
        's3cr%40t',
        'signing-secret-1',
        'test-only-approval-signing-key-0123456789',
        'xoxb-test-token',
      ].sort(),
    );
  });

  it('gives a worker none of the web secrets: not read, not validated, not kept', () => {
    const env = {
      ...base,
      ALERTMANAGER_TOKEN: 'am-token-123456',
      ALERTMANAGER_BASIC_AUTH: 'no-colon-so-invalid',
      SLACK_APP_TOKEN: 'not-an-xapp-token',
    };
    const c = loadConfig(env, { mode: 'worker' });
    assert.equal(c.slack.signingSecret, undefined);
    assert.equal(c.slack.appToken, undefined);
    assert.equal(c.alerts.token, undefined);
    assert.equal(c.alerts.enabled, false);
    // the worker keeps the approval signing key: it verifies every plan it executes
    assert.deepEqual([...c.secrets].sort(), ['test-only-approval-signing-key-0123456789', 'xoxb-test-token']);
    // the web process still needs and validates them
    assert.match(failure(env, 'serve'), /ALERTMANAGER_BASIC_AUTH|SLACK_APP_TOKEN/);
    const { SLACK_SIGNING_SECRET: _unused, ...unsigned } = base;
    assert.match(failure(unsigned, 'serve'), /SLACK_SIGNING_SECRET is required/);
    assert.match(failure(unsigned, 'start'), /SLACK_SIGNING_SECRET is required/);
    assert.equal(loadConfig(unsigned, { mode: 'worker' }).slack.botToken, 'xoxb-test-token');
  });

  it('reads the /oom allow-lists, empty meaning no restriction', () => {
    assert.deepEqual(loadConfig(base, { mode: 'serve' }).allow, {
      channels: [],
      userGroups: [],
      namespaces: [],
    });
    const c = loadConfig(
      {
        ...base,
        OOM_ALLOWED_CHANNELS: 'C0123ABCD, G99',
        OOM_ALLOWED_USERGROUPS: 'S0SRE',
        OOM_ALLOWED_NAMESPACES: 'prod,shop',
      },
      { mode: 'serve' },
    );
    assert.deepEqual(c.allow, {
      channels: ['C0123ABCD', 'G99'],
      userGroups: ['S0SRE'],
      namespaces: ['prod', 'shop'],
    });
    assert.match(failure({ ...base, OOM_ALLOWED_CHANNELS: '#general' }), /OOM_ALLOWED_CHANNELS: "#general"/);
    assert.match(failure({ ...base, OOM_ALLOWED_USERGROUPS: 'sre-team' }), /OOM_ALLOWED_USERGROUPS/);
    assert.match(failure({ ...base, OOM_ALLOWED_NAMESPACES: 'Prod' }), /OOM_ALLOWED_NAMESPACES/);
  });

  it('needs neither Slack nor Prometheus to diagnose a scenario', () => {
    const c = loadConfig({}, { mode: 'diagnose', scenario: true });
    assert.equal(c.prometheusUrl, undefined);
  });
});
