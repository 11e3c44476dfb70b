/**
 * Alert incidents in Redis: one per cluster + namespace + workload + container (or node), kept
 * across restarts. Every change is one Lua script, so a webhook delivery is applied atomically
 * and idempotently:
 *
 * - each alert is counted once per (fingerprint, startsAt), its resolution once;
 * - the first alert opens the incident (generation 1: a diagnosis in a new thread); a re-fire
 *   after every alert resolved reopens it within the reopen window (a new diagnosis in the same
 *   thread, unless one is still running), or opens a new incident after the window; the
 *   diagnosis itself declines when the incident's plan still awaits approval;
 * - when the last active alert resolves, the incident is resolved at that alert's end time;
 * - root-message updates are coalesced: a change marks the incident "update pending" and hands
 *   out one update job id until that job has taken the state.
 *
 * Jobs handed out are confirmed after they were added to the queue; until then the same ids are
 * handed out again (Alertmanager re-sends after a 503), and job ids are deterministic, so a
 * retry adds nothing twice.
 */
import { createHash } from 'node:crypto';
import type { AlertTarget } from '../alerts/target.ts';
import type { Diagnosis, Target } from '../domain/types.ts';
import type { RedisConnection } from '../redis.ts';

export const ALERT_INCIDENT_TTL_SECONDS = 14 * 24 * 3600;
/** A diagnosis not finished after this long no longer blocks a reopen from diagnosing again. */
export const STALE_DIAGNOSIS_MS = 30 * 60 * 1000;

export interface IntakeAlert {
  fingerprint: string;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms. */
  endsAt?: number;
  status: 'firing' | 'resolved';
  pod?: string;
}

export interface IntakeIncident {
  key: string;
  target: AlertTarget;
  /** The routed channel; used when the incident is opened. */
  channel: string;
  alerts: IntakeAlert[];
}

export type Lifecycle = 'opened' | 'reopened' | 'resolved' | 'updated' | 'unchanged';

/** Identifies one diagnosis of one incident incarnation. */
export interface DiagnosisRef {
  key: string;
  /** Epoch ms the incident (this incarnation) was opened. */
  openedAt: number;
  generation: number;
}

export interface IntakeOutcome {
  key: string;
  counted: number;
  resolvedNow: number;
  lifecycle: Lifecycle;
  /** A diagnosis to enqueue (new incident, or a reopen in the same thread). */
  diagnose?: DiagnosisRef & { channel: string; threadTs?: string };
  /** A coalesced root update to enqueue. */
  update?: UpdateRef;
}

export interface UpdateRef {
  key: string;
  openedAt: number;
  seq: number;
}

/** What the root message of an incident is rendered from, besides the counters. */
export type RootSnapshot =
  | { kind: 'verdict'; incidentId: string; planId?: string; diagnosis: Diagnosis }
  | { kind: 'failed'; incidentId: string; target: Target; detail: string }
  | { kind: 'problem'; text: string };

export interface AlertIncidentState {
  key: string;
  kind: 'workload' | 'node';
  cluster: string;
  namespace: string;
  workload: string;
  container: string;
  node: string;
  channel: string;
  state: 'open' | 'resolved';
  /** Epoch ms. */
  openedAt: number;
  resolvedAt?: number;
  refiredAt?: number;
  lastSeenAt?: number;
  alerts: number;
  resolvedCount: number;
  reopens: number;
  /** Alerts still firing. */
  active: number;
  pods: number;
  generation: number;
  doneGeneration: number;
  rootTs?: string;
  incidentId?: string;
  /** The remediation plan of the latest diagnosis (its Apply may still await approval). */
  planId?: string;
  version: number;
  renderedVersion: number;
}

export interface OpenThread {
  key: string;
  channel: string;
  rootTs: string;
  planId?: string;
}

