/**
 * Property: the Alertmanager webhook, fed generated input. The parser turns any JSON value into a
 * payload or a one-line reason; a parsed payload always classifies (the intake's pure first step)
 * without throwing; and the HTTP handler answers any body, content type and credentials with 202,
 * 400, 401 or 413, never a 5xx, a crash or a hang.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { DEFAULT_ALERT_MATCHERS, parseMatcherRules } from '../../../src/alert-labels/matchers.ts';
import { classifyAlerts, type IntakeSummary } from '../../../src/alerts/intake.ts';
import { parseAlertmanagerPayload } from '../../../src/alerts/payload.ts';
import { createAlertmanagerHandler } from '../../../src/alerts/webhook.ts';
import { propertyRuns, propertySeed, report } from '../../reliability/intensity.ts';

const TOKEN = 'property-token-0123456789';
const RULES = parseMatcherRules(DEFAULT_ALERT_MATCHERS);
const ISO = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('<!channel>', '', ' ', '\u0000', '../..'),
);
const alertname = fc.oneof(
  fc.constantFrom(
    'KubeContainerOOMKilled',
    'KubeNodeMemoryPressure',
    'KubePodCrashLooping',
    'KubeContainerMemoryNearLimit',
  ),
  text,
);
/** A well-formed v4 alert whose label values (and names, within the rules) are hostile. */
const validAlert = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels: fc
    .tuple(
      alertname,
      fc.dictionary(
        fc.oneof(
          fc.constantFrom(
            'namespace',
            'pod',
            'container',
            'workload',
            'deployment',
            'node',
            'cluster',
            'reason',
          ),
          fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/),
        ),
        fc.oneof(text, fc.constantFrom('prod', 'auth-service-7d9f8b6c5d-x2x9z', 'OOMKilled')),
        { maxKeys: 8 },
      ),
    )
    .map(([name, rest]) => ({ ...rest, alertname: name })),
  annotations: fc.dictionary(text, text, { maxKeys: 3 }),
  startsAt: ISO,
  endsAt: fc.oneof(ISO, fc.constant('0001-01-01T00:00:00Z')),
  generatorURL: text,
  fingerprint: fc.stringMatching(/^[0-9a-f]{1,16}$/),
});
const validPayload = fc.record({
  version: fc.constant('4'),
  groupKey: text,
  truncatedAlerts: fc.nat(),
  status: fc.constantFrom('firing', 'resolved'),
  receiver: text,
  groupLabels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), text, { maxKeys: 3 }),
  commonLabels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), text, { maxKeys: 3 }),
  commonAnnotations: fc.dictionary(text, text, { maxKeys: 3 }),
  externalURL: text,
  alerts: fc.array(validAlert, { maxLength: 12 }),
});
/** A valid payload with one field (top level or in an alert) replaced by anything, or removed. */
const mutatedPayload = fc
  .tuple(validPayload, fc.nat(), fc.string({ maxLength: 12 }), fc.option(fc.jsonValue(), { nil: undefined }))
  .map(([p, at, key, value]) => {
    const copy = JSON.parse(JSON.stringify(p)) as Record<string, unknown> & {
      alerts: Array<Record<string, unknown>>;
    };
    const target =
      copy.alerts.length > 0 && at % 2 === 1
        ? (copy.alerts[at % copy.alerts.length] as Record<string, unknown>)
        : copy;
    const keys = Object.keys(target);
    const name = at % 3 === 0 ? key : (keys[at % keys.length] ?? key);
    if (value === undefined) delete target[name];
    else target[name] = value;
    return copy;
  });
const payload = fc.oneof({ weight: 3, arbitrary: validPayload }, { weight: 3, arbitrary: mutatedPayload });
const anyJson = fc.oneof(payload, fc.jsonValue(), fc.anything());

describe('property: the Alertmanager webhook parser and handler', function () {
  this.timeout(300_000);
  const runs = propertyRuns();
  const seed = propertySeed();

  it('parses any JSON value into a payload or a one-line reason, and classifies every payload it accepts', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(anyJson, (value) => {
        const result = parseAlertmanagerPayload(value);
        if (!result.ok) {
          refused++;
          assert.equal(typeof result.reason, 'string');
          assert.ok(result.reason.length > 0 && !result.reason.includes('\n'), result.reason);
          return;
        }
        accepted++;
        for (const a of result.payload.alerts) assert.ok(Number.isFinite(a.startsAt));
        const c = classifyAlerts(result.payload.alerts, {
          rules: RULES,
          routes: [],
          defaultChannel: 'C0PROPS',
          reopenWindowMs: 1,
        });
        assert.equal(
          c.ignored + c.unroutable.length + c.incidents.reduce((n, i) => n + i.alerts.length, 0),
          result.payload.alerts.length,
          'every alert is ignored, unroutable or in an incident',
        );
      }),
      { numRuns: runs * 5, seed },
    );
    report('property-webhook-parser', { inputs: runs * 5, accepted, refused, crashes: 0 });
    assert.ok(
      accepted > 0 && refused > 0,
      `both outcomes generated (accepted ${accepted}, refused ${refused})`,
    );
  });

  describe('over HTTP', () => {
    let server: Server;
    let url: string;
    const statuses = new Map<number, number>();

    before(async () => {
      const summary: IntakeSummary = {
        received: 0,
        ignored: 0,
        unroutable: [],
        incidents: 0,
        counted: 0,
        resolved: 0,
        opened: 0,
        reopened: 0,
        diagnoses: 0,
        updates: 0,
      };
      const handler = createAlertmanagerHandler({
        path: '/alertmanager',
        token: TOKEN,
        basicAuth: 'alertmanager:property-password',
        maxBytes: 16_384,
        logger: pino({ level: 'silent' }),
        accept: async (p) => {
          classifyAlerts(p.alerts, {
            rules: RULES,
            routes: [],
            defaultChannel: 'C0PROPS',
            reopenWindowMs: 1,
          });
          return { ...summary, received: p.alerts.length };
        },
      });
      server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`;
    });
    after(async () => {
      report('property-webhook-http', Object.fromEntries(statuses));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('answers any body, content type and credentials with 202, 400, 401 or 413', async () => {
      const body = fc.oneof(
        { weight: 4, arbitrary: payload.map((p) => JSON.stringify(p)) },
        { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
        {
          weight: 1,
          arbitrary: fc.nat({ max: 40_000 }).map((n) => `{"version":"4","pad":"${'x'.repeat(n)}"}`),
        },
      );
      const auth = fc.oneof(
        { weight: 6, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
        {
          weight: 1,
          arbitrary: fc.constant(`Basic ${Buffer.from('alertmanager:property-password').toString('base64')}`),
        },
        {
          weight: 1,
          arbitrary: fc.oneof(
            fc.constant(undefined),
            fc.string({ maxLength: 60 }),
            fc.constant(`Bearer ${TOKEN}x`),
          ),
        },
      );
      const contentType = fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        undefined,
      );
      await fc.assert(
        fc.asyncProperty(body, auth, contentType, async (b, a, t) => {
          const headers: Record<string, string> = {};
          if (a !== undefined) headers.authorization = a;
          if (t !== undefined) headers['content-type'] = t;
          const res = await fetch(url, {
            method: 'POST',
            headers,
            body: b,
            signal: AbortSignal.timeout(10_000),
          });
          await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          assert.ok([202, 400, 401, 413].includes(res.status), `HTTP ${res.status}`);
        }),
        { numRuns: runs, seed },
      );
      assert.ok((statuses.get(202) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, JSON.stringify([...statuses]));
    });
  });
});
