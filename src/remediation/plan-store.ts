/**
 * Plans and applied changes in Redis, under opaque ids (the only thing a button carries), and
 * the atomic consumption of an approval: one Lua script checks that the record exists, has not
 * expired and was not used for that action, and marks it used, so a double click or two
 * approvers at once give exactly one "ok".
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { loadLua } from '../redis-scripts.ts';
import type { ChangeRecord, RemediationPlan } from './plan-types.ts';
import type { RemediationAction } from './policy.ts';

/** 16 random bytes, base64url. */
export const RECORD_ID = /^[A-Za-z0-9_-]{22}$/;

export function newRecordId(): string {
  return randomBytes(16).toString('base64url');
}

/** How long a record is kept after it expires, so an old button is told "expired", not "unknown". */
export const KEEP_AFTER_EXPIRY_SECONDS = 7 * 24 * 3600;

export type RecordKind = 'plan' | 'change';

export interface Consumption {
  by: string;
  at: number;
}

export type ConsumeResult =
  | { status: 'ok' }
  | { status: 'missing' }
  | { status: 'expired'; expiresAt: number }
  | { status: 'used'; by: string; at: number };

export interface PlanStore {
  savePlan(plan: RemediationPlan): Promise<void>;
  getPlan(id: string): Promise<RemediationPlan | undefined>;
  saveChange(change: ChangeRecord): Promise<void>;
  getChange(id: string): Promise<ChangeRecord | undefined>;
  /** Atomically: exists, not expired at `now`, not used for `action` yet → mark used by `by`. */
  consume(
    kind: RecordKind,
    id: string,
    action: RemediationAction,
    by: string,
    now: number,
  ): Promise<ConsumeResult>;
  /** Who used it for `action`, if anyone. */
  consumption(kind: RecordKind, id: string, action: RemediationAction): Promise<Consumption | undefined>;
  /** Undo a consumption whose job could not be started (the queue was down). */
  release(kind: RecordKind, id: string, action: RemediationAction): Promise<void>;
}

const CONSUME_SCRIPT = loadLua(new URL('./lua/consume.lua', import.meta.url));

type RedisLike = Redis | Cluster;

export function createPlanStore(redis: RedisLike, prefix: string): PlanStore {
  // the {id} hash tag keeps a record and its "used" hash in one Redis Cluster slot
  const key = (kind: RecordKind, id: string) => `${prefix}:${kind}:{${id}}`;
  const usedKey = (kind: RecordKind, id: string) => `${key(kind, id)}:used`;
  const ttl = (expiresAt: number) =>
    Math.max(60, Math.ceil(expiresAt - Date.now() / 1000) + KEEP_AFTER_EXPIRY_SECONDS);

  async function save(kind: RecordKind, record: { id: string; expiresAt: number }): Promise<void> {
    await redis.set(key(kind, record.id), JSON.stringify(record), 'EX', ttl(record.expiresAt));
  }

  async function load<T>(kind: RecordKind, id: string): Promise<T | undefined> {
    if (!RECORD_ID.test(id)) return undefined;
    const raw = await redis.get(key(kind, id));
    return raw ? (JSON.parse(raw) as T) : undefined;
  }

  return {
    savePlan: (plan) => save('plan', plan),
    getPlan: (id) => load<RemediationPlan>('plan', id),
    saveChange: (change) => save('change', change),
    getChange: (id) => load<ChangeRecord>('change', id),

    async consume(kind, id, action, by, now) {
      if (!RECORD_ID.test(id)) return { status: 'missing' };
      const entry = JSON.stringify({ by, at: now });
      const answer = (await redis.eval(
        CONSUME_SCRIPT,
        2,
        key(kind, id),
        usedKey(kind, id),
        action,
        String(now),
        entry,
        String(KEEP_AFTER_EXPIRY_SECONDS * 2),
      )) as string[];
      switch (answer[0]) {
        case 'ok':
          return { status: 'ok' };
        case 'expired':
          return { status: 'expired', expiresAt: Number(answer[1]) };
        case 'used': {
          const used = JSON.parse(String(answer[1])) as Consumption;
          return { status: 'used', by: used.by, at: used.at };
        }
        default:
          return { status: 'missing' };
      }
    },

    async consumption(kind, id, action) {
      if (!RECORD_ID.test(id)) return undefined;
      const raw = await redis.hget(usedKey(kind, id), action);
      return raw ? (JSON.parse(raw) as Consumption) : undefined;
    },

    async release(kind, id, action) {
      if (!RECORD_ID.test(id)) return;
      await redis.hdel(usedKey(kind, id), action);
    },
  };
}