export interface AlertIncidentStore {
  /** Apply one webhook delivery; `now` in epoch ms. */
  record(incidents: IntakeIncident[], now: number, reopenWindowMs: number): Promise<IntakeOutcome[]>;
  /** The jobs handed out by `record` are in the queue: stop handing them out. */
  confirm(items: Array<{ key: string; generation?: number; seq?: number }>): Promise<void>;
  get(key: string): Promise<AlertIncidentState | undefined>;
  /** Whether a queued diagnosis should run (still this incarnation, not done), and the incident's plan. */
  beginDiagnosis(ref: DiagnosisRef): Promise<{ proceed: boolean; reason?: string; planId?: string }>;
  /** The diagnosis posted the incident's root message (kept only for the first generation). */
  rootPosted(ref: DiagnosisRef, rootTs: string, incidentId?: string): Promise<void>;
  /**
   * The diagnosis is over; `snapshot` (for a top-level root) lets later updates re-render it.
   * Returns an update to enqueue when alerts arrived after `renderedVersion`.
   */
  finishDiagnosis(
    ref: DiagnosisRef,
    result: { snapshot?: RootSnapshot; renderedVersion: number; planId?: string },
  ): Promise<UpdateRef | undefined>;
  /** Start a coalesced update: clears "pending" for this seq and returns the state to render. */
  takeUpdate(ref: UpdateRef): Promise<{ state: AlertIncidentState; snapshot?: RootSnapshot } | undefined>;
  /**
   * The root shows `version`; returns a follow-up update when the incident changed meanwhile
   * (updates rendered out of order converge on the latest state).
   */
  markRendered(ref: { key: string; openedAt: number }, version: number): Promise<UpdateRef | undefined>;
  /** Whether the caller may post a node incident's root (one claim per incarnation). */
  claimRoot(key: string, openedAt: number, now: number): Promise<boolean>;
  /** A node incident's root, posted by the update job; false when another root won. */
  setRootTs(key: string, openedAt: number, rootTs: string): Promise<boolean>;
  /** The open incident thread of a workload (any container), for `/oom`. */
  openThreadFor(query: {
    namespace: string;
    workload: string;
    cluster?: string;
  }): Promise<OpenThread | undefined>;
}

/** A short stable digest of an incident key, for job ids. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 24);
}

export function diagnosisJobId(ref: DiagnosisRef): string {
  return `alert-${keyDigest(ref.key)}-${ref.openedAt}-${ref.generation}`;
}

export function updateJobId(ref: UpdateRef): string {
  return `upd-${keyDigest(ref.key)}-${ref.openedAt}-${ref.seq}`;
}

// ---------------------------------------------------------------------------------------------
// Lua

/** Shared helper: mark an update pending and return its seq when it still needs enqueueing. */
const PENDING_LUA = `
local function pending(H)
  if redis.call('HGET', H, 'updPending') ~= '1' then
    redis.call('HSET', H, 'updPending', '1')
    redis.call('HINCRBY', H, 'updSeq', 1)
  end
  local seq = tonumber(redis.call('HGET', H, 'updSeq') or '0')
  local enq = tonumber(redis.call('HGET', H, 'updEnq') or '0')
  if seq > enq then return seq end
  return nil
end
local function num(v) return tonumber(v or '0') or 0 end
local function nonempty(v) return v and v ~= '' end
`;

/**
 * KEYS: 6 per incident (hash, active, seen, pods, root, workload index).
 * ARGV[1]: JSON { now, window, ttl, stale, incidents: [{ key, kind, cluster, namespace, workload,
 * container, node, channel, alerts: [{ id, fp, s, e, st, pod }] }] }.
 */
