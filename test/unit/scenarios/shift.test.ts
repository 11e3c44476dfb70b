/**
 * Moving a generated scenario in time (test/scenarios/shift.ts), which the parity test uses to
 * date a rollout scenario by the apiserver's clock: every time moves by the same seconds and
 * nothing else changes. (That the moved scenario is diagnosed as the original is checked there.)
 */
import assert from 'node:assert/strict';
import { type GeneratedScenario, generateCorpus, renderClusterYaml } from '../../scenarios/generator.ts';
import { shiftScenario, shiftTimeText } from '../../scenarios/shift.ts';

const scenario = generateCorpus({ seed: 20261129, count: 1, families: 'rollout' })[0] as GeneratedScenario;

describe('shiftScenario: a scenario moved in time', () => {
  const by = 20_746_391;
  const moved = shiftScenario(scenario, by);

  it('moves RFC 3339 times, a MicroTime keeping its fraction, and leaves other text alone', () => {
    assert.equal(shiftTimeText('2026-04-10T14:38:00Z', 3600), '2026-04-10T15:38:00Z');
    assert.equal(shiftTimeText('2026-04-10T14:38:00Z', 20_746_391), '2026-12-06T17:31:11Z');
    assert.equal(shiftTimeText('2026-04-10T23:59:30.123456Z', 60), '2026-04-11T00:00:30.123456Z');
    assert.equal(shiftTimeText('registry.example/app:2026-04-10', 60), 'registry.example/app:2026-04-10');
    assert.equal(shiftTimeText('limit=1Gi', 60), 'limit=1Gi');
  });

  it('moves every time of the cluster objects, the samples, the moment of diagnosis and the truth', () => {
    const times = (yaml: string) => [...yaml.matchAll(/"(\d{4}-\d\d-\d\dT[\d:.]+Z)"/g)].map((m) => m[1]);
    const before = times(renderClusterYaml(scenario.clusterObjects));
    const after = times(renderClusterYaml(moved.clusterObjects));
    assert.ok(before.length > 20);
    assert.deepEqual(
      after,
      before.map((t) => shiftTimeText(t as string, by)),
    );
    assert.equal(Date.parse(moved.scenarioYaml.at) - Date.parse(scenario.scenarioYaml.at), by * 1000);
    assert.equal(moved.truth.rollout?.at, (scenario.truth.rollout?.at as number) + by);
    assert.equal(moved.truth.at, scenario.truth.at + by);
    const t0 = scenario.metrics[0]?.series[0]?.t ?? [];
    assert.deepEqual(
      moved.metrics[0]?.series[0]?.t,
      t0.map((t) => t + by),
    );
    assert.deepEqual(moved.metrics[0]?.series[0]?.v, scenario.metrics[0]?.series[0]?.v, 'values stay');
    assert.deepEqual(shiftScenario(moved, -by), scenario, 'moving back gives the scenario again');
  });
});
