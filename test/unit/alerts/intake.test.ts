import assert from 'node:assert/strict';
import { DEFAULT_ALERT_MATCHERS, parseMatcherRules } from '../../../src/alert-labels/matchers.ts';
import { parseChannelRoutes } from '../../../src/alert-labels/routing.ts';
import { acceptAlerts, classifyAlerts, type IntakeSink } from '../../../src/alerts/intake.ts';
import type { ReceivedAlert } from '../../../src/alerts/payload.ts';
import type {
  AlertIncidentStore,
  IntakeIncident,
  IntakeOutcome,
} from '../../../src/contracts/alert-incident-types.ts';

const options = {
  rules: parseMatcherRules(DEFAULT_ALERT_MATCHERS),
  routes: parseChannelRoutes('namespace=payments:CPAY'),
  defaultChannel: 'CDEFAULT',
  reopenWindowMs: 2 * 3600_000,
};

function alert(labels: Record<string, string>, overrides: Partial<ReceivedAlert> = {}): ReceivedAlert {
  return {
    status: 'firing',
    labels: { alertname: 'KubeContainerOOMKilled', ...labels },
    annotations: {},
    startsAt: 1_000_000,
    fingerprint: `fp-${Object.values(labels).join('-')}`,
    ...overrides,
  };
}

