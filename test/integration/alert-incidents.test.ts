/**
 * The alert incident store's Lua scripts against a real Redis: one incident per target,
 * idempotent counting of Alertmanager re-sends, resolve, reopen within the window, a new
 * incident after it, coalesced root updates, and jobs handed out until confirmed.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { AlertTarget } from '../../src/alert-labels/target.ts';
import type {
  AlertIncidentState,
  AlertIncidentStore,
  IntakeAlert,
  IntakeIncident,
} from '../../src/contracts/alert-incident-types.ts';
import { createAlertIncidentStore } from '../../src/incidents/alert-incidents.ts';
import { incidentStatus } from '../../src/render/blocks/incident.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3600_000;
const WINDOW = 2 * HOUR;
const T0 = Date.parse('2026-11-24T09:00:00Z');

const api: AlertTarget = {
  kind: 'workload',
  cluster: '',
  namespace: 'prod',
  workload: 'api',
  container: 'app',
};
const KEY = '/prod/api/app';

function firing(fp: string, startsAt = T0, pod = `api-6b5f4c8d9-${fp}`): IntakeAlert {
  return { fingerprint: fp, startsAt, status: 'firing', pod };
}
function resolved(fp: string, startsAt = T0, endsAt = startsAt + 60_000): IntakeAlert {
  return { fingerprint: fp, startsAt, endsAt, status: 'resolved' };
}
function incident(alerts: IntakeAlert[], target: AlertTarget = api, key = KEY): IntakeIncident {
  return { key, target, channel: 'C1', alerts };
}

describe('alert incident store (real Redis)', function () {
  this.timeout(60_000); // a hang guard, not a speed limit
  let redis: Redis;
  let store: AlertIncidentStore;
  let prefix: string;

  before(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    prefix = `oom-alert-it-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
    store = createAlertIncidentStore(redis, prefix);
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  after(() => redis.disconnect());

  it('opens one incident for the first alert and hands out its diagnosis until confirmed', async () => {
    const [first] = await store.record([incident([firing('a')])], T0, WINDOW);
    assert.equal(first?.lifecycle, 'opened');
    assert.equal(first?.counted, 1);
    assert.deepEqual(first?.diagnose, { key: KEY, openedAt: T0, generation: 1, channel: 'C1' });
    // Alertmanager re-sends the group (the 202 was lost): counted once, the job handed out again
    const [again] = await store.record([incident([firing('a')])], T0 + 1000, WINDOW);
    assert.equal(again?.counted, 0);
    assert.equal(again?.lifecycle, 'unchanged');
    assert.equal(again?.diagnose?.generation, 1);
    await store.confirm([{ key: KEY, generation: 1 }]);
    const [confirmed] = await store.record([incident([firing('a')])], T0 + 2000, WINDOW);
    assert.equal(confirmed?.diagnose, undefined);
  });

  it('counts repeats and other pods once each per (fingerprint, startsAt)', async () => {
    await store.record([incident([firing('a'), firing('b')])], T0, WINDOW);
    await store.record([incident([firing('a'), firing('b'), firing('c', T0 + 5000)])], T0 + 5000, WINDOW);
    // the same pod killed again later is a new alert instance: new startsAt
    await store.record([incident([firing('a', T0 + 60_000)])], T0 + 60_000, WINDOW);
    const s = await store.get(KEY);
    assert.equal(s?.alerts, 4);
    assert.equal(s?.pods, 3);
    assert.equal(s?.lastSeenAt, T0 + 60_000);
    assert.equal(s?.state, 'open');
  });

  it('resolves when every alert is resolved, at the last end time, once', async () => {
    await store.record([incident([firing('a'), firing('b')])], T0, WINDOW);
    const [partly] = await store.record([incident([resolved('a')])], T0 + 70_000, WINDOW);
    assert.equal(partly?.lifecycle, 'updated');
    assert.equal((await store.get(KEY))?.state, 'open');
    const [all] = await store.record(
      [incident([resolved('a'), resolved('b', T0, T0 + 90_000)])],
      T0 + 95_000,
      WINDOW,
    );
    assert.equal(all?.lifecycle, 'resolved');
    assert.equal(all?.resolvedNow, 1);
    const s = await store.get(KEY);
    assert.equal(s?.state, 'resolved');
    assert.equal(s?.resolvedAt, T0 + 90_000);
    assert.equal(s?.alerts, 2, 'resolutions are not new alerts');
    const [repeat] = await store.record([incident([resolved('b', T0, T0 + 90_000)])], T0 + 99_000, WINDOW);
    assert.equal(repeat?.lifecycle, 'unchanged');
  });

  it('matches a resolve without startsAt (startsAt = endsAt) to the firing alert by fingerprint', async () => {
    await store.record([incident([firing('a'), firing('b')])], T0, WINDOW);
    const end = T0 + 120_000;
    const [first] = await store.record([incident([resolved('a', end, end)])], end, WINDOW);
    assert.equal(first?.counted, 0, 'not a new alert');
    assert.equal(first?.resolvedNow, 1);
    const [all] = await store.record(
      [incident([resolved('a', end, end), resolved('b', end + 1000, end + 1000)])],
      end + 1000,
      WINDOW,
    );
    assert.equal(all?.lifecycle, 'resolved');
    const s = await store.get(KEY);
    assert.equal(s?.alerts, 2, 'still 2 alerts, both resolved');
    assert.equal(s?.resolvedCount, 2);
    assert.equal(s?.active, 0);
    const [repeat] = await store.record(
      [incident([resolved('b', end + 1000, end + 1000)])],
      end + 5000,
      WINDOW,
    );
    assert.equal(repeat?.lifecycle, 'unchanged', 'a re-sent resolve changes nothing');
  });

  it('keeps how many alerts the notification left out (truncatedAlerts) and says it on the root', async () => {
    await store.record([{ ...incident([firing('a')]), truncated: 6 }], T0, WINDOW);
    const s = await store.get(KEY);
    assert.equal(s?.truncated, 6);
    assert.match(
      incidentStatus(s as AlertIncidentState, T0),
      /6 alerts not delivered by Alertmanager: raise max_alerts/,
    );
    await store.record([{ ...incident([firing('a')]), truncated: 0 }], T0 + 1000, WINDOW);
    const later = await store.get(KEY);
    assert.doesNotMatch(incidentStatus(later as AlertIncidentState, T0), /not delivered/);
  });

  it('ignores a late re-send of the firing state after the resolution', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    await store.record([incident([resolved('a')])], T0 + 60_000, WINDOW);
    const [late] = await store.record([incident([firing('a')])], T0 + 61_000, WINDOW);
    assert.equal(late?.lifecycle, 'unchanged');
    assert.equal((await store.get(KEY))?.state, 'resolved');
  });

  it('reopens the same thread on a re-fire within the window, with a new diagnosis there', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    const ref = { key: KEY, openedAt: T0, generation: 1 };
    await store.rootPosted(ref, '111.000100', 'inc-1');
    await store.finishDiagnosis(ref, { renderedVersion: 1, planId: 'plan-1' });
    await store.record([incident([resolved('a')])], T0 + 60_000, WINDOW);
    const [reopen] = await store.record([incident([firing('a', T0 + HOUR)])], T0 + HOUR, WINDOW);
    assert.equal(reopen?.lifecycle, 'reopened');
    assert.deepEqual(reopen?.diagnose, {
      key: KEY,
      openedAt: T0,
      generation: 2,
      channel: 'C1',
      threadTs: '111.000100',
    });
    assert.ok(reopen?.update, 'the root gets a "re-fired" update');
    const s = await store.get(KEY);
    assert.equal(s?.reopens, 1);
    assert.equal(s?.alerts, 2);
    assert.equal(s?.planId, 'plan-1');
    assert.deepEqual(await store.beginDiagnosis({ key: KEY, openedAt: T0, generation: 2 }), {
      proceed: true,
      planId: 'plan-1',
    });
  });

  it('does not start a second diagnosis while the first is still running', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    await store.rootPosted({ key: KEY, openedAt: T0, generation: 1 }, '111.000100', 'inc-1');
    await store.record([incident([resolved('a')])], T0 + 10_000, WINDOW);
    const [reopen] = await store.record([incident([firing('a', T0 + 20_000)])], T0 + 20_000, WINDOW);
    assert.equal(reopen?.lifecycle, 'reopened');
    assert.equal(reopen?.diagnose?.generation, 1, 'still the first diagnosis, not a second');
  });

  it('opens a new incident (a new thread) after the reopen window', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    await store.rootPosted({ key: KEY, openedAt: T0, generation: 1 }, '111.000100', 'inc-1');
    await store.record([incident([resolved('a')])], T0 + 60_000, WINDOW);
    const later = T0 + 60_000 + WINDOW + 1000;
    const [fresh] = await store.record([incident([firing('a', later)])], later, WINDOW);
    assert.equal(fresh?.lifecycle, 'opened');
    assert.deepEqual(fresh?.diagnose, { key: KEY, openedAt: later, generation: 2, channel: 'C1' });
    const s = await store.get(KEY);
    assert.equal(s?.alerts, 1);
    assert.equal(s?.rootTs, undefined);
    // the old incarnation's diagnosis is superseded
    assert.equal(
      (await store.beginDiagnosis({ key: KEY, openedAt: T0, generation: 1 })).reason,
      'superseded',
    );
  });

  it('coalesces root updates: one job per burst until it takes the state', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    const ref = { key: KEY, openedAt: T0, generation: 1 };
    await store.rootPosted(ref, '111.000100', 'inc-1');
    const done = await store.finishDiagnosis(ref, {
      renderedVersion: 1,
      snapshot: { kind: 'problem', text: 'x' },
    });
    assert.equal(done, undefined, 'nothing new since the diagnosis rendered');
    const seqs = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const [o] = await store.record([incident([firing(`p${i}`)])], T0 + i, WINDOW);
      if (o?.update) seqs.add(o.update.seq);
    }
    assert.deepEqual([...seqs], [1], 'ten alerts, one update job');
    await store.confirm([{ key: KEY, seq: 1 }]);
    const [quiet] = await store.record([incident([firing('q')])], T0 + 20, WINDOW);
    assert.equal(quiet?.update, undefined, 'the pending job will render this one too');
    const taken = await store.takeUpdate({ key: KEY, openedAt: T0, seq: 1 });
    assert.equal(taken?.state.alerts, 12);
    assert.deepEqual(taken?.snapshot, { kind: 'problem', text: 'x' });
    const [after] = await store.record([incident([firing('r')])], T0 + 30, WINDOW);
    assert.equal(after?.update?.seq, 2, 'after the take, the next change gets a new job');
    // the update rendered an older version: it points at the pending job (same id, deduplicated)
    const follow = await store.markRendered({ key: KEY, openedAt: T0 }, taken?.state.version ?? 0);
    assert.equal(follow?.seq, 2);
    await store.confirm([{ key: KEY, seq: 2 }]);
    assert.equal(
      await store.markRendered({ key: KEY, openedAt: T0 }, (taken?.state.version ?? 0) + 1),
      undefined,
    );
  });

  it('asks for an update when alerts arrived while the diagnosis rendered', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    const ref = { key: KEY, openedAt: T0, generation: 1 };
    await store.rootPosted(ref, '111.000100', 'inc-1');
    const version = (await store.get(KEY))?.version ?? 0;
    await store.record([incident([firing('b')])], T0 + 1, WINDOW);
    const next = await store.finishDiagnosis(ref, { renderedVersion: version });
    assert.ok(next);
    assert.equal((await store.beginDiagnosis(ref)).reason, 'done');
  });

  it('keeps node incidents apart and lets one update post their root', async () => {
    const node: AlertTarget = { kind: 'node', cluster: '', node: 'worker-1' };
    const [o] = await store.record([incident([firing('n', T0, '')], node, '/node/worker-1')], T0, WINDOW);
    assert.equal(o?.diagnose, undefined, 'no workload to diagnose');
    assert.ok(o?.update, 'the update job posts the root');
    assert.equal(await store.claimRoot('/node/worker-1', T0, T0), true);
    assert.equal(await store.claimRoot('/node/worker-1', T0, T0 + 1000), false);
    assert.equal(await store.setRootTs('/node/worker-1', T0, '5.000100'), true);
    assert.equal(await store.setRootTs('/node/worker-1', T0, '6.000100'), false);
  });

  it('finds the open thread of a workload for /oom, and forgets it once resolved', async () => {
    await store.record([incident([firing('a')])], T0, WINDOW);
    assert.equal(await store.openThreadFor({ namespace: 'prod', workload: 'api' }), undefined, 'no root yet');
    await store.rootPosted({ key: KEY, openedAt: T0, generation: 1 }, '111.000100', 'inc-1');
    assert.deepEqual(await store.openThreadFor({ namespace: 'prod', workload: 'api' }), {
      key: KEY,
      channel: 'C1',
      rootTs: '111.000100',
    });
    assert.equal(
      await store.openThreadFor({ namespace: 'prod', workload: 'api', cluster: 'eu-1' }),
      undefined,
    );
    await store.record([incident([resolved('a')])], T0 + 60_000, WINDOW);
    assert.equal(await store.openThreadFor({ namespace: 'prod', workload: 'api' }), undefined);
  });

  it('applies concurrent deliveries atomically', async () => {
    const deliveries = Array.from({ length: 40 }, (_, i) =>
      store.record([incident([firing(`c${i % 20}`), firing('shared')])], T0 + i, WINDOW),
    );
    const outcomes = (await Promise.all(deliveries)).flat();
    assert.equal(outcomes.filter((o) => o.lifecycle === 'opened').length, 1);
    assert.equal(
      outcomes.reduce((n, o) => n + o.counted, 0),
      21,
    );
    assert.equal((await store.get(KEY))?.alerts, 21);
  });
});