const RECORD_LUA = `${PENDING_LUA}
local args = cjson.decode(ARGV[1])
local now, window, ttl, stale = args.now, args.window, args.ttl, args.stale
local out = {}
for i, inc in ipairs(args.incidents) do
  local b = (i - 1) * 6
  local H, A, S, PODS, R, W = KEYS[b+1], KEYS[b+2], KEYS[b+3], KEYS[b+4], KEYS[b+5], KEYS[b+6]
  local f = redis.call('HMGET', H, 'state', 'resolvedAt', 'gen', 'doneGen', 'genAt', 'rootTs')
  local state, resolvedAt = f[1], num(f[2])
  local gen, doneGen, genAt = num(f[3]), num(f[4]), num(f[5])
  local rootTs = f[6]
  local lifecycle = 'unchanged'

  local hasNew = false
  for _, a in ipairs(inc.alerts) do
    if redis.call('SISMEMBER', S, a.id) == 0 then hasNew = true break end
  end
  local opened = false
  if hasNew then
    if not state or (state == 'resolved' and now - resolvedAt > window) then
      if state then redis.call('DEL', A, PODS, R) end
      gen = gen + 1
      redis.call('HSET', H, 'kind', inc.kind, 'cluster', inc.cluster, 'namespace', inc.namespace,
        'workload', inc.workload, 'container', inc.container, 'node', inc.node, 'channel', inc.channel,
        'state', 'open', 'openedAt', now, 'resolvedAt', 0, 'refiredAt', 0, 'lastSeen', 0,
        'alerts', 0, 'resolved', 0, 'reopens', 0, 'gen', gen, 'genAt', now, 'genThread', '',
        'rootTs', '', 'incidentId', '', 'ver', 0, 'renderedVer', 0, 'updPending', '0')
      redis.call('HDEL', H, 'planId', 'rootClaim')
      rootTs = ''
      opened = true
      lifecycle = 'opened'
      if inc.kind == 'workload' then
        redis.call('SADD', W, inc.key)
        redis.call('EXPIRE', W, ttl)
      end
    elseif state == 'resolved' then
      redis.call('HSET', H, 'state', 'open', 'resolvedAt', 0, 'refiredAt', now)
      redis.call('HINCRBY', H, 'reopens', 1)
      lifecycle = 'reopened'
      local busy = gen > doneGen and now - genAt < stale
      if inc.kind == 'workload' and nonempty(rootTs) and not busy then
        gen = gen + 1
        redis.call('HSET', H, 'gen', gen, 'genAt', now, 'genThread', rootTs)
      end
    end
  end

  local counted, resolvedNow, lastStart, maxEnd = 0, 0, 0, 0
  for _, a in ipairs(inc.alerts) do
    local id = a.id
    if redis.call('SADD', S, id) == 1 then
      counted = counted + 1
      if a.s > lastStart then lastStart = a.s end
      if a.pod and a.pod ~= '' then redis.call('SADD', PODS, a.pod) end
    end
    if a.st == 'firing' then
      if redis.call('SISMEMBER', S, id .. '|r') == 0 then
        local cur = redis.call('HGET', A, a.fp)
        if not cur or tonumber(cur) < a.s then redis.call('HSET', A, a.fp, a.s) end
      end
    elseif redis.call('SADD', S, id .. '|r') == 1 then
      resolvedNow = resolvedNow + 1
      local cur = redis.call('HGET', A, a.fp)
      if cur and tonumber(cur) <= a.s then redis.call('HDEL', A, a.fp) end
      local e = a.e or now
      if e > now then e = now end
      if e > maxEnd then maxEnd = e end
    end
  end
  if counted > 0 then
    redis.call('HINCRBY', H, 'alerts', counted)
    if lastStart > now then lastStart = now end
    if lastStart > num(redis.call('HGET', H, 'lastSeen')) then redis.call('HSET', H, 'lastSeen', lastStart) end
    if lifecycle == 'unchanged' then lifecycle = 'updated' end
  end
  if resolvedNow > 0 then
    redis.call('HINCRBY', H, 'resolved', resolvedNow)
    if lifecycle == 'unchanged' then lifecycle = 'updated' end
  end
  local cur = redis.call('HGET', H, 'state')
  if cur == 'open' and redis.call('HLEN', A) == 0 and (resolvedNow > 0 or opened) then
    if maxEnd == 0 then maxEnd = now end
    redis.call('HSET', H, 'state', 'resolved', 'resolvedAt', maxEnd)
    if not opened then lifecycle = 'resolved' end
  end

  local result = { key = inc.key, counted = counted, resolvedNow = resolvedNow, lifecycle = lifecycle }
  if lifecycle ~= 'unchanged' then redis.call('HINCRBY', H, 'ver', 1) end
  local g = redis.call('HMGET', H, 'gen', 'doneGen', 'enqGen', 'openedAt', 'channel', 'genThread', 'rootTs', 'kind', 'updPending', 'updSeq', 'updEnq')
  local openedAt = num(g[4])
  if g[8] == 'workload' and num(g[1]) > num(g[2]) and num(g[1]) > num(g[3]) then
    result.diagnose = { generation = num(g[1]), openedAt = openedAt, channel = g[5], threadTs = g[6] }
  end
  local seq = nil
  if lifecycle ~= 'unchanged' and (nonempty(g[7]) or g[8] == 'node') then
    seq = pending(H)
  elseif g[9] == '1' and num(g[10]) > num(g[11]) then
    seq = num(g[10])
  end
  if seq then result.update = { seq = seq, openedAt = openedAt } end
  for _, k in ipairs({ H, A, S, PODS }) do redis.call('EXPIRE', k, ttl) end
  out[#out + 1] = result
end
return cjson.encode(out)
`;

