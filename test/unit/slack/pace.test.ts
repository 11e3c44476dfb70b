/**
 * Slack pacing: chat.update's budget for the workspace is never exceeded, updates of one message
 * are coalesced (the latest content wins, every caller settles), verdicts go ahead of routine
 * updates, and a channel's new root goes ahead of thread replies waiting there. Virtual time.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createPostLane, createUpdateScheduler, createWindowBudget } from '../../../src/slack/pace.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('Slack pacing', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.restore());

  function scheduler(limit: number, reserve: number, fingerprint?: (m: string) => string) {
    const sent: Array<{ at: number; channel: string; ts: string; message: string }> = [];
    let failNext = false;
    const s = createUpdateScheduler<string>({
      budget: createWindowBudget(limit, 60_000),
      reserve,
      channelIntervalMs: 1000,
      messageIntervalMs: 3000,
      sleep,
      ...(fingerprint ? { fingerprint } : {}),
      send: async (channel, ts, message) => {
        if (failNext) {
          failNext = false;
          throw new Error('slack answered 500');
        }
        sent.push({ at: Date.now(), channel, ts, message });
      },
    });
    return { s, sent, failOnce: () => (failNext = true) };
  }

  it('makes no call for an update to the content a message already shows, and sends a change or a retry of a failure', async () => {
    const { s, sent, failOnce } = scheduler(50, 0, (m) => m);
    await Promise.all([
      s.update({ channel: 'C1', ts: '1.0', message: 'verdict', urgent: true }),
      clock.tickAsync(10),
    ]);
    // the sender asks for the same verdict the diagnose job already showed
    await Promise.all([
      s.update({ channel: 'C1', ts: '1.0', message: 'verdict', urgent: true }),
      clock.tickAsync(5000),
    ]);
    assert.deepEqual(
      sent.map((c) => c.message),
      ['verdict'],
    );
    // the same content in another message is another update
    await Promise.all([
      s.update({ channel: 'C1', ts: '2.0', message: 'verdict', urgent: true }),
      clock.tickAsync(5000),
    ]);
    // a change is sent; after a failed send the same content is tried again
    failOnce();
    const failed = s.update({ channel: 'C1', ts: '1.0', message: 'verdict, 2 alerts', urgent: true });
    await clock.tickAsync(5000);
    await assert.rejects(failed, /500/);
    await Promise.all([
      s.update({ channel: 'C1', ts: '1.0', message: 'verdict, 2 alerts', urgent: true }),
      clock.tickAsync(5000),
    ]);
    assert.deepEqual(
      sent.map((c) => `${c.ts} ${c.message}`),
      ['1.0 verdict', '2.0 verdict', '1.0 verdict, 2 alerts'],
    );
  });

  it('without a fingerprint, sends every update even when the content repeats', async () => {
    const { s, sent } = scheduler(50, 0);
    for (let i = 0; i < 2; i++)
      await Promise.all([
        s.update({ channel: 'C1', ts: '1.0', message: 'verdict', urgent: true }),
        clock.tickAsync(5000),
      ]);
    assert.equal(sent.length, 2);
  });

  /** The most calls in any window of `windowMs`. */
  const mostInWindow = (times: number[], windowMs: number) =>
    Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

  it('keeps chat.update within its budget for the workspace, whatever the burst', async () => {
    const { s, sent } = scheduler(5, 0);
    const done = Array.from({ length: 12 }, (_, i) =>
      s.update({ channel: `C${i % 4}`, ts: `${i}.0`, message: `verdict ${i}`, urgent: true }),
    );
    await clock.tickAsync(200_000);
    await Promise.all(done);
    assert.equal(sent.length, 12, 'every update was sent');
    assert.ok(
      mostInWindow(
        sent.map((c) => c.at),
        60_000,
      ) <= 5,
      'at most 5 in any minute',
    );
  });

  it('coalesces updates of one message: the latest content is sent, every caller settles', async () => {
    const { s, sent } = scheduler(50, 0);
    const first = s.update({ channel: 'C1', ts: '1.0', message: 'alerts: 1', urgent: false });
    await clock.tickAsync(10);
    const later = ['alerts: 2', 'alerts: 3', 'alerts: 4'].map((message) =>
      s.update({ channel: 'C1', ts: '1.0', message, urgent: false }),
    );
    await clock.tickAsync(10_000);
    await Promise.all([first, ...later]);
    assert.deepEqual(
      sent.map((c) => c.message),
      ['alerts: 1', 'alerts: 4'],
    );
    assert.ok((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0) >= 3000, 'routine updates of a message 3 s apart');
  });

  it('sends a verdict ahead of routine updates that wait for the budget', async () => {
    const { s, sent } = scheduler(4, 2);
    // routine updates may use 2 of the 4 calls of a minute
    const routine = ['a', 'b', 'c'].map((m, i) =>
      s.update({ channel: `C${i}`, ts: `${i}.0`, message: `progress ${m}`, urgent: false }),
    );
    await clock.tickAsync(5000);
    assert.equal(sent.length, 2, 'the third routine update waits');
    const verdict = s.update({ channel: 'C9', ts: '9.0', message: 'verdict', urgent: true });
    await clock.tickAsync(100);
    await verdict;
    assert.equal(sent[2]?.message, 'verdict', 'the verdict did not wait for the routine one');
    await clock.tickAsync(120_000);
    await Promise.all(routine);
    assert.equal(sent.length, 4);
  });

  it('holds routine updates while other roots await their verdicts, and keeps the budget for them', async () => {
    const { s, sent } = scheduler(4, 0);
    s.expect('C0', '0.0');
    await clock.tickAsync(3000);
    await s.update({ channel: 'C0', ts: '0.0', message: 'progress 0', urgent: false });
    assert.equal(sent.at(-1)?.message, 'progress 0', 'a lone root shows its progress');
    for (const ts of ['1.0', '2.0', '3.0']) s.expect('C1', ts);
    const progress = s.update({ channel: 'C1', ts: '1.0', message: 'progress 1', urgent: false });
    await clock.tickAsync(5000);
    assert.equal(sent.length, 1, 'in a storm, progress yields to the verdicts');
    const verdicts = ['1.0', '2.0', '3.0'].map((ts) =>
      s.update({ channel: 'C1', ts, message: `verdict ${ts}`, urgent: true }),
    );
    await clock.tickAsync(5000);
    await Promise.all([progress, ...verdicts]);
    assert.deepEqual(
      sent.slice(1).map((c) => c.message),
      ['verdict 1.0', 'verdict 2.0', 'verdict 3.0'],
      "the verdict replaced the root's waiting progress",
    );
    const counters = s.update({ channel: 'C1', ts: '2.0', message: 'counters', urgent: false });
    await clock.tickAsync(120_000);
    await counters;
    assert.equal(sent.at(-1)?.message, 'counters', 'routine updates go once the window allows');
    assert.ok(
      mostInWindow(
        sent.map((c) => c.at),
        60_000,
      ) <= 4,
    );
  });

  it("lets a channel's new root go ahead of the thread replies waiting there, one per interval", async () => {
    const lane = createPostLane(1000, sleep);
    const order: Array<{ what: string; at: number }> = [];
    const post = (what: string, urgent: boolean) =>
      lane.push(async () => {
        order.push({ what, at: Date.now() });
      }, urgent);
    const all = [post('reply 1', false), post('reply 2', false), post('reply 3', false)];
    await clock.tickAsync(10);
    all.push(post('root B', true));
    await clock.tickAsync(10_000);
    await Promise.all(all);
    assert.deepEqual(
      order.map((o) => o.what),
      ['reply 1', 'root B', 'reply 2', 'reply 3'],
    );
    for (let i = 1; i < order.length; i++)
      assert.ok((order[i]?.at ?? 0) - (order[i - 1]?.at ?? 0) >= 1000, 'one per second');
  });
});
