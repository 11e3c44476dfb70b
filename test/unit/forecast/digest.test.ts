/** What the scheduled scan posts: new or worse risks only, and the messages that carry them. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ActionsBlock } from '@slack/types';
import { diffRisks, riskKey, type SeenRisks } from '../../../src/domain/forecast/digest.ts';
import type { Risk } from '../../../src/domain/forecast/types.ts';
import { createMemoryRiskStateStore } from '../../../src/forecast/state-store.ts';
import { ACTION_IDS } from '../../../src/render/action-ids.ts';
import {
  offersApply,
  renderRiskDigest,
  renderRiskList,
  renderRiskThread,
} from '../../../src/render/blocks/risks.ts';
import { findViolations } from '../../../src/render/limits.ts';

const AT = Date.parse('2026-11-20T12:00:00Z') / 1000;
const HOUR = 3600;

function risk(name: string, kind: Risk['risk'], eta: number | null, container = 'app'): Risk {
  return {
    target: { namespace: 'shop', workload: { kind: 'Deployment', name }, container },
    risk: kind,
    etaSeconds: eta,
    evidence: [`${name} evidence with *stars* and <tags>`],
    actions: [
      {
        kind: kind === 'leak' ? 'investigate_leak' : 'patch_memory_limit',
        title: `Fix ${name}`,
        command: `kubectl -n shop patch deployment/${name}`,
      },
    ],
  };
}

describe('diffRisks', () => {
  it('reports everything on the first scan and nothing when nothing changed', () => {
    const risks = [risk('cart', 'leak', 10 * HOUR), risk('search', 'near_limit', null)];
    const first = diffRisks(new Map(), risks, AT);
    assert.equal(first.fresh.length, 2);
    const again = diffRisks(
      first.next,
      [risk('cart', 'leak', 9 * HOUR), risk('search', 'near_limit', null)],
      AT + HOUR,
    );
    assert.deepEqual(again.fresh, []);
  });

  it('reports a workload again when its kill comes much sooner than the last scan expected', () => {
    const first = diffRisks(new Map(), [risk('cart', 'leak', 10 * HOUR)], AT);
    // expected 9 h an hour later; 3 h is worse than half of that
    const worse = diffRisks(first.next, [risk('cart', 'leak', 3 * HOUR)], AT + HOUR);
    assert.deepEqual(
      worse.fresh.map((r) => r.target.workload.name),
      ['cart'],
    );
    assert.equal(worse.next.get(riskKey(worse.fresh[0]!.target))?.etaSeconds, 3 * HOUR);
  });

  it('reports a more urgent kind, but not a milder one', () => {
    const first = diffRisks(new Map(), [risk('cart', 'near_limit', null)], AT);
    assert.equal(diffRisks(first.next, [risk('cart', 'recent_kills', null)], AT + HOUR).fresh.length, 1);
    const killed = diffRisks(new Map(), [risk('cart', 'recent_kills', null)], AT);
    assert.equal(diffRisks(killed.next, [risk('cart', 'near_limit', null)], AT + HOUR).fresh.length, 0);
  });

  it('forgets a risk that went away, so its return is new', () => {
    const first = diffRisks(new Map(), [risk('cart', 'near_limit', null)], AT);
    const gone = diffRisks(first.next, [], AT + HOUR);
    assert.equal(gone.next.size, 0);
    assert.equal(diffRisks(gone.next, [risk('cart', 'near_limit', null)], AT + 2 * HOUR).fresh.length, 1);
  });

  it('compares a slow slide with what was reported, not with the last scan', () => {
    let state: SeenRisks = diffRisks(new Map(), [risk('cart', 'leak', 10 * HOUR)], AT).next;
    // each hour 20 % sooner than the hour before expected: never half, but it adds up
    const etas = [7, 4.5, 2.5];
    const reported: number[] = [];
    etas.forEach((eta, i) => {
      const d = diffRisks(state, [risk('cart', 'leak', eta * HOUR)], AT + (i + 1) * HOUR);
      if (d.fresh.length > 0) reported.push(eta);
      state = d.next;
    });
    // 3 h after the report, 7 h were expected: 2.5 h is the first under half of that
    assert.deepEqual(reported, [2.5]);
  });

  it('round-trips through the memory store', async () => {
    const store = createMemoryRiskStateStore();
    const { next } = diffRisks(new Map(), [risk('cart', 'leak', HOUR)], AT);
    await store.save(next);
    assert.deepEqual([...(await store.load())], [...next]);
  });
});

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
function golden(name: string, actual: unknown): void {
  const file = new URL(`${name}.json`, GOLDEN_DIR);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  const expected = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepStrictEqual(actual, expected, `${name}.json differs: review, then run with UPDATE_GOLDEN=1`);
}

describe('risk messages', () => {
  const risks = [
    risk('cart', 'leak', 3 * HOUR),
    risk('search', 'near_limit', null),
    risk('auth', 'heap_above_limit', null),
  ];

  it('renders the digest, a thread and the slash answer as stored', () => {
    golden('risk-digest', renderRiskDigest(risks, { at: AT, scope: 'prod-eu' }));
    golden('risk-thread', renderRiskThread(risks[1] as Risk, { planId: 'plan-1' }));
    golden('risk-list', renderRiskList(risks, { at: AT, namespace: 'shop' }));
  });

  it('escapes what comes from the cluster', () => {
    const text = JSON.stringify(renderRiskThread(risks[0] as Risk));
    assert.ok(text.includes('&lt;tags&gt;') && !text.includes('<tags>'));
  });

  it('offers Apply and Preview only for a memory change with a stored plan', () => {
    const buttons = (m: ReturnType<typeof renderRiskThread>) =>
      (m.blocks.find((b) => b.type === 'actions') as ActionsBlock | undefined)?.elements.map(
        (e) => e.action_id,
      ) ?? [];
    assert.deepEqual(buttons(renderRiskThread(risks[1] as Risk, { planId: 'p' })), [
      ACTION_IDS.apply,
      ACTION_IDS.preview,
    ]);
    assert.deepEqual(buttons(renderRiskThread(risks[1] as Risk)), []);
    assert.deepEqual(buttons(renderRiskThread(risks[0] as Risk, { planId: 'p' })), []);
  });

  it('stays within the Block Kit limits with hundreds of risks and long names', () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      risk(`${'w'.repeat(200)}-${i}`, 'leak', i * 60, 'c'.repeat(300)),
    );
    for (const m of [
      renderRiskDigest(many, { at: AT }),
      renderRiskList(many, { at: AT }),
      renderRiskThread(many[0] as Risk),
    ]) {
      assert.deepEqual(findViolations(m.blocks), []);
    }
    assert.match(JSON.stringify(renderRiskDigest(many, { at: AT })), /and 380 more/);
  });

  it('says where the Apply / Preview of the memory fixes are, only when they are posted in the thread', () => {
    const threaded = renderRiskList(risks, { at: AT, namespace: 'shop', threaded: true });
    assert.match(JSON.stringify(threaded.blocks), /each memory fix is in the thread, with Apply \/ Preview/);
    assert.doesNotMatch(JSON.stringify(renderRiskList(risks, { at: AT })), /in the thread/);
    // a leak's fix (a heap profile) is no change a button makes
    const leakOnly = renderRiskList([risks[0] as Risk], { at: AT, threaded: true });
    assert.doesNotMatch(JSON.stringify(leakOnly), /in the thread/);
    assert.deepEqual(
      risks.map((r) => offersApply(r)),
      [false, true, true],
    );
  });

  it('says so when nothing is at risk', () => {
    assert.match(renderRiskList([], { at: AT, namespace: 'shop' }).text, /No container in shop is at risk/);
  });
});
