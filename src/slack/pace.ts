/**
 * The pacing primitives of the Slack sender: a sliding-window budget (at most N calls in any
 * window, for Slack's per-workspace method tiers), a per-channel lane that spaces posts and lets
 * top-level posts go before thread replies, and a coalescing scheduler of message updates where
 * the latest content of a message wins.
 */

export type Sleep = (ms: number) => Promise<void>;

/** At most `limit` calls in any `windowMs`: how long until the next one may go. */
export interface WindowBudget {
  /** Milliseconds until a call may go while leaving `reserve` calls of the window unused. */
  waitMs(now: number, reserve?: number): number;
  /** A call went at `now`. */
  note(now: number): void;
}

export function createWindowBudget(limit: number, windowMs: number): WindowBudget {
  const times: number[] = [];
  const prune = (now: number) => {
    while (times.length > 0 && (times[0] as number) <= now - windowMs) times.shift();
  };
  return {
    waitMs(now, reserve = 0) {
      prune(now);
      const allowed = Math.max(1, limit - reserve);
      if (times.length < allowed) return 0;
      return Math.max(0, (times[times.length - allowed] as number) + windowMs - now);
    },
    note(now) {
      times.push(now);
    },
  };
}

/** Wait for `budget`, then note the call: for methods paced only by a workspace tier. */
export async function acquire(budget: WindowBudget, sleep: Sleep): Promise<void> {
  const wait = budget.waitMs(Date.now());
  if (wait > 0) await sleep(wait);
  budget.note(Date.now());
}

interface LaneTask {
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  urgent: boolean;
}

/** A channel's posts: one at a time, `intervalMs` apart, top-level posts ahead of thread replies. */
export interface PostLane {
  push<T>(run: () => Promise<T>, urgent: boolean): Promise<T>;
}

export function createPostLane(intervalMs: number, sleep: Sleep): PostLane {
  const queue: LaneTask[] = [];
  let last = 0;
  let busy = false;

  /** The next task: the first urgent one, else the oldest. */
  function takeNext(): LaneTask | undefined {
    const i = queue.findIndex((t) => t.urgent);
    return queue.splice(Math.max(i, 0), 1)[0];
  }

  async function pump(): Promise<void> {
    busy = true;
    while (queue.length > 0) {
      const wait = last + intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      const task = takeNext();
      if (!task) break;
      try {
        task.resolve(await task.run());
      } catch (error) {
        task.reject(error);
      } finally {
        last = Date.now();
      }
    }
    busy = false;
  }

  return {
    push<T>(run: () => Promise<T>, urgent: boolean): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ run, resolve: resolve as (v: unknown) => void, reject, urgent });
        if (!busy) void pump();
      });
    },
  };
}

/** How an update is scheduled: `urgent` ones (a verdict, a failure) may use the whole budget. */
export interface UpdateRequest<M> {
  channel: string;
  ts: string;
  message: M;
  urgent: boolean;
}

/** How long a routine update yields to the verdicts other roots await. */
export const ROUTINE_YIELD_MS = 30_000;

export interface UpdateSchedulerOptions<M> {
  send(channel: string, ts: string, message: M): Promise<void>;
  budget: WindowBudget;
  /**
   * Calls of the window always kept for urgent updates: routine ones (progress, counters) never use
   * them, nor one per message still expecting its urgent update (see `expect`).
   */
  reserve: number;
  /** How long a message is expected to get its urgent update (a root its verdict) at most. */
  expectMs?: number;
  /** Spacing of two updates in one channel. */
  channelIntervalMs: number;
  /** Spacing of two routine updates of one message ("at most one every few seconds"). */
  messageIntervalMs: number;
  sleep: Sleep;
  /**
   * A digest of a message's content. Given, an update to the content the message already shows
   * (the last one this scheduler sent for it) makes no call.
   */
  fingerprint?(message: M): string;
}

/** Messages whose last sent content is remembered, for skipping an update that changes nothing. */
const SHOWN_CONTENT_MAX = 2000;