/** KEYS: hash per item. ARGV[i]: JSON { gen?, seq? } per item. */
const CONFIRM_LUA = `${PENDING_LUA}
for i, H in ipairs(KEYS) do
  local item = cjson.decode(ARGV[i])
  if item.gen and item.gen > num(redis.call('HGET', H, 'enqGen')) then redis.call('HSET', H, 'enqGen', item.gen) end
  if item.seq and item.seq > num(redis.call('HGET', H, 'updEnq')) then redis.call('HSET', H, 'updEnq', item.seq) end
end
return 1
`;

/** KEYS: hash. ARGV: openedAt, gen. Returns { verdict, planId }. */
const BEGIN_LUA = `${PENDING_LUA}
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'gen', 'doneGen', 'planId')
local plan = f[4] or ''
if num(f[1]) ~= tonumber(ARGV[1]) or num(f[2]) ~= tonumber(ARGV[2]) then return { 'superseded', plan } end
if num(f[3]) >= tonumber(ARGV[2]) then return { 'done', plan } end
return { 'ok', plan }
`;

/** KEYS: hash. ARGV: openedAt, rootTs, incidentId. */
const ROOT_LUA = `${PENDING_LUA}
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'rootTs')
if num(f[1]) ~= tonumber(ARGV[1]) or nonempty(f[2]) then return 0 end
redis.call('HSET', KEYS[1], 'rootTs', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'incidentId', ARGV[3]) end
return 1
`;

/** KEYS: hash, root. ARGV: openedAt, gen, renderedVer, snapshot ('' for none), ttl, planId ('' for none). */
const FINISH_LUA = `${PENDING_LUA}
local H = KEYS[1]
local f = redis.call('HMGET', H, 'openedAt', 'doneGen', 'renderedVer', 'ver', 'rootTs', 'updPending', 'updSeq', 'updEnq')
if num(f[1]) ~= tonumber(ARGV[1]) then return cjson.encode({}) end
if tonumber(ARGV[2]) > num(f[2]) then redis.call('HSET', H, 'doneGen', ARGV[2]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', H, 'planId', ARGV[6]) end
local rendered = math.max(num(f[3]), tonumber(ARGV[3]))
redis.call('HSET', H, 'renderedVer', rendered)
local seq = nil
if num(f[4]) > rendered and nonempty(f[5]) then
  seq = pending(H)
elseif f[6] == '1' and num(f[7]) > num(f[8]) then
  seq = num(f[7])
end
if seq then return cjson.encode({ seq = seq, openedAt = num(f[1]) }) end
return cjson.encode({})
`;

