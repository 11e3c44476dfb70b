/**
 * The node diagnosis behind a node incident: its evidence read with targeted calls only (the node
 * by GET, its pods by spec.nodeName, eviction Events by reason, working sets of exactly its pods),
 * ranked and advised, and posted in the incident's thread once, even when the job is retried.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { IncidentStore } from '../../../src/incidents/store.ts';
import type { DiagnoseJob } from '../../../src/jobs/diagnose-job.ts';
import { processDiagnose } from '../../../src/jobs/diagnose-processor.ts';
import { diagnoseNodeByName } from '../../../src/node-diagnosis-service.ts';
import { readNodeEvidence } from '../../../src/node-evidence.ts';
import { nodeDiagnosisJob } from '../../../src/queues/queues.ts';
import { toNodeJsonReport } from '../../../src/report.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';
import { parseOpenMetrics } from '../../../src/sources/openmetrics.ts';
import type { ListOptions, ObjectKind, ObjectLister } from '../../../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../../../src/sources/scenario.ts';
import {
  HOG,
  NODE,
  nodePressureObjects,
  nodePressureOpenMetrics,
} from '../../support/node-pressure-fixture.ts';

const AT = Date.parse('2026-12-06T09:00:00Z') / 1000;

/** The fixture's sources, the cluster reads recorded. */
function sources() {
  const lister = createStaticLister(nodePressureObjects(AT), 'fixture');
  const reads: string[] = [];
  const cluster: ObjectLister = {
    name: lister.name,
    list: (kind: ObjectKind, namespace?: string, options?: ListOptions) => {
      reads.push(
        `list ${kind} ${namespace ?? '*'} ${options?.fieldSelector ?? ''}${options?.labelSelector ?? ''}`,
      );
      return lister.list(kind, namespace, options);
    },
    get: (kind, namespace, name) => {
      reads.push(`get ${kind} ${name}`);
      return lister.get(kind, namespace, name);
    },
  };
  const metrics = createStaticMetrics(parseOpenMetrics(nodePressureOpenMetrics(AT)), 'fixture');
  return { reads, sources: { cluster, metrics } };
}

describe('node diagnosis: evidence, job and output', () => {
  it('reads only the node, its pods and their eviction events: never a list without a selector', async () => {
    const s = sources();
    const { evidence } = await readNodeEvidence(s.sources, { node: NODE, at: AT });
    for (const read of s.reads.filter((r) => r.startsWith('list')))
      assert.match(read, /=/, `an unfiltered list: ${read}`);
    assert.ok(s.reads.includes(`get Node ${NODE}`));
    assert.ok(s.reads.includes(`list Pod * spec.nodeName=${NODE}`));
    const names = evidence.pods.map((p) => p.name);
    assert.ok(!names.includes('api-7c9d8f-zzzzz'), 'a pod of another node is not counted');
    assert.ok(!names.includes('web-5f6d7-ccccc'), 'an evicted pod holds no memory');
    assert.deepEqual(
      evidence.evictions.map((e) => `${e.namespace}/${e.pod}`),
      ['shop/web-5f6d7-ccccc'],
    );
    const hog = evidence.pods.find((p) => p.name === HOG.pod);
    assert.equal(hog?.workingSetBytes, HOG.bytes, 'the peak working set of the last half hour');
    assert.equal(hog?.requestBytes, undefined);
    assert.equal(evidence.pods.find((p) => p.name === 'api-7c9d8f-aaaaa')?.workload, 'Deployment/api');
  });

  it('ranks the BestEffort hog first and advises raising its request, not the victims’ limits', async () => {
    const { diagnosis, missing } = await diagnoseNodeByName(sources().sources, { node: NODE, at: AT });
    assert.deepEqual(missing, []);
    assert.equal(diagnosis.pods[0]?.name, HOG.pod);
    assert.equal(diagnosis.overRequest[0]?.name, HOG.pod);
    assert.deepEqual(
      diagnosis.unrequested.map((p) => p.name),
      [HOG.pod],
    );
    assert.match(
      diagnosis.advice[0] ?? '',
      /raise the memory request of batch\/Job\/report-builder-28901 from no request/,
    );
    assert.ok(diagnosis.advice.some((a) => /spread shop\/Deployment\/api: 2 pods/.test(a)));
    const json = toNodeJsonReport(diagnosis, missing);
    assert.equal(json.node.name, NODE);
    assert.equal(json.node.pods[0]?.name, HOG.pod);
    assert.equal(json.evictions[0]?.pod, 'web-5f6d7-ccccc');
  });

  it('posts the node diagnosis in the incident thread once, and a retry continues where it stopped', async () => {
    const posted: string[] = [];
    let failAt = 2;
    const slack = {
      post: async (channel: string, m: { text: string }, thread?: string) => {
        if (posted.length === failAt) throw new Error('Slack hiccup');
        posted.push(`${channel} ${thread} ${m.text}`);
        return `9.000${posted.length}`;
      },
    } as unknown as SlackPoster;
    const { data } = nodeDiagnosisJob(
      { key: '/node/worker-1', openedAt: 5, node: NODE, cluster: '', channel: 'COOM', rootTs: '1.0001' },
      1000,
    );
    const job: DiagnoseJob = {
      id: 'node-1',
      data,
      attemptsMade: 0,
      opts: { attempts: 3 },
      async updateData(d) {
        this.data = d;
      },
    };
    const deps = {
      sourcesFor: () => sources().sources,
      now: () => AT,
      slack,
      incidents: {} as IncidentStore,
      logger: pino({ level: 'silent' }),
    };
    await assert.rejects(processDiagnose(job, deps), /Slack hiccup/);
    failAt = -1;
    assert.deepEqual(await processDiagnose(job, deps), { cause: 'node_pressure' });
    assert.equal(posted.length, 3, posted.join('\n'));
    assert.ok(
      posted.every((p) => p.startsWith('COOM 1.0001 ')),
      'all in the node incident thread',
    );
    assert.match(posted[0] ?? '', /Node diagnosis for worker-1: .*report-builder-28901-x7k2p/);
    assert.match(posted[1] ?? '', /Pods on worker-1/);
    assert.match(posted[2] ?? '', /What to do about worker-1: raise the memory request/);
  });

  it('says once in the thread that the node is gone, without retrying', async () => {
    const posted: string[] = [];
    const slack = {
      post: async (_c: string, m: { text: string }) => {
        posted.push(m.text);
        return '9.0001';
      },
    } as unknown as SlackPoster;
    const { data } = nodeDiagnosisJob(
      { key: '/node/gone', openedAt: 5, node: 'gone', cluster: '', channel: 'COOM', rootTs: '1.0001' },
      1000,
    );
    const job: DiagnoseJob = { id: 'n', data, attemptsMade: 0, opts: { attempts: 3 }, async updateData() {} };
    const deps = {
      sourcesFor: () => sources().sources,
      now: () => AT,
      slack,
      incidents: {} as IncidentStore,
      logger: pino({ level: 'silent' }),
    };
    assert.equal(await processDiagnose(job, deps), undefined);
    assert.equal(await processDiagnose(job, deps), undefined);
    assert.equal(posted.length, 1, 'said once');
    assert.match(posted[0] ?? '', /No node diagnosis: no node named gone/);
  });
});