interface PendingUpdate<M> {
  request: UpdateRequest<M>;
  /** When the first update of this content was asked for. */
  since: number;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

/**
 * Updates of messages, coalesced per message: while an update waits for the budget, a newer one
 * of the same message replaces its content (the latest state wins; every caller's promise settles
 * when the content that replaced theirs is sent). One update at a time for the workspace.
 */
export function createUpdateScheduler<M>(options: UpdateSchedulerOptions<M>) {
  const pending = new Map<string, PendingUpdate<M>>();
  const lastInChannel = new Map<string, number>();
  const lastOfMessage = new Map<string, number>();
  /** Messages expecting an urgent update (posted roots awaiting their verdict), since when. */
  const expected = new Map<string, number>();
  const expectMs = options.expectMs ?? 10 * 60_000;
  /** The fingerprint of the content each message was last updated to, oldest first. */
  const shown = new Map<string, string>();
  /** The update of each message being sent now: its fingerprint, and whether it was sent. */
  const inFlight = new Map<string, { fingerprint: string | undefined; done: Promise<boolean> }>();
  let busy = false;
  let wake: (() => void) | undefined;

  /**
   * When the update may go at the earliest. A routine one also yields, for up to ROUTINE_YIELD_MS,
   * while other roots await their verdicts (a storm): those verdicts get the budget first.
   */
  function readyAt({ request, since }: PendingUpdate<M>, key: string, now: number): number {
    const channel = (lastInChannel.get(request.channel) ?? 0) + options.channelIntervalMs;
    if (request.urgent) return Math.max(channel, now + options.budget.waitMs(now, 0), now);
    const message = (lastOfMessage.get(key) ?? 0) + options.messageIntervalMs;
    const budget = now + options.budget.waitMs(now, Math.max(options.reserve, expected.size));
    const others = expected.size - (expected.has(key) ? 1 : 0);
    const yielded = others > 0 ? since + ROUTINE_YIELD_MS : 0;
    return Math.max(channel, message, budget, yielded, now);
  }

  /** The pending update that may go first (urgent ones win a tie), and when. */
  function pickNext(now: number): { key: string; at: number } | undefined {
    let best: { key: string; at: number; urgent: boolean } | undefined;
    for (const [key, p] of pending) {
      const at = readyAt(p, key, now);
      const urgent = p.request.urgent;
      if (!best || at < best.at || (at === best.at && urgent && !best.urgent)) best = { key, at, urgent };
    }
    return best;
  }

  /** Sleep until `ms` passed or a new update arrived, whichever is first; true when woken early. */
  function nap(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      options.sleep(ms).then(
        () => resolve(false),
        () => resolve(false),
      );
    }).finally(() => {
      wake = undefined;
    });
  }

  function forget(now: number): void {
    const horizon = now - Math.max(options.channelIntervalMs, options.messageIntervalMs);
    for (const [k, t] of lastOfMessage) if (t < horizon) lastOfMessage.delete(k);
    for (const [k, t] of lastInChannel) if (t < horizon) lastInChannel.delete(k);
    for (const [k, t] of expected) if (t < now - expectMs) expected.delete(k);
  }

  async function sendOne(key: string): Promise<void> {
    const p = pending.get(key) as PendingUpdate<M>;
    pending.delete(key);
    if (p.request.urgent) expected.delete(key);
    const { channel, ts, message } = p.request;
    const fingerprint = options.fingerprint?.(message);
    let settle: (sent: boolean) => void = () => undefined;
    const flight = { fingerprint, done: new Promise<boolean>((resolve) => (settle = resolve)) };
    if (fingerprint !== undefined) inFlight.set(key, flight);
    try {
      await options.send(channel, ts, message);
      if (fingerprint !== undefined) rememberShown(key, fingerprint);
      settle(true);
      for (const w of p.waiters) w.resolve();
    } catch (error) {
      settle(false);
      for (const w of p.waiters) w.reject(error);
    } finally {
      if (inFlight.get(key) === flight) inFlight.delete(key);
      const now = Date.now();
      options.budget.note(now);
      lastInChannel.set(channel, now);
      lastOfMessage.set(key, now);
    }
  }

  function rememberShown(key: string, fingerprint: string): void {
    shown.delete(key);
    shown.set(key, fingerprint);
    if (shown.size > SHOWN_CONTENT_MAX) shown.delete(shown.keys().next().value as string);
  }

  /**
   * With no other update of the message waiting: settled when this content is, or is being, shown
   * already (undefined: it must be sent). An update being sent that fails is sent again here.
   */
  function sameAsShown(key: string, request: UpdateRequest<M>): Promise<void> | undefined {
    if (!options.fingerprint || pending.has(key)) return undefined;
    const fingerprint = options.fingerprint(request.message);
    const flight = inFlight.get(key);
    if (flight?.fingerprint === fingerprint)
      return flight.done.then((sent) => (sent ? undefined : schedule(key, request)));
    if (!flight && shown.get(key) === fingerprint) return Promise.resolve();
    return undefined;
  }

  function schedule(key: string, request: UpdateRequest<M>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p = pending.get(key);
      if (p) {
        p.request = { ...request, urgent: p.request.urgent || request.urgent };
        p.waiters.push({ resolve, reject });
      } else {
        pending.set(key, { request, since: Date.now(), waiters: [{ resolve, reject }] });
      }
      wake?.();
      if (!busy) void pump();
    });
  }

  async function pump(): Promise<void> {
    busy = true;
    while (pending.size > 0) {
      const now = Date.now();
      forget(now);
      const next = pickNext(now) as { key: string; at: number };
      // woken by a newer or more urgent update: choose again; else the wait is over
      if (next.at > now && (await nap(next.at - now))) continue;
      await sendOne(next.key);
    }
    busy = false;
  }

  const keyOf = (channel: string, ts: string) => `${channel}\u0000${ts}`;

  return {
    /** The message will get an urgent update (a root, its verdict): routine ones leave room for it. */
    expect(channel: string, ts: string): void {
      const key = keyOf(channel, ts);
      expected.set(key, Date.now());
      // the post counts as the message's last change: a routine update (progress) waits the
      // message's interval after it, and a verdict that comes first replaces it
      lastOfMessage.set(key, Date.now());
    },
    update(request: UpdateRequest<M>): Promise<void> {
      const key = keyOf(request.channel, request.ts);
      return sameAsShown(key, request) ?? schedule(key, request);
    },
  };
}
