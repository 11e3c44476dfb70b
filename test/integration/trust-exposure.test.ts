/**
 * What the shipped install files expose, as the trust boundary promises: compose publishes the
 * bot, Prometheus and Alertmanager on the loopback address only (Alertmanager's API lets anyone
 * who reaches it silence or inject alerts), and every Alertmanager receiver that calls the bot
 * bounds a notification with max_alerts (0 or unset would send every alert of a group).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
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

describe('trust boundary: what the shipped install files expose', () => {
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
});
