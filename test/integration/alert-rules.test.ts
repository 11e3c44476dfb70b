/**
 * The shipped alerting manifests: the rules file passes `promtool check rules` and its unit
 * tests (`promtool test rules`), the PrometheusRule carries exactly the same rules, the
 * alertmanager.yml snippet passes `amtool check-config` and routes every shipped alert to the
 * bot, the AlertmanagerConfig says the same, and the bot's default matchers select each alert.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  DEFAULT_ALERT_MATCHERS,
  matchesAnyRule,
  parseMatcherRules,
} from '../../src/alert-labels/matchers.ts';

const run = promisify(execFile);
const DIR = resolve(import.meta.dirname, '../../manifests/alerts');
const PROMTOOL = process.env.PROMTOOL_BIN || 'promtool';
const AMTOOL = process.env.AMTOOL_BIN || 'amtool';

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
}

async function tool(cmd: string, args: string[], cwd = DIR): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd });
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('alerting manifests (promtool, amtool)', function () {
  this.timeout(60_000);
  let rulesDoc: { groups: Array<{ name: string; rules: Rule[] }> };
  let rules: Rule[];
  let tmp: string;

  before(async () => {
    rulesDoc = parse(await readFile(join(DIR, 'oom-rules.yaml'), 'utf8'));
    rules = rulesDoc.groups.flatMap((g) => g.rules);
    tmp = await mkdtemp(join(tmpdir(), 'oom-bot-rules-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('passes promtool check rules', async () => {
    assert.match(await tool(PROMTOOL, ['check', 'rules', 'oom-rules.yaml']), /SUCCESS: 4 rules found/);
  });

  it('passes its promtool unit tests', async () => {
    assert.match(
      await tool(PROMTOOL, ['test', 'rules', 'oom-rules.test.yaml'], join(DIR, 'tests')),
      /SUCCESS/,
    );
  });

  it('ships the same rules as a PrometheusRule', async () => {
    const pr = parse(await readFile(join(DIR, 'prometheusrule.yaml'), 'utf8'));
    assert.equal(pr.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(pr.kind, 'PrometheusRule');
    assert.deepEqual(pr.spec, rulesDoc);
    const extracted = join(tmp, 'from-prometheusrule.yaml');
    await writeFile(extracted, stringify(pr.spec));
    assert.match(await tool(PROMTOOL, ['check', 'rules', extracted]), /SUCCESS: 4 rules found/);
  });

  it('is selected by the bot’s default matchers, alert by alert', () => {
    const defaults = parseMatcherRules(DEFAULT_ALERT_MATCHERS);
    for (const rule of rules) {
      assert.ok(matchesAnyRule({ alertname: rule.alert, ...rule.labels }, defaults), rule.alert);
    }
  });

  it('has an alertmanager.yml snippet that amtool accepts and that routes every shipped alert to the bot', async () => {
    assert.match(await tool(AMTOOL, ['check-config', 'alertmanager-receiver.yaml']), /SUCCESS/);
    for (const rule of rules) {
      const labels = Object.entries({ alertname: rule.alert, namespace: 'prod', ...rule.labels }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const out = await tool(AMTOOL, [
        'config',
        'routes',
        'test',
        '--config.file=alertmanager-receiver.yaml',
        ...labels,
      ]);
      assert.match(out, /^oom-bot$/m, `${rule.alert} is routed to oom-bot`);
    }
    const other = await tool(AMTOOL, [
      'config',
      'routes',
      'test',
      '--config.file=alertmanager-receiver.yaml',
      'alertname=Watchdog',
    ]);
    assert.match(other, /^default$/m);
  });

  it('has an AlertmanagerConfig with the same route and receiver', async () => {
    const snippet = parse(await readFile(join(DIR, 'alertmanager-receiver.yaml'), 'utf8'));
    const docs = parseAllDocuments(await readFile(join(DIR, 'alertmanagerconfig.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    const amc = docs.find((d) => d.kind === 'AlertmanagerConfig');
    assert.ok(
      !docs.some((d) => d.kind === 'Secret'),
      'no token is shipped: an apply would overwrite the real one',
    );
    assert.equal(amc.apiVersion, 'monitoring.coreos.com/v1alpha1');
    const route = snippet.route.routes[0];
    const receiver = snippet.receivers.find((r: { name: string }) => r.name === 'oom-bot').webhook_configs[0];
    const [matcher] = amc.spec.route.matchers;
    assert.equal(`alertname =~ "${matcher.value}"`, route.matchers[0]);
    assert.equal(matcher.matchType, '=~');
    assert.deepEqual(amc.spec.route.groupBy, route.group_by);
    assert.equal(amc.spec.route.groupWait, route.group_wait);
    assert.equal(amc.spec.route.groupInterval, route.group_interval);
    const webhook = amc.spec.receivers[0].webhookConfigs[0];
    assert.equal(webhook.url, receiver.url);
    assert.equal(webhook.sendResolved, true);
    assert.equal(receiver.send_resolved, true);
    assert.equal(webhook.maxAlerts, receiver.max_alerts);
    assert.equal(webhook.httpConfig.authorization.type, 'Bearer');
    assert.deepEqual(webhook.httpConfig.authorization.credentials, {
      name: 'oom-bot-alertmanager',
      key: 'token',
    });
    assert.ok(new URL(receiver.url).pathname === '/alertmanager', 'the bot’s default ALERTMANAGER_PATH');
  });
});
