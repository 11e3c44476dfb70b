/**
 * A workload OOM caused by node pressure names the node that starved it (structured, in the
 * diagnosis and the JSON report) and, when that node has an incident, points at its thread.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AlertIncidentStore } from '../../../src/contracts/alert-incident-types.ts';
import { diagnose } from '../../../src/domain/diagnose.ts';
import { collectEvidence } from '../../../src/evidence.ts';
import { createAlertDiagnosisHooks } from '../../../src/incidents/alert-diagnosis.ts';
import { renderThread } from '../../../src/render/blocks/diagnosis.ts';
import { toJsonReport } from '../../../src/report.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';
import { resolveTarget } from '../../../src/sources/cluster.ts';
import { parseOpenMetrics } from '../../../src/sources/openmetrics.ts';
import type { KubeObject } from '../../../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../../../src/sources/scenario.ts';
import { generateScenario, renderOpenMetrics } from '../../scenarios/generator.ts';

async function diagnoseGenerated(variant: string, seed: number) {
  const s = generateScenario({ seed, cause: 'node_pressure', variant });
  const sources = {
    cluster: createStaticLister(s.clusterObjects as KubeObject[], s.dirName),
    metrics: createStaticMetrics(parseOpenMetrics(renderOpenMetrics(s.metrics)), s.dirName),
  };
  const target = await resolveTarget(sources.cluster, {
    name: s.scenarioYaml.request.service,
    namespace: s.scenarioYaml.request.namespace,
  });
  const evidence = await collectEvidence(sources, target, { at: Date.parse(s.scenarioYaml.at) / 1000 });
  return { s, d: diagnose(evidence) };
}

describe('node_pressure: the workload names its node and links to the node incident', () => {
  for (const [variant, seed] of [
    ['eviction', 11],
    ['system-oom', 12],
    ['eviction-and-oom', 13],
  ] as const) {
    it(`names the starved node (${variant})`, async () => {
      const { s, d } = await diagnoseGenerated(variant, seed);
      assert.equal(d.cause, 'node_pressure');
      assert.equal(d.pressureNode?.name, s.truth.pressureNode);
      assert.deepEqual(toJsonReport(d).pressureNode, { name: s.truth.pressureNode });
    });
  }

  it('points at the node incident thread the hooks find, by its structured key', async () => {
    const { s, d } = await diagnoseGenerated('eviction', 11);
    const node = s.truth.pressureNode as string;
    const asked: string[] = [];
    const store = {
      get: async (key: string) => {
        asked.push(key);
        return key === `prod-eu/node/${node}`
          ? { channel: 'CNODES', rootTs: '1700000000.000100' }
          : undefined;
      },
    } as unknown as AlertIncidentStore;
    const hooks = createAlertDiagnosisHooks({
      store,
      slack: {} as SlackPoster,
      logger: pino({ level: 'silent' }),
      enqueueUpdates: async () => undefined,
      approvalPending: async () => false,
      now: () => 0,
    });
    assert.equal(await hooks.nodeThreadFor(node, 'other'), undefined);
    const thread = await hooks.nodeThreadFor(node, 'prod-eu');
    assert.deepEqual(thread, { channel: 'CNODES', threadTs: '1700000000.000100' });
    const linked = { ...d, pressureNode: { name: node, incident: thread } };
    const evidence = JSON.stringify(renderThread(linked)[0]?.blocks);
    assert.match(evidence, /its node incident in <#CNODES>/);
    assert.match(evidence, /archives\/CNODES\/p1700000000000100\|thread/);
    assert.deepEqual(toJsonReport(linked).pressureNode?.incident, thread);
    const unlinked = JSON.stringify(renderThread(d)[0]?.blocks);
    assert.match(unlinked, new RegExp(`oom-bot diagnose --node ${node}`));
  });
});
