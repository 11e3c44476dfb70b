/**
 * Batch workloads: a CronJob whose runs grow with their input until the largest is OOM-killed is
 * limit_too_low with the CronJob as the workload, not a leak (each run starts from nothing); the
 * new limit covers the largest run and the next one's growth, and the evidence shows the growth.
 */
import assert from 'node:assert/strict';
import { diagnose } from '../../../src/domain/diagnose.ts';
import type { Evidence, PodInfo, Series } from '../../../src/domain/types.ts';
import { podNameRegex } from '../../../src/evidence.ts';
import { AT, MI } from '../../support/evidence-builder.ts';

const H = 3600;
const STEP = 60;
const LIMIT = 1024 * MI;
const NAME = 'nightly-report';

/** Six runs four hours apart, each 40 minutes long, peaks growing 15% a run; runs over the limit are killed. */
function cronJobEvidence(growth = 1.15): Evidence {
  const start = AT - 24 * H;
  const workingSet: Series[] = [];
  const restarts: Series[] = [];
  const limits: Series[] = [];
  const pods: PodInfo[] = [];
  for (let run = 0; run < 6; run++) {
    const t0 = start + 2 * H + run * 4 * H;
    const pod = `${NAME}-2901${String(2000 + run)}-${'abcdef'[run]}x7k2`;
    const peak = 600 * MI * growth ** run;
    const ws: Series = { labels: { pod, container: 'report', node: 'node-a' }, t: [], v: [] };
    let killedAt: number | undefined;
    for (let t = t0; t <= t0 + 40 * 60; t += STEP) {
      const v = 60 * MI + (peak - 60 * MI) * ((t - t0) / (40 * 60));
      if (v >= LIMIT) {
        killedAt = t;
        break;
      }
      ws.t.push(t);
      ws.v.push(v);
    }
    const end = killedAt ?? t0 + 40 * 60;
    workingSet.push(ws);
    restarts.push({ labels: { pod, container: 'report' }, t: [...ws.t], v: ws.t.map(() => 0) });
    limits.push({ labels: { pod, container: 'report' }, t: [...ws.t], v: ws.t.map(() => LIMIT) });
    pods.push({
      name: pod,
      node: 'node-a',
      phase: killedAt ? 'Failed' : 'Succeeded',
      containers: [
        {
          name: 'report',
          restartCount: 0,
          ready: false,
          terminated: killedAt
            ? { reason: 'OOMKilled', exitCode: 137, startedAt: t0, finishedAt: end }
            : { reason: 'Completed', exitCode: 0, startedAt: t0, finishedAt: end },
        },
      ],
    });
  }
  return {
    at: AT,
    window: { start, end: AT, stepSeconds: STEP },
    target: {
      namespace: 'batch',
      workload: { kind: 'CronJob', name: NAME },
      selector: {},
      podTemplate: { kind: 'CronJob', name: NAME, path: 'spec.jobTemplate.spec.template' },
    },
    workload: {
      ref: { kind: 'CronJob', name: NAME },
      namespace: 'batch',
      labels: {},
      annotations: {},
      containers: [
        {
          name: 'report',
          image: 'acme/report:3.1',
          limitBytes: LIMIT,
          requestBytes: 512 * MI,
          env: {},
          command: [],
          args: [],
        },
      ],
      revisions: [],
    },
    pods,
    events: [],
    nodes: [],
    metrics: {
      workingSet,
      limits,
      requests: [],
      restarts,
      lastTerminatedReason: [],
      lastTerminatedExitCode: [],
      nodeAvailable: [],
      nodeTotal: [],
      nodeOomKills: [],
      nodeMemoryPressure: [],
    },
    gaps: [],
  };
}

describe('batch workloads: a CronJob that outgrew its limit', () => {
  it('is limit_too_low for the CronJob, with the growth run over run, and not a leak', () => {
    const d = diagnose(cronJobEvidence());
    assert.equal(d.cause, 'limit_too_low', JSON.stringify(d.ranking));
    assert.equal(d.target.workload.kind, 'CronJob');
    assert.equal(d.kills.oomKills, 2, 'the two runs over the limit were killed though never restarted');
    const text = d.evidence.join('\n');
    assert.match(text, /CronJob nightly-report: 6 run\(s\), peaks 600Mi → 690Mi/);
    assert.match(text, /\(killed\)/);
    assert.match(text, /each run needs 15% more than the one before/);
    assert.match(d.rejected.find((r) => r.cause === 'memory_leak')?.reason ?? '', /starts from nothing/);
  });

  it('sizes the template for the largest run and the next one, not the median run', () => {
    const d = diagnose(cronJobEvidence());
    const rec = d.recommendation;
    assert.ok(rec);
    // Runs grew 15% each: the next run after a 1Gi-killed one needs at least 1.15 x 1Gi.
    assert.ok(rec.memoryLimitBytes >= 1.15 * 1.15 * LIMIT, `limit ${rec.memoryLimit}`);
    assert.ok(rec.memoryLimitBytes <= 4 * LIMIT);
    assert.match(rec.rationale, /largest recent run/);
    const patch = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.equal(patch?.memoryPatch?.limitBytes, rec.memoryLimitBytes);
    assert.match(patch?.command ?? '', /cronjob\/nightly-report/i);
  });

  it('says the runs grow, and offers no VPA: a run-to-completion pod gives its recommender nothing to learn', () => {
    const d = diagnose(cronJobEvidence());
    assert.match(d.headline, /as its runs grow/);
    assert.doesNotMatch(d.headline, /steady footprint/);
    assert.deepEqual(
      d.actions.filter((x) => x.kind === 'create_vpa'),
      [],
    );
  });

  it("finds the CronJob's Job pods by name in Prometheus", () => {
    const re = new RegExp(`^(?:${podNameRegex(cronJobEvidence().target, [])})$`);
    assert.ok(re.test('nightly-report-29012345-x7k2p'));
    assert.ok(!re.test('nightly-reporter-29012345-x7k2p'));
  });
});
