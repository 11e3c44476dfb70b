/**
 * What the shipped install files expose, as the trust boundary promises: compose publishes the
 * bot, Prometheus and Alertmanager on the loopback address only (Alertmanager's API lets anyone
 * who reaches it silence or inject alerts), every Alertmanager receiver that calls the bot
 * bounds a notification with max_alerts (0 or unset would send every alert of a group), and the
 * Redis the chart can bundle (no password: it is for trying the bot out) admits only the bot's
 * pods, as the real Helm renders it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);

const ROOT = resolve(import.meta.dirname, '../..');
// biome-ignore lint/suspicious/noExplicitAny: free-form YAML
type Any = any;
const readYaml = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8'), { merge: true });

interface ComposeService {
  ports?: Array<string | { host_ip?: string; published?: string | number; target: number }>;
}

/** The address a compose port entry publishes on; '' for every interface. */
function hostAddress(port: NonNullable<ComposeService['ports']>[number]): string {
  if (typeof port !== 'string') return port.host_ip ?? '';
  // a variable such as ${OOM_BOT_WEB_PORT:-3000} holds a colon of its own
  const parts = port.replace(/\$\{[^}]*\}/g, 'VAR').split(':');
  return parts.length === 3 ? (parts[0] as string) : '';
}

/** The container port of a compose port entry. */
function targetPort(port: NonNullable<ComposeService['ports']>[number]): number {
  if (typeof port !== 'string') return port.target;
  return Number(port.split(':').at(-1)?.split('/')[0]);
}

/** `helm template` of the chart with `--set` pairs (Helm built by test/kube/build-helm.sh). */
async function renderChart(set: Record<string, string>): Promise<Array<Any>> {
  const helm = (
    await run('bash', [join(ROOT, 'test/kube/build-helm.sh')], { timeout: 60 * 60_000 })
  ).stdout.trim();
  const sets = Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const { stdout } = await run(
    helm,
    ['template', 'oom-bot', join(ROOT, 'charts/oom-bot'), '-n', 'oom-bot', ...sets],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJS())
    .filter((o) => o !== null);
}

describe('trust boundary: what the shipped install files expose', function () {
  this.timeout(60 * 60_000); // the first run builds helm
  it('compose publishes the web port, Prometheus and Alertmanager on 127.0.0.1 only', () => {
    const services = readYaml('docker-compose.yml').services as Record<string, ComposeService>;
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, address: hostAddress(p), target: targetPort(p) })),
    );
    assert.deepEqual(
      published.map((p) => p.target).sort(),
      [3000, 9090, 9093],
      'the bot, Prometheus and Alertmanager are published',
    );
    for (const p of published) assert.equal(p.address, '127.0.0.1', `${p.name}:${p.target}`);
  });

  it("sets max_alerts in every shipped Alertmanager receiver that calls the bot's webhook", () => {
    const plain = [
      readYaml('compose/alertmanager.yml'),
      readYaml('manifests/alerts/alertmanager-receiver.yaml'),
    ].flatMap((c) => c.receivers.flatMap((r: { webhook_configs?: unknown[] }) => r.webhook_configs ?? []));
    const operator = readYaml('manifests/alerts/alertmanagerconfig.yaml').spec.receivers.flatMap(
      (r: { webhookConfigs?: unknown[] }) => r.webhookConfigs ?? [],
    );
    const webhooks = [
      ...plain.map((w: { url: string; max_alerts?: number }) => ({ url: w.url, max: w.max_alerts })),
      ...operator.map((w: { url: string; maxAlerts?: number }) => ({ url: w.url, max: w.maxAlerts })),
    ].filter((w) => /\/alertmanager$/.test(w.url));
    assert.equal(webhooks.length, 3, 'compose, the alertmanager.yml snippet and the AlertmanagerConfig');
    for (const w of webhooks) {
      assert.ok(typeof w.max === 'number' && w.max > 0 && w.max <= 1000, `${w.url}: max_alerts ${w.max}`);
    }
  });

  it("lets only the bot's pods reach the Redis the chart bundles, on its port only", async () => {
    const objs = await renderChart({ 'redis.bundled.enabled': 'true' });
    const redisPod = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'oom-bot-redis')?.spec
      .template.metadata.labels as Record<string, string>;
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    const selects = (p: Any) =>
      Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => redisPod[k] === v);
    const ingress = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && selects(p));
    assert.ok(
      ingress.some((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0 && !p.spec.ingress),
      'a default deny holds the Redis pod',
    );
    const rules = ingress.flatMap((p) => p.spec.ingress ?? []);
    assert.ok(rules.length > 0, 'one policy admits something to the Redis pod');
    for (const rule of rules) {
      assert.deepEqual(rule.ports, [{ port: 6379, protocol: 'TCP' }]);
      assert.deepEqual(rule.from, [
        { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'oom-bot' } } },
      ]);
    }
  });
});
