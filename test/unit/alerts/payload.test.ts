import assert from 'node:assert/strict';
import { labelsFingerprint, parseAlertmanagerPayload } from '../../../src/alerts/payload.ts';

/** A v4 payload as Alertmanager 0.25 sends it, with overrides. */
function payload(overrides: Record<string, unknown> = {}, alert: Record<string, unknown> = {}) {
  return {
    receiver: 'oom-bot',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'KubeContainerOOMKilled', namespace: 'prod', pod: 'api-7d9f8b6c5d-x2x9z' },
        annotations: { summary: 'OOM' },
        startsAt: '2026-11-24T09:00:00.123Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: 'a1b2c3d4e5f60718',
        ...alert,
      },
    ],
    groupLabels: { alertname: 'KubeContainerOOMKilled' },
    commonLabels: { alertname: 'KubeContainerOOMKilled' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="KubeContainerOOMKilled"}',
    truncatedAlerts: 0,
    ...overrides,
  };
}

describe('parseAlertmanagerPayload: the v4 webhook body', () => {
  it('reads a payload as Alertmanager sends it', () => {
    const r = parseAlertmanagerPayload(payload());
    assert.ok(r.ok);
    const [a] = r.payload.alerts;
    assert.equal(a?.startsAt, Date.parse('2026-11-24T09:00:00.123Z'));
    assert.equal(a?.endsAt, undefined, 'the zero time means "still firing"');
    assert.equal(a?.fingerprint, 'a1b2c3d4e5f60718');
    assert.equal(r.payload.truncatedAlerts, 0);
  });

  it('derives a stable fingerprint when the sender gives none', () => {
    const r = parseAlertmanagerPayload(payload({}, { fingerprint: undefined }));
    assert.ok(r.ok);
    const labels = { alertname: 'KubeContainerOOMKilled', namespace: 'prod', pod: 'api-7d9f8b6c5d-x2x9z' };
    assert.equal(r.payload.alerts[0]?.fingerprint, labelsFingerprint(labels));
    assert.equal(labelsFingerprint({ b: '2', a: '1' }), labelsFingerprint({ a: '1', b: '2' }));
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    // not an object at all
    ['a JSON array', [], /^body:/],
    // Alertmanager's older payload version
    ['version 3', payload({ version: '3' }), /^version: must be "4" .* or "1"/],
    // the alerts array is missing
    ['no alerts', payload({ alerts: undefined }), /^alerts:/],
    // a status Alertmanager never sends
    ['a bad group status', payload({ status: 'pending' }), /^status:/],
    // truncatedAlerts is a count
    ['negative truncatedAlerts', payload({ truncatedAlerts: -1 }), /^truncatedAlerts:/],
  ];
  const skipped: Array<[string, Record<string, unknown>, RegExp]> = [
    // a bad status on one alert
    ['a bad alert status', { status: 'silenced' }, /^alerts\[1\]\.status:/],
    // alerts are named by their alertname label
    ['no alertname', { labels: { namespace: 'prod' } }, /^alerts\[1\]\.labels: must have an alertname/],
    // label values are strings
    ['a numeric label', { labels: { alertname: 'X', replicas: 3 } }, /^alerts\[1\]\.labels\.replicas:/],
    // startsAt must be a time
    ['a bad startsAt', { startsAt: 'yesterday' }, /^alerts\[1\]\.startsAt: must be an RFC 3339 time/],
    // startsAt is required: it is half of the idempotency key
    ['no startsAt', { startsAt: undefined }, /^alerts\[1\]\.startsAt:/],
    // fingerprints are hex
    ['a bad fingerprint', { fingerprint: 'zz-top' }, /^alerts\[1\]\.fingerprint: must be hexadecimal/],
  ];
  for (const [name, alert, reason] of skipped) {
    it(`skips an alert with ${name}, naming the field, and keeps the rest of the group`, () => {
      const good = payload().alerts[0] as Record<string, unknown>;
      const r = parseAlertmanagerPayload(payload({ alerts: [good, { ...good, ...alert }, good] }));
      assert.ok(r.ok, 'the group is accepted');
      assert.equal(r.payload.alerts.length, 2);
      assert.equal(r.payload.skipped.length, 1);
      assert.equal(r.payload.skipped[0]?.index, 1);
      assert.match(r.payload.skipped[0]?.reason ?? '', reason);
    });
  }

  it("keeps a skipped alert's alertname and reason short, whatever the sender put in them", () => {
    const good = payload().alerts[0] as Record<string, unknown>;
    const long = 'x'.repeat(5000);
    const r = parseAlertmanagerPayload(
      payload({ alerts: [{ ...good, labels: { alertname: long, [long]: 3 } }] }),
    );
    assert.ok(r.ok);
    const skipped = r.payload.skipped[0];
    assert.equal(skipped?.alertname?.length, 128);
    assert.match(skipped?.reason ?? '', /^alerts\[0\]\.labels\.x+/);
    assert.ok((skipped?.reason.length ?? 0) <= 256, `reason of ${skipped?.reason.length} characters`);
  });

  it('accepts UTF-8 label names (Alertmanager 0.27+), in the alerts and the group labels', () => {
    const labels = {
      alertname: 'KubeContainerOOMKilled',
      namespace: 'prod',
      pod: 'api-7d9f8b6c5d-x2x9z',
      'k8s.namespace.name': 'prod',
      Σ: 'sigma',
    };
    const r = parseAlertmanagerPayload(
      payload({ commonLabels: labels, groupLabels: { 'k8s.cluster.name': 'eu' } }, { labels }),
    );
    assert.ok(r.ok);
    assert.equal(r.payload.alerts[0]?.labels['k8s.namespace.name'], 'prod');
    assert.equal(r.payload.skipped.length, 0);
  });

  for (const [name, body, reason] of invalid) {
    it(`refuses ${name}, naming the field`, () => {
      const r = parseAlertmanagerPayload(body);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, reason);
    });
  }

  const valid: Array<[string, unknown]> = [
    // no alerts in the group: nothing to do, but not an error
    ['an empty alerts list', payload({ alerts: [] })],
    // optional parts left out, as other senders do
    ['a minimal payload', { version: '4', groupKey: 'g', status: 'resolved', receiver: 'r', alerts: [] }],
    // fields a newer Alertmanager may add are ignored
    ['unknown extra fields', payload({ somethingNew: true })],
  ];
  for (const [name, body] of valid) {
    it(`accepts ${name}`, () => {
      assert.equal(parseAlertmanagerPayload(body).ok, true);
    });
  }
});