/** KEYS: hash, active, pods, root. ARGV: openedAt, seq. */
const TAKE_LUA = `${PENDING_LUA}
local H = KEYS[1]
if num(redis.call('HGET', H, 'openedAt')) ~= tonumber(ARGV[1]) then return false end
if num(redis.call('HGET', H, 'updSeq')) == tonumber(ARGV[2]) then redis.call('HSET', H, 'updPending', '0') end
return { redis.call('HGETALL', H), redis.call('HLEN', KEYS[2]), redis.call('SCARD', KEYS[3]), redis.call('GET', KEYS[4]) or '' }
`;

/** KEYS: hash. ARGV: version rendered. Returns the seq of a follow-up update, or 0. */
const RENDERED_LUA = `${PENDING_LUA}
local H = KEYS[1]
local mine = tonumber(ARGV[1])
if mine > num(redis.call('HGET', H, 'renderedVer')) then redis.call('HSET', H, 'renderedVer', mine) end
if num(redis.call('HGET', H, 'ver')) > mine and nonempty(redis.call('HGET', H, 'rootTs')) then
  return pending(H) or 0
end
return 0
`;

/** KEYS: hash. ARGV: openedAt, now. 1 when the caller may post the (node) root; claims expire after 60 s. */
const CLAIM_LUA = `${PENDING_LUA}
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'rootTs', 'rootClaim')
if num(f[1]) ~= tonumber(ARGV[1]) or nonempty(f[2]) then return 0 end
if nonempty(f[3]) and tonumber(ARGV[2]) - num(f[3]) < 60000 then return 0 end
redis.call('HSET', KEYS[1], 'rootClaim', ARGV[2])
return 1
`;

interface ScriptClient {
  oomAlertRecord(...args: Array<string | number>): Promise<string>;
  oomAlertConfirm(...args: Array<string | number>): Promise<number>;
  oomAlertBegin(...args: Array<string | number>): Promise<[string, string]>;
  oomAlertRoot(...args: Array<string | number>): Promise<number>;
  oomAlertFinish(...args: Array<string | number>): Promise<string>;
  oomAlertTake(...args: Array<string | number>): Promise<[string[], number, number, string] | null>;
  oomAlertRendered(...args: Array<string | number>): Promise<number>;
  oomAlertClaim(...args: Array<string | number>): Promise<number>;
}

function defineScripts(redis: RedisConnection): ScriptClient {
  const scripts: Record<keyof ScriptClient, string> = {
    oomAlertRecord: RECORD_LUA,
    oomAlertConfirm: CONFIRM_LUA,
    oomAlertBegin: BEGIN_LUA,
    oomAlertRoot: ROOT_LUA,
    oomAlertFinish: FINISH_LUA,
    oomAlertTake: TAKE_LUA,
    oomAlertRendered: RENDERED_LUA,
    oomAlertClaim: CLAIM_LUA,
  };
  const client = redis as unknown as Record<string, unknown>;
  for (const [name, lua] of Object.entries(scripts)) {
    if (typeof client[name] !== 'function') redis.defineCommand(name, { lua });
  }
  return redis as unknown as ScriptClient;
}

