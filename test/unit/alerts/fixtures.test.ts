/**
 * The fixture corpus (test/fixtures/alerts): payloads written from the shapes Alertmanager and
 * Grafana document, replayed through the real webhook handler and the intake's classification,
 * with what each must produce (test/fixtures/alerts/expected.json).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseMatcherRules } from '../../../src/alert-labels/matchers.ts';
import { classifyAlerts, type IntakeSummary } from '../../../src/alerts/intake.ts';
import type { AlertmanagerPayload } from '../../../src/alerts/payload.ts';
import { createAlertmanagerHandler } from '../../../src/alerts/webhook.ts';

const DIR = join(import.meta.dirname, '../../fixtures/alerts');
const TOKEN = 'fixture-token-0123456789';
type Expected = {
  status: number;
  sender: string;
  alerts: number;
  skipped: number;
  truncated: number;
  keys: string[];
  /** The status of each kept alert, incident by incident, as the intake records it. */
  statuses: string[];
};
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;

describe('fixture corpus: real payload shapes through the webhook', () => {
  let server: Server;
  let url: string;
  const received: AlertmanagerPayload[] = [];
  const rules = parseMatcherRules('alertname="KubeContainerOOMKilled"');

  before(async () => {
    server = createServer(
      createAlertmanagerHandler({
        path: '/alertmanager',
        token: TOKEN,
        maxBytes: 1 << 20,
        logger: pino({ level: 'silent' }),
        accept: async (p) => {
          received.push(p);
          return { received: p.alerts.length, unroutable: [] } as unknown as IntakeSummary;
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('has an expectation for every payload in the folder', () => {
    const payloads = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'expected.json');
    assert.deepEqual(payloads.sort(), Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: ${want.status}, ${want.alerts} alert(s) kept, ${want.skipped} skipped, incidents ${want.keys.join(', ')}`, async () => {
      received.length = 0;
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: readFileSync(join(DIR, file)),
      });
      assert.equal(res.status, want.status, await res.clone().text());
      const payload = received[0] as AlertmanagerPayload;
      assert.equal(payload.sender, want.sender);
      assert.equal(payload.alerts.length, want.alerts);
      assert.equal(payload.skipped.length, want.skipped);
      assert.equal(payload.truncatedAlerts, want.truncated);
      const c = classifyAlerts(payload.alerts, {
        rules,
        routes: [],
        defaultChannel: 'C1',
        reopenWindowMs: 1,
      });
      assert.deepEqual(
        c.incidents.map((i) => i.key),
        want.keys,
      );
      assert.deepEqual(
        c.incidents.flatMap((i) => i.alerts.map((a) => a.status)),
        want.statuses,
      );
    });
  }
});
