/**
 * Plans and applied changes in Redis, under opaque ids (the only thing a button carries), and
 * the atomic recording of approvals: one Lua script checks that the record exists, has not
 * expired, was not revoked (Dismiss) and was not used for that action, and records the approval,
 * so a double click or two approvers at once give exactly one "ok". Under the two-person rule the
 * first approval is recorded and a second, different approver completes it.
 *
 * Every record and approval entry is signed (signing.ts) with a key Redis never sees: a record
 * or entry written by hand fails verification and is reported as tampered, never trusted.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { ChangeRecord, RemediationPlan } from '../contracts/plan-types.ts';
import type { RemediationAction } from '../contracts/remediation-actions.ts';
import { loadLua } from '../redis-scripts.ts';
import type { RecordSigner } from './signing.ts';

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

/** An approval entry as read back: `valid` is false when its signature does not verify. */
interface ApprovalEntry extends Consumption {
  valid: boolean;
}

/** What Redis holds for one action of one record. */
export interface ApprovalState {
  /** The approval that lets the action run (the second one under the two-person rule). */
  final?: ApprovalEntry;
  /** The first of two approvals. */
  first?: ApprovalEntry;
  /** Set by Dismiss: nothing of this record may run any more. */
  revoked?: ApprovalEntry;
}

export type ConsumeResult =
  | { status: 'ok' }
  | { status: 'first' }
  | { status: 'same'; at: number }
  | { status: 'missing' }
  | { status: 'tampered' }
  | { status: 'revoked'; by: string; at: number }
  | { status: 'expired'; expiresAt: number }
  | { status: 'used'; by: string; at: number };

/** Where a record that failed verification claims its thread is (untrusted; for the audit note). */
export interface ClaimedThread {
  channel?: string;
  threadTs?: string;
}

export type Loaded<T> =
  | { status: 'ok'; record: T }
  | { status: 'missing' }
  | { status: 'tampered'; claimed: ClaimedThread };

export interface PlanStore {
  savePlan(plan: RemediationPlan): Promise<void>;
  /** The plan; undefined when missing or when its signature does not verify. */
  getPlan(id: string): Promise<RemediationPlan | undefined>;
  loadPlan(id: string): Promise<Loaded<RemediationPlan>>;
  saveChange(change: ChangeRecord): Promise<void>;
  getChange(id: string): Promise<ChangeRecord | undefined>;
  loadChange(id: string): Promise<Loaded<ChangeRecord>>;
  /**
   * Atomically: exists, verifies, not expired at `now`, not revoked, not used for `action` →
   * record the approval of `by`. With `required` 2, the first approver gets `first` and only a
   * second, different approver gets `ok`.
   */
  consume(
    kind: RecordKind,
    id: string,
    action: RemediationAction,
    by: string,
    now: number,
    required?: 1 | 2,
  ): Promise<ConsumeResult>;
  /** Who used it for `action`, if anyone (verified entries only). */
  consumption(kind: RecordKind, id: string, action: RemediationAction): Promise<Consumption | undefined>;
  /** Every approval entry of `action`, with whether each verifies. */
  approvals(kind: RecordKind, id: string, action: RemediationAction): Promise<ApprovalState>;
  /** Undo a consumption whose job could not be started (the queue was down). */
  release(kind: RecordKind, id: string, action: RemediationAction): Promise<void>;
  /** Revoke every plan of an incident (Dismiss): later clicks and queued jobs are refused. */
  revokeIncident(incidentId: string, by: string, now: number): Promise<number>;
  /** True the first time `user` is refused on `recordKey` (the thread gets one note per user and plan). */
  firstRefusal(channel: string, recordKey: string, user: string): Promise<boolean>;
}

const CONSUME_SCRIPT = loadLua(new URL('./lua/consume.lua', import.meta.url));

type RedisLike = Redis | Cluster;

interface Signed {
  mac?: unknown;
  [field: string]: unknown;
}

function claimedThread(fields: Record<string, unknown>): ClaimedThread {
  const text = (v: unknown) => (typeof v === 'string' && /^[A-Z0-9.]{1,40}$/.test(v) ? v : undefined);
  const channel = text(fields.channel);
  const threadTs = text(fields.threadTs);
  return { ...(channel ? { channel } : {}), ...(threadTs ? { threadTs } : {}) };
}

