// deploy_regression: the footprint steps up with a rollout that changed the image (rollback first,
// a bigger limit only as a stopgap), against a rollout that only lowered the limit
// (limit_too_low, the old limit named) and a rollout that came with a traffic surge.
import assert from 'node:assert/strict';
import { diagnose } from '../../../src/domain/diagnose.ts';
import type { ContainerSpec, Evidence } from '../../../src/domain/types.ts';
import { toJsonReport } from '../../../src/report.ts';
import { AT, buildEvidence, MI } from '../../support/evidence-builder.ts';

const ROLLOUT = AT - 10 * 3600;
const NEW_RS = 'svc-7d9f8b6c5d';
const OLD_RS = 'svc-5c4b3a2918';

function app(image: string, limit: number): ContainerSpec {
  return { name: 'app', image, limitBytes: limit, requestBytes: 512 * MI, env: {}, command: [], args: [] };
}

/** Working set before the rollout belongs to the old ReplicaSet's pods; the revisions carry their templates. */
function withRollout(e: Evidence, before: ContainerSpec, after: ContainerSpec): Evidence {
  const workingSet = e.metrics.workingSet.flatMap((s) => {
    const cut = s.t.findIndex((t) => t >= ROLLOUT);
    if (cut <= 0) return [s];
    const oldPod = (s.labels.pod ?? '').replace(NEW_RS, OLD_RS);
    return [
      { labels: { ...s.labels, pod: oldPod }, t: s.t.slice(0, cut), v: s.v.slice(0, cut) },
      { ...s, t: s.t.slice(cut), v: s.v.slice(cut) },
    ];
  });
  return {
    ...e,
    metrics: { ...e.metrics, workingSet },
    workload: {
      ...(e.workload as NonNullable<Evidence['workload']>),
      lastRolloutAt: ROLLOUT,
      revisions: [
        { name: NEW_RS, revision: 8, createdAt: ROLLOUT, podTemplateHash: '7d9f8b6c5d', containers: [after] },
        {
          name: OLD_RS,
          revision: 7,
          createdAt: ROLLOUT - 9 * 86400,
          podTemplateHash: '5c4b3a2918',
          containers: [before],
        },
      ],
    },
  };
}

const LIMIT = 1024 * MI;

describe('deploy_regression', () => {
  it('a new image that needs 40% more at the same traffic: roll back first, the limit only a stopgap', () => {
    const e = buildEvidence({
      limit: LIMIT,
      hours: 24,
      memory: ({ t }) => (t < ROLLOUT ? 700 * MI : 980 * MI + ((t % 3600) / 3600) * 120 * MI),
      traffic: () => 40,
    });
    const d = diagnose(withRollout(e, app('reg/svc:1.4.2', LIMIT), app('reg/svc:1.5.0', LIMIT)));
    assert.equal(d.cause, 'deploy_regression', JSON.stringify(d.ranking));
    assert.match(
      d.evidence.join('\n'),
      /revision 7 \(svc-5c4b3a2918, reg\/svc:1\.4\.2\) → revision 8 \(svc-7d9f8b6c5d, reg\/svc:1\.5\.0\)/,
    );
    assert.match(
      d.evidence.join('\n'),
      /at matched traffic .*: 700Mi in revision 7, .* in revision 8 \(\+\d+%\)/,
    );
    assert.equal(d.actions[0]?.kind, 'rollback_deploy', 'the first advice is the rollback');
    assert.deepEqual(d.actions[0]?.rollbackTarget?.previous, {
      replicaSet: OLD_RS,
      revision: 7,
      podTemplateHash: '5c4b3a2918',
    });
    assert.ok(
      d.actions.slice(1).every((a) => a.kind !== 'patch_memory_limit' || /^Stopgap only/.test(a.title)),
    );
    const report = toJsonReport(d);
    assert.equal(report.rollout?.from.revision, 7);
    assert.deepEqual(report.rollout?.to.images, ['reg/svc:1.5.0']);
    assert.equal(report.rollout?.at, new Date(ROLLOUT * 1000).toISOString());
    assert.equal(d.chart.rollout?.t, ROLLOUT);
  });

  it('a rollout that only lowered the limit is limit_too_low with the old limit named', () => {
    const e = buildEvidence({
      limit: 768 * MI,
      hours: 24,
      memory: () => 760 * MI + 30 * MI,
      traffic: () => 40,
    });
    const d = diagnose(withRollout(e, app('reg/svc:1.4.2', 1536 * MI), app('reg/svc:1.4.2', 768 * MI)));
    assert.equal(d.cause, 'limit_too_low', JSON.stringify(d.ranking));
    assert.match(d.evidence.join('\n'), /lowered the limit of app from 1\.5Gi to 768Mi/);
  });

  it('a rollout that came with a traffic surge stays traffic_surge', () => {
    const e = buildEvidence({
      limit: LIMIT,
      hours: 24,
      memory: ({ rps }) => 300 * MI + rps * 12 * MI,
      traffic: (t) => (t < ROLLOUT ? 30 : 75),
    });
    const d = diagnose(withRollout(e, app('reg/svc:1.4.2', LIMIT), app('reg/svc:1.5.0', LIMIT)));
    assert.notEqual(d.cause, 'deploy_regression', JSON.stringify(d.ranking));
  });
});
