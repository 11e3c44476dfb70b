import assert from 'node:assert/strict';
import { pino } from 'pino';
import type {
  AlertIncidentState,
  AlertIncidentStore,
  RootSnapshot,
  UpdateRef,
} from '../../../src/contracts/alert-incident-types.ts';
import { processRootUpdate } from '../../../src/incidents/root-updates.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';

const silent = pino({ level: 'silent' });
const ref: UpdateRef = { key: 'k', openedAt: 100, seq: 3 };

function state(overrides: Partial<AlertIncidentState> = {}): AlertIncidentState {
  return {
    key: 'k',
    kind: 'workload',
    cluster: '',
    namespace: 'prod',
    workload: 'api',
    container: 'app',
    node: '',
    channel: 'C1',
    state: 'open',
    openedAt: 100,
    alerts: 5,
    resolvedCount: 0,
    reopens: 0,
    active: 5,
    pods: 2,
    generation: 1,
    doneGeneration: 1,
    rootTs: '1.0001',
    version: 9,
    renderedVersion: 7,
    ...overrides,
  };
}

function fakes(taken: { state: AlertIncidentState; snapshot?: RootSnapshot } | undefined, claim = true) {
  const calls: string[] = [];
  const store = {
    takeUpdate: async () => taken,
    claimRoot: async () => claim,
    setRootTs: async (_k: string, _o: number, ts: string) => {
      calls.push(`root ${ts}`);
      return true;
    },
    markRendered: async (_r: unknown, v: number) => {
      calls.push(`rendered ${v}`);
      return v < 10 ? { key: 'k', openedAt: 100, seq: 4 } : undefined;
    },
  } as unknown as AlertIncidentStore;
  const slack = {
    post: async (channel: string, m: SlackMessage) => {
      calls.push(`post ${channel} ${m.text}`);
      return '2.0001';
    },
    update: async (channel: string, ts: string) => {
      calls.push(`update ${channel} ${ts}`);
    },
  } as unknown as SlackPoster;
  const enqueued: UpdateRef[] = [];
  return {
    calls,
    enqueued,
    deps: {
      store,
      slack,
      logger: silent,
      now: () => 200,
      enqueue: async (r: UpdateRef[]) => void enqueued.push(...r),
    },
  };
}

describe('processRootUpdate: coalesced root-message updates', () => {
  it('updates the root in place and asks for a follow-up when the incident moved on meanwhile', async () => {
    const f = fakes({ state: state(), snapshot: { kind: 'problem', text: 'x' } });
    assert.equal(await processRootUpdate({ data: ref }, f.deps), 'updated');
    assert.deepEqual(f.calls, ['update C1 1.0001', 'rendered 9']);
    assert.deepEqual(f.enqueued, [{ key: 'k', openedAt: 100, seq: 4 }]);
  });

  it('leaves a workload root the diagnosis has not posted yet alone', async () => {
    const f = fakes({ state: state({ rootTs: undefined }) });
    assert.equal(await processRootUpdate({ data: ref }, f.deps), 'not_ready');
    assert.deepEqual(f.calls, []);
  });

  it('posts a node incident root once, and retries when another update holds the claim', async () => {
    const node = state({ kind: 'node', node: 'worker-1', rootTs: undefined, version: 12 });
    const f = fakes({ state: node });
    assert.equal(await processRootUpdate({ data: ref }, f.deps), 'posted');
    assert.match(f.calls[0] ?? '', /^post C1 node worker-1 under memory pressure/);
    assert.deepEqual(f.calls.slice(1), ['root 2.0001', 'rendered 12']);
    const busy = fakes({ state: node }, false);
    await assert.rejects(processRootUpdate({ data: ref }, busy.deps), /being posted by another update/);
    assert.deepEqual(busy.calls, []);
  });

  it('hands a node incident with a root to its node diagnosis, never a workload incident', async () => {
    const handed: Array<{ key: string; rootTs: string; node: string }> = [];
    const nodeRoot = async (s: AlertIncidentState & { rootTs: string }) =>
      void handed.push({ key: s.key, rootTs: s.rootTs, node: s.node });
    const fresh = fakes({ state: state({ kind: 'node', node: 'worker-1', rootTs: undefined }) });
    await processRootUpdate({ data: ref }, { ...fresh.deps, nodeRoot });
    assert.deepEqual(handed, [{ key: 'k', rootTs: '2.0001', node: 'worker-1' }], 'the root just posted');
    const later = fakes({ state: state({ kind: 'node', node: 'worker-1', rootTs: '1.0001' }) });
    await processRootUpdate({ data: ref }, { ...later.deps, nodeRoot });
    assert.equal(
      handed[1]?.rootTs,
      '1.0001',
      'an update hands it again (the queue keeps one job per incident)',
    );
    const workload = fakes({ state: state() });
    await processRootUpdate({ data: ref }, { ...workload.deps, nodeRoot });
    assert.equal(handed.length, 2);
  });

  it('does nothing for an incident that is gone or was replaced', async () => {
    const f = fakes(undefined);
    assert.equal(await processRootUpdate({ data: ref }, f.deps), 'gone');
  });
});
