import assert from 'node:assert/strict';
import { pino } from 'pino';
import type {
  AlertIncidentState,
  AlertIncidentStore,
  RootSnapshot,
  UpdateRef,
} from '../../../src/contracts/alert-incident-types.ts';
import { createAlertDiagnosisHooks } from '../../../src/incidents/alert-diagnosis.ts';
import type { AlertJobInfo } from '../../../src/queues/payloads.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';
import { buildTarget } from '../../support/diagnosis-builder.ts';

const alert = (generation: number): AlertJobInfo => ({
  key: '/prod/auth-service/auth',
  openedAt: 1000,
  generation,
  alertname: 'KubeContainerOOMKilled',
  pod: 'auth-service-7d9f8b6c5d-x2x9z',
});

function setup(opts: { verdict?: string; planId?: string; pending?: boolean; rootTs?: string } = {}) {
  const calls: string[] = [];
  const finished: Array<{ snapshot?: RootSnapshot; renderedVersion: number }> = [];
  const enqueued: UpdateRef[] = [];
  const store = {
    beginDiagnosis: async () =>
      opts.verdict && opts.verdict !== 'ok'
        ? { proceed: false, reason: opts.verdict }
        : { proceed: true, ...(opts.planId ? { planId: opts.planId } : {}) },
    finishDiagnosis: async (_ref: unknown, result: { snapshot?: RootSnapshot; renderedVersion: number }) => {
      finished.push(result);
      return { key: 'k', openedAt: 1000, seq: 1 };
    },
    get: async () => ({ rootTs: opts.rootTs, openedAt: 1000 }) as AlertIncidentState,
    rootPosted: async (_r: unknown, ts: string) => {
      calls.push(`rootPosted ${ts}`);
    },
    openThreadFor: async () => ({
      key: 'k',
      channel: 'C1',
      rootTs: '1.1',
      ...(opts.planId ? { planId: opts.planId } : {}),
    }),
  } as unknown as AlertIncidentStore;
  const slack = {
    post: async (channel: string, m: SlackMessage, thread?: string) => {
      calls.push(`post ${channel} ${thread ?? 'top'} ${m.text}`);
      return '9.0001';
    },
  } as unknown as SlackPoster;
  const hooks = createAlertDiagnosisHooks({
    store,
    slack,
    logger: pino({ level: 'silent' }),
    enqueueUpdates: async (refs) => void enqueued.push(...refs),
    approvalPending: async () => opts.pending ?? false,
    now: () => 5000,
  });
  return { hooks, calls, finished, enqueued };
}

describe('alert diagnosis hooks', () => {
  it('runs a first diagnosis, and skips duplicates and superseded ones', async () => {
    assert.deepEqual(await setup().hooks.begin(alert(1), { channel: 'C1' }), { proceed: true });
    assert.equal((await setup({ verdict: 'done' }).hooks.begin(alert(1), { channel: 'C1' })).proceed, false);
    assert.equal(
      (await setup({ verdict: 'superseded' }).hooks.begin(alert(1), { channel: 'C1' })).reason,
      'superseded',
    );
  });

  it('never gives an incident whose plan awaits approval a second diagnosis, and says so in the thread', async () => {
    const s = setup({ planId: 'plan-1', pending: true });
    const r = await s.hooks.begin(alert(2), { channel: 'C1', threadTs: '1.1' });
    assert.deepEqual(r, { proceed: false, reason: 'approval_pending' });
    assert.match(
      s.calls[0] ?? '',
      /^post C1 1\.1 :repeat: The alert fired again\. The plan above still awaits approval/,
    );
    assert.equal(s.finished.length, 1, 'the generation is finished, so the incident is not left busy');
    assert.equal(s.enqueued.length, 1, 'the root gets its update');
  });

  it('diagnoses a re-fire again once the plan was approved or expired', async () => {
    const s = setup({ planId: 'plan-1', pending: false });
    assert.deepEqual(await s.hooks.begin(alert(2), { channel: 'C1', threadTs: '1.1' }), { proceed: true });
  });

  it('posts one root for an alert whose target cannot be found, and keeps it for later updates', async () => {
    const s = setup();
    await s.hooks.targetProblem(
      alert(1),
      { channel: 'C1' },
      { name: 'auth-service', namespace: 'prod' },
      'no service named auth-service',
    );
    assert.match(
      s.calls[0] ?? '',
      /^post C1 top Alert for KubeContainerOOMKilled for prod\/auth-service \(pod auth-service-7d9f8b6c5d-x2x9z\): no service/,
    );
    assert.equal(s.calls[1], 'rootPosted 9.0001');
    assert.equal(s.finished[0]?.snapshot?.kind, 'problem');
    const again = setup({ rootTs: '9.0001' });
    await again.hooks.targetProblem(alert(1), { channel: 'C1' }, { name: 'auth-service' }, 'gone');
    assert.equal(again.calls.length, 0, 'a retry does not post a second root');
  });

  it('finds the open thread for /oom and whether its plan awaits approval', async () => {
    const s = setup({ planId: 'plan-1', pending: true });
    assert.deepEqual(await s.hooks.openThreadFor(buildTarget()), {
      key: 'k',
      channel: 'C1',
      rootTs: '1.1',
      planId: 'plan-1',
      approvalPending: true,
    });
  });
});
