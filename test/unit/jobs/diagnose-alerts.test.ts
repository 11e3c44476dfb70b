import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AlertDiagnosisHooks } from '../../../src/incidents/alert-diagnosis.ts';
import type { IncidentStore } from '../../../src/incidents/store.ts';
import type { DiagnoseJob } from '../../../src/jobs/diagnose-job.ts';
import { processDiagnose } from '../../../src/jobs/diagnose-processor.ts';
import type { DiagnoseJobData } from '../../../src/queues/payloads.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';
import type { KubeObject, MetricsSource } from '../../../src/sources/ports.ts';
import { createStaticLister } from '../../../src/sources/scenario.ts';
import { seedIncident } from '../../scenarios/generator.ts';

const objects = seedIncident().clusterObjects as KubeObject[];
const noMetrics = {
  name: 'none',
  queryRange: async () => {
    throw new Error('metrics must not be read');
  },
} as unknown as MetricsSource;

function job(data: DiagnoseJobData): DiagnoseJob {
  return {
    id: 'j1',
    data,
    attemptsMade: 0,
    opts: { attempts: 3 },
    async updateData(d) {
      this.data = d;
    },
  };
}

function harness(hooks: Partial<AlertDiagnosisHooks>) {
  const calls: string[] = [];
  const slack = {
    post: async (channel: string, m: { text: string }, thread?: string) => {
      calls.push(`post ${channel} ${thread ?? 'top'} ${m.text}`);
      return '1.0001';
    },
    update: async () => {
      calls.push('update');
    },
    respond: async (_url: string, m: { text: string }) => {
      calls.push(`respond ${m.text}`);
    },
  } as unknown as SlackPoster;
  const deps = {
    sourcesFor: () => ({ cluster: createStaticLister(objects, 'seed'), metrics: noMetrics }),
    now: () => 1,
    slack,
    incidents: { save: async () => undefined, get: async () => undefined } as IncidentStore,
    logger: pino({ level: 'silent' }),
    alerts: hooks as AlertDiagnosisHooks,
  };
  return { calls, deps };
}

const alertJob: DiagnoseJobData = {
  request: { name: 'auth-service', namespace: 'prod' },
  reply: { channel: 'COOM' },
  trigger: 'alert',
  requestedAt: 1,
  alert: { key: '/prod/auth-service/auth', openedAt: 5, generation: 1, alertname: 'KubeContainerOOMKilled' },
};

describe('processDiagnose: alert incidents', () => {
  it('does not run an alert diagnosis the incident declines (duplicate, superseded, approval pending)', async () => {
    const h = harness({ begin: async () => ({ proceed: false, reason: 'done' }) });
    assert.equal(await processDiagnose(job(alertJob), h.deps), undefined);
    assert.deepEqual(h.calls, []);
  });

  it('hands an unresolvable alert target to the incident (a root saying why), not to a private reply', async () => {
    const seen: string[] = [];
    const h = harness({
      begin: async () => ({ proceed: true }),
      targetProblem: async (_a, _r, request, reason) => {
        seen.push(`${request.name}: ${reason}`);
      },
    });
    const j = job({ ...alertJob, request: { name: 'missing-svc', namespace: 'prod' } });
    assert.equal(await processDiagnose(j, h.deps), undefined);
    assert.match(seen[0] ?? '', /^missing-svc: no service, workload or app label named missing-svc/);
    assert.deepEqual(h.calls, []);
    assert.equal(j.data.posted?.failed, true);
  });

  it('answers /oom privately, without a diagnosis, while the open incident’s plan awaits approval', async () => {
    const h = harness({
      openThreadFor: async () => ({ key: 'k', channel: 'COOM', rootTs: '9.1', approvalPending: true }),
    });
    const j = job({
      request: { name: 'auth-service', namespace: 'prod' },
      reply: { channel: 'CTYPED', responseUrl: 'http://127.0.0.1:9/r', userId: 'U1' },
      trigger: 'slash_command',
      requestedAt: 1,
    });
    assert.equal(await processDiagnose(j, h.deps), undefined);
    assert.equal(h.calls.length, 1);
    assert.match(
      h.calls[0] ?? '',
      /^respond :hourglass: prod\/auth-service has an open alert incident whose plan still awaits approval in <#COOM>/,
    );
  });

  it('refuses a Re-diagnose click too while the plan awaits approval, saying so in the incident thread', async () => {
    const h = harness({
      openThreadFor: async () => ({ key: 'k', channel: 'COOM', rootTs: '9.1', approvalPending: true }),
    });
    const j = job({
      request: { name: 'auth-service', namespace: 'prod' },
      reply: { channel: 'COOM', threadTs: '9.1', userId: 'U1' },
      trigger: 'button',
      requestedAt: 1,
    });
    assert.equal(await processDiagnose(j, h.deps), undefined);
    assert.equal(h.calls.length, 1);
    assert.match(h.calls[0] ?? '', /^post COOM 9\.1 :hourglass: .*plan still awaits approval/);
  });
});