export function createPlanStore(redis: RedisLike, prefix: string, signer: RecordSigner): PlanStore {
  // the {id} hash tag keeps a record and its "used" hash in one Redis Cluster slot
  const key = (kind: RecordKind, id: string) => `${prefix}:${kind}:{${id}}`;
  const usedKey = (kind: RecordKind, id: string) => `${key(kind, id)}:used`;
  const incidentKey = (incidentId: string) => `${prefix}:incident-plans:{${incidentId}}`;
  const ttl = (expiresAt: number) =>
    Math.max(60, Math.ceil(expiresAt - Date.now() / 1000) + KEEP_AFTER_EXPIRY_SECONDS);

  /** The entry of `field` (an action, `first:<action>` or `revoked`), signed. */
  const entryText = (kind: RecordKind, id: string, field: string, by: string, at: number) =>
    JSON.stringify({ by, at, mac: signer.sign('approval', { kind, id, field, by, at }) });

  function readEntry(kind: RecordKind, id: string, field: string, raw: unknown): ApprovalEntry | undefined {
    if (typeof raw !== 'string') return undefined;
    let parsed: Signed;
    try {
      parsed = JSON.parse(raw) as Signed;
    } catch {
      return { by: '', at: 0, valid: false };
    }
    const by = String(parsed.by ?? '');
    const at = Number(parsed.at ?? 0);
    const valid =
      typeof parsed.by === 'string' &&
      typeof parsed.at === 'number' &&
      signer.verify('approval', { kind, id, field, by, at }, parsed.mac);
    return { by, at, valid };
  }

  async function save(kind: RecordKind, record: { id: string; expiresAt: number }): Promise<void> {
    const { mac: _old, ...fields } = record as Signed & { id: string; expiresAt: number };
    const signed = { ...fields, mac: signer.sign(kind, fields) };
    await redis.set(key(kind, record.id), JSON.stringify(signed), 'EX', ttl(record.expiresAt));
  }

  async function load<T>(kind: RecordKind, id: string): Promise<Loaded<T>> {
    if (!RECORD_ID.test(id)) return { status: 'missing' };
    const raw = await redis.get(key(kind, id));
    if (!raw) return { status: 'missing' };
    let parsed: Signed;
    try {
      parsed = JSON.parse(raw) as Signed;
    } catch {
      return { status: 'tampered', claimed: {} };
    }
    const { mac, ...fields } = parsed;
    if (!signer.verify(kind, fields, mac) || fields.id !== id) {
      return { status: 'tampered', claimed: claimedThread(fields) };
    }
    return { status: 'ok', record: fields as T };
  }

  const recordOf = <T>(loaded: Loaded<T>) => (loaded.status === 'ok' ? loaded.record : undefined);

  async function revoke(kind: RecordKind, id: string, by: string, now: number): Promise<void> {
    await redis.hset(usedKey(kind, id), 'revoked', entryText(kind, id, 'revoked', by, now));
    await redis.expire(usedKey(kind, id), KEEP_AFTER_EXPIRY_SECONDS * 2);
  }

  return {
    async savePlan(plan) {
      await save('plan', plan);
      await redis.sadd(incidentKey(plan.incidentId), plan.id);
      await redis.expire(incidentKey(plan.incidentId), ttl(plan.expiresAt));
    },
    getPlan: async (id) => recordOf(await load<RemediationPlan>('plan', id)),
    loadPlan: (id) => load<RemediationPlan>('plan', id),
    saveChange: (change) => save('change', change),
    getChange: async (id) => recordOf(await load<ChangeRecord>('change', id)),
    loadChange: (id) => load<ChangeRecord>('change', id),

    async consume(kind, id, action, by, now, required = 1) {
      // the record must verify before any approval of it is recorded
      const loaded = await load(kind, id);
      if (loaded.status === 'tampered') return { status: 'tampered' };
      if (loaded.status === 'missing') return { status: 'missing' };
      const entry = entryText(kind, id, action, by, now);
      const firstEntry = entryText(kind, id, `first:${action}`, by, now);
      const answer = (await redis.eval(
        CONSUME_SCRIPT,
        2,
        key(kind, id),
        usedKey(kind, id),
        action,
        String(now),
        entry,
        String(KEEP_AFTER_EXPIRY_SECONDS * 2),
        String(required),
        by,
        firstEntry,
      )) as string[];
      switch (answer[0]) {
        case 'ok':
          return { status: 'ok' };
        case 'first':
          return { status: 'first' };
        case 'same':
          return { status: 'same', at: readEntry(kind, id, `first:${action}`, answer[1])?.at ?? now };
        case 'expired':
          return { status: 'expired', expiresAt: Number(answer[1]) };
        case 'revoked': {
          const revoked = readEntry(kind, id, 'revoked', answer[1]);
          return { status: 'revoked', by: revoked?.by ?? '', at: revoked?.at ?? 0 };
        }
        case 'used': {
          const used = readEntry(kind, id, action, answer[1]);
          return { status: 'used', by: used?.by ?? '', at: used?.at ?? 0 };
        }
        default:
          return { status: 'missing' };
      }
    },

    async consumption(kind, id, action) {
      if (!RECORD_ID.test(id)) return undefined;
      const entry = readEntry(kind, id, action, await redis.hget(usedKey(kind, id), action));
      return entry?.valid ? { by: entry.by, at: entry.at } : undefined;
    },

    async approvals(kind, id, action) {
      if (!RECORD_ID.test(id)) return {};
      const [final, first, revoked] = await redis.hmget(
        usedKey(kind, id),
        action,
        `first:${action}`,
        'revoked',
      );
      return {
        ...(final ? { final: readEntry(kind, id, action, final) } : {}),
        ...(first ? { first: readEntry(kind, id, `first:${action}`, first) } : {}),
        ...(revoked ? { revoked: readEntry(kind, id, 'revoked', revoked) } : {}),
      };
    },

    async release(kind, id, action) {
      if (!RECORD_ID.test(id)) return;
      await redis.hdel(usedKey(kind, id), action);
    },

    async revokeIncident(incidentId, by, now) {
      const ids = (await redis.smembers(incidentKey(incidentId))).filter((id) => RECORD_ID.test(id));
      for (const id of ids) await revoke('plan', id, by, now);
      return ids.length;
    },

    async firstRefusal(channel, recordKey, user) {
      const noted = await redis.set(
        `${prefix}:refusal-noted:${channel}:${recordKey}:${user}`,
        '1',
        'EX',
        KEEP_AFTER_EXPIRY_SECONDS,
        'NX',
      );
      return noted === 'OK';
    },
  };
}
