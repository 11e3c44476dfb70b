/** The scheduled digest's flow with a recording poster: one digest per channel, silence when nothing changed. */
import assert from 'node:assert/strict';
import type { Risk } from '../../../src/domain/forecast/types.ts';
import { runRiskDigest } from '../../../src/forecast/digest-job.ts';
import type { ScanResult } from '../../../src/forecast/scan.ts';
import { createMemoryRiskStateStore } from '../../../src/forecast/state-store.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../../src/slack/poster.ts';

const AT = Date.parse('2026-11-20T12:00:00Z') / 1000;

function risk(namespace: string, name: string, kind: Risk['risk'], eta: number | null): Risk {
  return {
    target: { namespace, workload: { kind: 'Deployment', name }, container: 'app' },
    risk: kind,
    etaSeconds: eta,
    evidence: ['e'],
    actions: [{ kind: 'patch_memory_limit', title: 'raise' }],
  };
}

/** The digest neither uploads nor responds: these fail the test if it did. */
const unused = {
  uploadPng: async () => assert.fail('the digest uploaded a file'),
  respond: async () => assert.fail('the digest responded to a URL'),
};

function recorder(): SlackPoster & { posts: Array<{ channel: string; text: string; thread?: string }> } {
  const posts: Array<{ channel: string; text: string; thread?: string }> = [];
  let n = 0;
  return {
    posts,
    async post(channel: string, message: SlackMessage, threadTs?: string) {
      posts.push({ channel, text: message.text, thread: threadTs });
      return `ts-${++n}`;
    },
    async update() {},
    ...unused,
  };
}

describe('runRiskDigest', () => {
  it('posts one digest per channel with a thread per workload, then nothing until something changes', async () => {
    const poster = recorder();
    const store = createMemoryRiskStateStore();
    let risks = [
      risk('pay', 'ledger', 'leak', 5 * 3600),
      risk('pay', 'api', 'near_limit', null),
      risk('web', 'ui', 'heap_above_limit', null),
    ];
    let at = AT;
    const deps = {
      scan: async (): Promise<ScanResult> => ({
        at,
        risks,
        cost: { containers: 3, candidates: 1, bulkQueries: 8, lists: 2, failed: 0 },
      }),
      store,
      poster,
      channelFor: (r: Risk) => (r.target.namespace === 'pay' ? 'C-PAY' : 'C-DEFAULT'),
      planFor: async (r: Risk) =>
        r.actions[0]?.kind === 'patch_memory_limit' ? `plan-${r.target.workload.name}` : undefined,
    };
    const first = await runRiskDigest(deps);
    assert.deepEqual(
      first.digests.map((d) => [d.channel, d.risks]),
      [
        ['C-PAY', 2],
        ['C-DEFAULT', 1],
      ],
    );
    const roots = poster.posts.filter((p) => !p.thread);
    assert.equal(roots.length, 2);
    assert.equal(poster.posts.filter((p) => p.thread === 'ts-1').length, 2);

    poster.posts.length = 0;
    at += 3600;
    const quiet = await runRiskDigest(deps);
    assert.deepEqual(quiet.digests, []);
    assert.equal(poster.posts.length, 0);

    at += 3600;
    risks = [...risks.slice(1), risk('pay', 'ledger', 'recent_kills', 600)];
    const worse = await runRiskDigest(deps);
    assert.deepEqual(
      worse.fresh.map((r) => r.target.workload.name),
      ['ledger'],
    );
    assert.equal(poster.posts.filter((p) => !p.thread).length, 1);
    assert.match(poster.posts[0]?.text ?? '', /1 new or worse risk/);
  });

  it('binds each plan to the thread message that shows it, then adds its buttons to that message', async () => {
    const poster = recorder();
    const updates: Array<{ channel: string; ts: string; message: SlackMessage }> = [];
    poster.update = async (channel, ts, message) => {
      updates.push({ channel, ts, message });
    };
    const places: Array<{ name: string; channel: string; messageTs: string; threadTs: string }> = [];
    await runRiskDigest({
      scan: async (): Promise<ScanResult> => ({
        at: AT,
        risks: [risk('pay', 'api', 'near_limit', null), risk('pay', 'ledger', 'leak', 3600)],
        cost: { containers: 2, candidates: 1, bulkQueries: 8, lists: 4, failed: 0 },
      }),
      store: createMemoryRiskStateStore(),
      poster,
      channelFor: () => 'C-PAY',
      planFor: async (r: Risk, where) => {
        places.push({ name: r.target.workload.name, ...where });
        return r.risk === 'near_limit' ? 'plan-api' : undefined;
      },
    });
    // ts-1 is the digest; ts-2 and ts-3 the thread messages of api and ledger
    assert.deepEqual(places, [
      { name: 'api', channel: 'C-PAY', messageTs: 'ts-2', threadTs: 'ts-1' },
      { name: 'ledger', channel: 'C-PAY', messageTs: 'ts-3', threadTs: 'ts-1' },
    ]);
    assert.equal(updates.length, 1, 'only the message whose risk got a plan is updated');
    assert.equal(updates[0]?.ts, 'ts-2');
    assert.match(JSON.stringify(updates[0]?.message.blocks), /"value":"plan-api"/);
  });

  it('keeps the state unchanged when a post fails, so the next scan reports it again', async () => {
    const store = createMemoryRiskStateStore();
    const failing: SlackPoster = {
      post: async () => {
        throw new Error('slack down');
      },
      update: async () => {},
      ...unused,
    };
    const deps = {
      scan: async (): Promise<ScanResult> => ({
        at: AT,
        risks: [risk('pay', 'ledger', 'leak', 3600)],
        cost: { containers: 1, candidates: 1, bulkQueries: 8, lists: 2, failed: 0 },
      }),
      store,
      poster: failing,
      channelFor: () => 'C1',
    };
    await assert.rejects(runRiskDigest(deps), /slack down/);
    assert.equal((await store.load()).size, 0);
    const poster = recorder();
    const again = await runRiskDigest({ ...deps, poster });
    assert.equal(again.fresh.length, 1);
  });
});