describe('alert intake', () => {
  it('groups the alerts of one workload and container into one incident, whatever the pod', () => {
    const c = classifyAlerts(
      [
        alert({ namespace: 'prod', pod: 'api-6b5f4c8d9-x2x9z', container: 'app' }),
        alert({ namespace: 'prod', pod: 'api-6b5f4c8d9-kq2mz', container: 'app' }),
        alert({ namespace: 'prod', pod: 'api-6b5f4c8d9-kq2mz', container: 'sidecar' }),
        alert({ namespace: 'payments', pod: 'ledger-0', container: 'ledger' }),
      ],
      options,
    );
    assert.deepEqual(
      c.incidents.map((i) => [i.key, i.channel, i.alerts.length]),
      [
        ['/prod/api/app', 'CDEFAULT', 2],
        ['/prod/api/sidecar', 'CDEFAULT', 1],
        // a pod name with an ordinal only: the pod itself, resolved through its owners
        ['/payments/ledger-0/ledger', 'CPAY', 1],
      ],
    );
    assert.deepEqual(
      c.incidents[0]?.alerts.map((a) => a.pod),
      ['api-6b5f4c8d9-x2x9z', 'api-6b5f4c8d9-kq2mz'],
    );
  });

  it('ignores alerts no rule selects, and reports selected alerts without a target', () => {
    const c = classifyAlerts(
      [alert({ namespace: 'prod' }, { labels: { alertname: 'Watchdog' } }), alert({ pod: 'api-0' })],
      options,
    );
    assert.equal(c.ignored, 1);
    assert.equal(c.incidents.length, 0);
    assert.deepEqual(
      c.unroutable.map((u) => u.reason),
      ['no namespace label'],
    );
  });

  it('reports alerts when no channel is configured at all', () => {
    const c = classifyAlerts([alert({ namespace: 'prod', pod: 'api-0' })], {
      ...options,
      defaultChannel: undefined,
    });
    assert.deepEqual(
      c.unroutable.map((u) => u.reason),
      ['no channel route matches'],
    );
  });

  it('enqueues the jobs the store hands out with deterministic ids, then confirms them', async () => {
    const calls: string[] = [];
    let recorded: IntakeIncident[] = [];
    const outcome: IntakeOutcome = {
      key: '/prod/api/app',
      counted: 1,
      resolvedNow: 0,
      lifecycle: 'opened',
      diagnose: { key: '/prod/api/app', openedAt: 5, generation: 1, channel: 'CDEFAULT' },
      update: { key: '/prod/api/app', openedAt: 5, seq: 2 },
    };
    const store = {
      async record(incidents: IntakeIncident[]) {
        calls.push('record');
        recorded = incidents;
        return [outcome];
      },
      async confirm(items: unknown) {
        calls.push(`confirm ${JSON.stringify(items)}`);
      },
    } as unknown as AlertIncidentStore;
    const jobs: Array<{ jobId: string; data: unknown }> = [];
    const sink: IntakeSink = {
      async addDiagnoses(j) {
        calls.push('diagnoses');
        jobs.push(...j);
      },
      async addUpdates(refs) {
        calls.push(`updates ${refs.length}`);
      },
    };
    const summary = await acceptAlerts(
      {
        sender: 'alertmanager',
        skipped: [],
        receiver: 'r',
        status: 'firing',
        groupKey: 'g',
        truncatedAlerts: 0,
        alerts: [alert({ namespace: 'prod', pod: 'api-6b5f4c8d9-x2x9z', container: 'app' })],
      },
      { ...options, store, sink, now: () => 7000 },
    );
    assert.equal(recorded.length, 1);
    assert.deepEqual(calls, [
      'record',
      'diagnoses',
      'updates 1',
      'confirm [{"key":"/prod/api/app","generation":1,"seq":2}]',
    ]);
    assert.equal(jobs.length, 1);
    assert.match(jobs[0]?.jobId ?? '', /^alert-[0-9a-f]{24}-5-1$/);
    assert.deepEqual(jobs[0]?.data, {
      request: { name: 'api', namespace: 'prod' },
      reply: { channel: 'CDEFAULT' },
      trigger: 'alert',
      requestedAt: 7,
      alert: {
        key: '/prod/api/app',
        openedAt: 5,
        generation: 1,
        alertname: 'KubeContainerOOMKilled',
        pod: 'api-6b5f4c8d9-x2x9z',
        container: 'app',
      },
    });
    assert.equal(summary.opened, 1);
    assert.equal(summary.diagnoses, 1);
  });

  it('hands a large delivery to the store in runs of at most 250 alerts, each alert once, a big incident split', async () => {
    // a ReplicaSet pod's suffix: five characters of Kubernetes' safe alphabet
    const safe = 'bcdfghjklmnpqrstvwxz2456789';
    const pod = (i: number) =>
      Array.from({ length: 5 }, (_, d) => safe[Math.floor(i / safe.length ** d) % safe.length]).join('');
    // one workload with 600 alerts (one incident), 400 workloads with one alert each
    const alerts = [
      ...Array.from({ length: 600 }, (_, i) =>
        alert({ namespace: 'prod', pod: `api-6b5f4c8d9-${pod(i)}`, container: 'app' }),
      ),
      ...Array.from({ length: 400 }, (_, i) =>
        alert({ namespace: 'prod', pod: `w${i}-6b5f4c8d9-x2x9z`, container: 'app' }),
      ),
    ];
    const runs: IntakeIncident[][] = [];
    const store = {
      async record(incidents: IntakeIncident[]) {
        runs.push(incidents);
        return incidents.map((i) => ({
          key: i.key,
          counted: i.alerts.length,
          resolvedNow: 0,
          lifecycle: 'updated',
        }));
      },
      async confirm() {},
    } as unknown as AlertIncidentStore;
    const sink: IntakeSink = { async addDiagnoses() {}, async addUpdates() {} };
    const summary = await acceptAlerts(
      {
        sender: 'alertmanager',
        skipped: [],
        receiver: 'r',
        status: 'firing',
        groupKey: 'g',
        truncatedAlerts: 0,
        alerts,
      },
      { ...options, store, sink, now: () => 7000 },
    );
    const sizes = runs.map((run) => run.reduce((n, i) => n + i.alerts.length, 0));
    assert.ok(
      sizes.every((n) => n <= 250),
      `runs of ${sizes.join(', ')} alerts`,
    );
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      1000,
    );
    const big = runs[0]?.[0];
    assert.equal(big?.alerts.length, 250, 'the big incident fills the first run');
    assert.ok(runs.filter((run) => run.some((i) => i.key === big?.key)).length >= 3);
    // the parts of one incident are merged back: one incident, every alert counted once
    assert.equal(summary.incidents, 401);
    assert.equal(summary.counted, 1000);
  });

  it('does not confirm when the queue fails (the webhook answers 503, Alertmanager re-sends)', async () => {
    let confirmed = false;
    const store = {
      record: async () => [
        {
          key: 'k',
          counted: 1,
          resolvedNow: 0,
          lifecycle: 'opened',
          diagnose: { key: 'k', openedAt: 1, generation: 1, channel: 'C' },
        },
      ],
      confirm: async () => {
        confirmed = true;
      },
    } as unknown as AlertIncidentStore;
    const sink: IntakeSink = {
      addDiagnoses: async () => {
        throw new Error('Connection is closed.');
      },
      addUpdates: async () => undefined,
    };
    await assert.rejects(
      acceptAlerts(
        {
          sender: 'alertmanager',
          skipped: [],
          receiver: 'r',
          status: 'firing',
          groupKey: 'g',
          truncatedAlerts: 0,
          alerts: [alert({ namespace: 'prod', pod: 'api-0' })],
        },
        { ...options, store, sink, now: () => 1 },
      ),
      /Connection is closed/,
    );
    assert.equal(confirmed, false);
  });
});