function toNumber(value: string | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function positive(value: string | undefined): number | undefined {
  const n = toNumber(value);
  return n > 0 ? n : undefined;
}

function stateFrom(key: string, h: Record<string, string>, active: number, pods: number): AlertIncidentState {
  return {
    key,
    kind: h.kind === 'node' ? 'node' : 'workload',
    cluster: h.cluster ?? '',
    namespace: h.namespace ?? '',
    workload: h.workload ?? '',
    container: h.container ?? '',
    node: h.node ?? '',
    channel: h.channel ?? '',
    state: h.state === 'resolved' ? 'resolved' : 'open',
    openedAt: toNumber(h.openedAt),
    resolvedAt: positive(h.resolvedAt),
    refiredAt: positive(h.refiredAt),
    lastSeenAt: positive(h.lastSeen),
    alerts: toNumber(h.alerts),
    resolvedCount: toNumber(h.resolved),
    reopens: toNumber(h.reopens),
    active,
    pods,
    generation: toNumber(h.gen),
    doneGeneration: toNumber(h.doneGen),
    rootTs: h.rootTs || undefined,
    incidentId: h.incidentId || undefined,
    planId: h.planId || undefined,
    version: toNumber(h.ver),
    renderedVersion: toNumber(h.renderedVer),
  };
}

function pairsToRecord(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** A Diagnosis without the chart's series: what the root message needs, small enough to keep. */
export function stripChartSeries(diagnosis: Diagnosis): Diagnosis {
  const { chart } = diagnosis;
  return {
    ...diagnosis,
    chart: { window: chart.window, pods: [], kills: [], limitBytes: chart.limitBytes },
  };
}

export function createAlertIncidentStore(redis: RedisConnection, prefix: string): AlertIncidentStore {
  const lua = defineScripts(redis);
  const hashKey = (key: string) => `${prefix}:alert:${key}`;
  const keysOf = (key: string) => ({
    hash: hashKey(key),
    active: `${hashKey(key)}:active`,
    seen: `${hashKey(key)}:seen`,
    pods: `${hashKey(key)}:pods`,
    root: `${hashKey(key)}:root`,
  });
  const workloadIndex = (namespace: string, workload: string) =>
    `${prefix}:alert-workload:${namespace}/${workload}`;

  async function readState(key: string): Promise<AlertIncidentState | undefined> {
    const k = keysOf(key);
    const [h, active, pods] = await Promise.all([
      redis.hgetall(k.hash),
      redis.hlen(k.active),
      redis.scard(k.pods),
    ]);
    if (!h.state) return undefined;
    return stateFrom(key, h, active, pods);
  }

  return {
    async record(incidents, now, reopenWindowMs) {
      if (incidents.length === 0) return [];
      const keys: string[] = [];
      const payload = incidents.map((inc) => {
        const k = keysOf(inc.key);
        const t = inc.target;
        const workload = t.kind === 'workload' ? t.workload : '';
        const namespace = t.kind === 'workload' ? t.namespace : '';
        keys.push(k.hash, k.active, k.seen, k.pods, k.root, workloadIndex(namespace, workload));
        return {
          key: inc.key,
          kind: t.kind,
          cluster: t.cluster,
          namespace,
          workload,
          container: t.kind === 'workload' ? t.container : '',
          node: t.kind === 'node' ? t.node : '',
          channel: inc.channel,
          alerts: inc.alerts.map((a) => ({
            id: `${a.fingerprint}|${Math.round(a.startsAt)}`,
            fp: a.fingerprint,
            s: Math.round(a.startsAt),
            ...(a.endsAt !== undefined ? { e: Math.round(a.endsAt) } : {}),
            st: a.status,
            pod: a.pod ?? '',
          })),
        };
      });
      const args = JSON.stringify({
        now: Math.round(now),
        window: Math.round(reopenWindowMs),
        ttl: ALERT_INCIDENT_TTL_SECONDS,
        stale: STALE_DIAGNOSIS_MS,
        incidents: payload,
      });
      const raw = await lua.oomAlertRecord(keys.length, ...keys, args);
      const rows = JSON.parse(raw) as Array<{
        key: string;
        counted: number;
        resolvedNow: number;
        lifecycle: Lifecycle;
        diagnose?: { generation: number; openedAt: number; channel: string; threadTs: string };
        update?: { seq: number; openedAt: number };
      }>;
      // cjson encodes an empty Lua table as {}: normalise.
      return (Array.isArray(rows) ? rows : []).map((r) => ({
        key: r.key,
        counted: r.counted,
        resolvedNow: r.resolvedNow,
        lifecycle: r.lifecycle,
        ...(r.diagnose
          ? {
              diagnose: {
                key: r.key,
                generation: r.diagnose.generation,
                openedAt: r.diagnose.openedAt,
                channel: r.diagnose.channel,
                ...(r.diagnose.threadTs ? { threadTs: r.diagnose.threadTs } : {}),
              },
            }
          : {}),
        ...(r.update ? { update: { key: r.key, openedAt: r.update.openedAt, seq: r.update.seq } } : {}),
      }));
    },

    async confirm(items) {
      if (items.length === 0) return;
      await lua.oomAlertConfirm(
        items.length,
        ...items.map((i) => hashKey(i.key)),
        ...items.map((i) => JSON.stringify({ gen: i.generation, seq: i.seq })),
      );
    },

    get: readState,

    async beginDiagnosis(ref) {
      const [verdict, planId] = await lua.oomAlertBegin(1, hashKey(ref.key), ref.openedAt, ref.generation);
      const plan = planId ? { planId } : {};
      return verdict === 'ok' ? { proceed: true, ...plan } : { proceed: false, reason: verdict, ...plan };
    },

    async rootPosted(ref, rootTs, incidentId) {
      await lua.oomAlertRoot(1, hashKey(ref.key), ref.openedAt, rootTs, incidentId ?? '');
    },

    async finishDiagnosis(ref, result) {
      const k = keysOf(ref.key);
      const raw = await lua.oomAlertFinish(
        2,
        k.hash,
        k.root,
        ref.openedAt,
        ref.generation,
        result.renderedVersion,
        result.snapshot ? JSON.stringify(result.snapshot) : '',
        ALERT_INCIDENT_TTL_SECONDS,
        result.planId ?? '',
      );
      const r = JSON.parse(raw) as { seq?: number; openedAt?: number };
      return r.seq ? { key: ref.key, seq: r.seq, openedAt: r.openedAt ?? ref.openedAt } : undefined;
    },

    async takeUpdate(ref) {
      const k = keysOf(ref.key);
      const res = await lua.oomAlertTake(4, k.hash, k.active, k.pods, k.root, ref.openedAt, ref.seq);
      if (!res) return undefined;
      const [flat, active, pods, root] = res;
      const h = pairsToRecord(flat);
      if (!h.state) return undefined;
      return {
        state: stateFrom(ref.key, h, Number(active), Number(pods)),
        ...(root ? { snapshot: JSON.parse(root) as RootSnapshot } : {}),
      };
    },

    async markRendered(ref, version) {
      const seq = Number(await lua.oomAlertRendered(1, hashKey(ref.key), version));
      return seq > 0 ? { key: ref.key, openedAt: ref.openedAt, seq } : undefined;
    },

    async claimRoot(key, openedAt, now) {
      return (await lua.oomAlertClaim(1, hashKey(key), openedAt, Math.round(now))) === 1;
    },

    async setRootTs(key, openedAt, rootTs) {
      return (await lua.oomAlertRoot(1, hashKey(key), openedAt, rootTs, '')) === 1;
    },

    async openThreadFor(query) {
      const keys = await redis.smembers(workloadIndex(query.namespace, query.workload));
      for (const key of keys.sort()) {
        const [state, channel, rootTs, cluster, planId] = await redis.hmget(
          hashKey(key),
          'state',
          'channel',
          'rootTs',
          'cluster',
          'planId',
        );
        if (state !== 'open' || !rootTs || !channel) continue;
        if (query.cluster !== undefined && (cluster ?? '') !== query.cluster) continue;
        return { key, channel, rootTs, ...(planId ? { planId } : {}) };
      }
      return undefined;
    },
  };
}
