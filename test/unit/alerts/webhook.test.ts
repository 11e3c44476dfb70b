import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { IntakeSummary } from '../../../src/alerts/intake.ts';
import type { AlertmanagerPayload } from '../../../src/alerts/payload.ts';
import { createAlertmanagerHandler, isAuthorized } from '../../../src/alerts/webhook.ts';

const TOKEN = 'am-token-0123456789';
/** The handler's log lines, parsed: a test reads what an operator would see. */
const logLines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });

const summary: IntakeSummary = {
  received: 1,
  ignored: 0,
  unroutable: [],
  incidents: 1,
  counted: 1,
  resolved: 0,
  opened: 1,
  reopened: 0,
  diagnoses: 1,
  updates: 0,
};

const body = JSON.stringify({
  version: '4',
  groupKey: 'g',
  status: 'firing',
  receiver: 'oom-bot',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'KubeContainerOOMKilled', namespace: 'prod', pod: 'api-0' },
      startsAt: '2026-11-24T09:00:00Z',
      fingerprint: 'abcdef0123456789',
    },
  ],
});

describe('Alertmanager webhook route', () => {
  let server: Server;
  let url: string;
  let accept: (p: AlertmanagerPayload) => Promise<IntakeSummary>;
  const received: AlertmanagerPayload[] = [];

  before(async () => {
    const handler = createAlertmanagerHandler({
      path: '/alertmanager',
      token: TOKEN,
      basicAuth: 'alertmanager:s3cret-password',
      maxBytes: 2048,
      intakeTimeoutMs: 300,
      logger,
      accept: (p) => accept(p),
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`;
  });
  beforeEach(() => {
    received.length = 0;
    logLines.length = 0;
    accept = async (p) => {
      received.push(p);
      return summary;
    };
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (payload: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
    });

  it('answers 202 with the intake summary once the alerts are accepted', async () => {
    const res = await post(body);
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { counted: number }).counted, 1);
    assert.equal(received.length, 1);
  });

  it('skips alerts whose fingerprint is not hexadecimal, says how many in a warning and in the 202 body', async () => {
    const payload = JSON.parse(body) as { alerts: Array<Record<string, unknown>> };
    const good = payload.alerts[0] as Record<string, unknown>;
    payload.alerts = [good, { ...good, fingerprint: 'zz-top' }, { ...good, fingerprint: 'abc def' }];
    const res = await post(JSON.stringify(payload));
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { skipped: number }).skipped, 2);
    assert.equal(received[0]?.alerts.length, 1, 'the good alert of the group is still accepted');
    const warning = logLines.find((l) => l.level === 40 && /skipped/.test(String(l.msg)));
    assert.ok(warning, `a warning names the skipped alerts; logged: ${JSON.stringify(logLines)}`);
    assert.equal(warning.count, 2);
    assert.match(JSON.stringify(warning.skipped), /fingerprint: must be hexadecimal/);
  });

  it('accepts basic auth as http_config.basic_auth sends it', async () => {
    const basic = Buffer.from('alertmanager:s3cret-password').toString('base64');
    const res = await post(body, { authorization: `Basic ${basic}` });
    assert.equal(res.status, 202);
  });

  const refused: Array<[string, string, Record<string, string>, number, RegExp]> = [
    // no credentials at all
    ['no Authorization header', body, {}, 401, /unauthorized/],
    // a wrong bearer token
    ['a wrong token', body, { authorization: 'Bearer nope' }, 401, /unauthorized/],
    // a wrong basic password
    [
      'a wrong password',
      body,
      { authorization: `Basic ${Buffer.from('alertmanager:x').toString('base64')}` },
      401,
      /unauthorized/,
    ],
    // not JSON
    ['a body that is not JSON', '{"version":', { authorization: `Bearer ${TOKEN}` }, 400, /body is not JSON/],
    // JSON but not a v4 payload: the reason names the field
    [
      'a v3 payload',
      body.replace('"4"', '"3"'),
      { authorization: `Bearer ${TOKEN}` },
      400,
      /version: must be/,
    ],
    // over the size limit
    [
      'a body over the limit',
      `${body}${' '.repeat(4096)}`,
      { authorization: `Bearer ${TOKEN}` },
      413,
      /limit/,
    ],
  ];
  for (const [name, payload, headers, status, reason] of refused) {
    it(`answers ${status} to ${name} and accepts nothing`, async () => {
      const res = await post(payload, headers);
      assert.equal(res.status, status);
      assert.match(JSON.stringify(await res.json()), reason);
      assert.equal(received.length, 0);
    });
  }

  it('answers 503 with Retry-After when the queue is unavailable, so Alertmanager retries', async () => {
    accept = async () => {
      throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    };
    const res = await post(body);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
  });

  it('answers 503 when the queue does not answer in time', async () => {
    accept = () => new Promise(() => undefined);
    const res = await post(body);
    assert.equal(res.status, 503);
    assert.match(JSON.stringify(await res.json()), /did not answer/);
  });

  it('compares credentials by scheme, case-insensitively, and never with an empty secret', () => {
    assert.equal(isAuthorized(`bearer ${TOKEN}`, { token: TOKEN }), true);
    assert.equal(isAuthorized('Bearer ', { token: TOKEN }), false);
    assert.equal(isAuthorized(`Bearer ${TOKEN}`, { basicAuth: 'a:b' }), false);
    assert.equal(isAuthorized(`Basic ${Buffer.from(':').toString('base64')}`, { token: TOKEN }), false);
  });
});
