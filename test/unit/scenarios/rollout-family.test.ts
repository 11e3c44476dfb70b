// The rollout family of the generator: its own corpus (the default one keeps the six older causes),
// ReplicaSets a real apiserver accepts for both revisions, and the change each case is about.
import assert from 'node:assert/strict';
import {
  corpusSpecs,
  type GeneratedScenario,
  generateScenario,
  type KubeDocument,
  quantity,
  ROLLOUT_CASES,
  SCENARIO_CAUSES,
} from '../../scenarios/generator.ts';

type Container = {
  name: string;
  image: string;
  env?: Array<{ name: string; value: string }>;
  resources: { limits: { memory: string } };
};

function replicaSets(s: GeneratedScenario): KubeDocument[] {
  return s.clusterObjects.filter((o) => o.kind === 'ReplicaSet');
}

/** The main container of a ReplicaSet's template. */
function mainContainer(rs: KubeDocument): Container {
  const spec = rs.spec as { template: { spec: { containers: Container[] } } };
  return spec.template.spec.containers[0] as Container;
}

function byRevision(s: GeneratedScenario, revision: number): KubeDocument {
  const rs = replicaSets(s).find(
    (o) =>
      (o.metadata as { annotations: Record<string, string> }).annotations[
        'deployment.kubernetes.io/revision'
      ] === String(revision),
  );
  assert.ok(rs, `no ReplicaSet of revision ${revision}`);
  return rs;
}

function generateCase(variant: string): GeneratedScenario {
  const spec = corpusSpecs({ seed: 7, count: ROLLOUT_CASES.length, families: 'rollout' }).find(
    (s) => s.variant === variant,
  );
  assert.ok(spec);
  return generateScenario(spec);
}

describe('scenario generator: the rollout family', () => {
  it('keeps the default corpus to the six older causes and cycles its own cases', () => {
    const core = corpusSpecs({ seed: 42, count: 60 });
    assert.ok(core.every((s) => (SCENARIO_CAUSES as readonly string[]).includes(s.cause)));
    assert.ok(core.every((s) => !['with-rollout', 'limit-lowered'].includes(s.variant ?? '')));
    const family = corpusSpecs({ seed: 42, count: 8, families: 'rollout' });
    assert.deepEqual(
      family.map((s) => `${s.cause}/${s.variant}`),
      [...ROLLOUT_CASES, ...ROLLOUT_CASES].map((c) => `${c.cause}/${c.variant}`),
    );
  });

  it('a regression: a new image in a new ReplicaSet owned by the Deployment, every kill after it', () => {
    const s = generateCase('image');
    const rollout = s.truth.rollout;
    assert.ok(rollout && rollout.at > s.truth.windowStart && rollout.at < s.truth.at);
    assert.ok((rollout.footprintStep ?? 0) >= 1.4, 'the footprint steps up at least 40%');
    const [after, before] = [byRevision(s, rollout.toRevision), byRevision(s, rollout.fromRevision)];
    for (const rs of [after, before]) {
      const meta = rs.metadata as {
        name: string;
        labels: Record<string, string>;
        ownerReferences: Array<{ kind: string }>;
      };
      assert.ok(
        meta.name.endsWith(`-${meta.labels['pod-template-hash']}`),
        'named after its pod-template-hash',
      );
      assert.equal(meta.ownerReferences[0]?.kind, 'Deployment');
    }
    assert.notEqual(mainContainer(after).image, mainContainer(before).image);
    assert.ok(s.truth.oomKills > 0);
    const kills = s.truth.terminations.filter((t) => t.reason === 'OOMKilled');
    assert.ok(
      kills.every((k) => k.at >= rollout.at),
      'no kill before the rollout',
    );
  });

  it('a config regression changes the env, not the image', () => {
    const s = generateCase('config');
    const rollout = s.truth.rollout;
    assert.ok(rollout);
    const after = mainContainer(byRevision(s, rollout.toRevision));
    const before = mainContainer(byRevision(s, rollout.fromRevision));
    assert.equal(after.image, before.image);
    const cache = (c: Container) => c.env?.find((e) => e.name === 'CACHE_MAX_ENTRIES')?.value;
    assert.ok(cache(after) && cache(before) && cache(after) !== cache(before));
  });

  it('a rollout that only lowered the limit keeps the old limit in the previous ReplicaSet', () => {
    const s = generateCase('limit-lowered');
    const rollout = s.truth.rollout;
    assert.ok(rollout?.limitBeforeBytes);
    assert.equal(s.scenarioYaml.expect.cause, 'limit_too_low');
    const after = mainContainer(byRevision(s, rollout.toRevision));
    const before = mainContainer(byRevision(s, rollout.fromRevision));
    assert.equal(after.image, before.image);
    assert.equal(before.resources.limits.memory, quantity(rollout.limitBeforeBytes));
    assert.ok(rollout.limitBeforeBytes > s.truth.limitBytes);
  });
});
