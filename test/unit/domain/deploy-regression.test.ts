// deploy_regression: the footprint steps up with a rollout that changed the image (rollback first,
// a bigger limit only as a stopgap), against a rollout that only lowered the limit
// (limit_too_low, the old limit named) and a rollout that came with a traffic surge.
import assert from 'node:assert/strict';
import { diagnose } from '../../../src/domain/diagnose.ts';
import { toJsonReport } from '../../../src/report.ts';
import { buildEvidence, MI } from '../../support/evidence-builder.ts';
import { app, OLD_RS, ROLLOUT, withRollout } from '../../support/rollout-evidence.ts';

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
      /at matched traffic \(80\.0 req\/s\): 700Mi in revision 7, .* in revision 8 \(\+\d+%\)/,
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
