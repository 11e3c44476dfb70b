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

import {
  ALERT_INCIDENT_TTL_SECONDS,
  type AlertIncidentState,
  type AlertIncidentStore,
  type HeldRef,
  type IntakeIncident,
  type Lifecycle,
  type RootSnapshot,
  STALE_DIAGNOSIS_MS,
} from '../contracts/alert-incident-types.ts';
import type { RedisConnection } from '../redis.ts';
import { defineLuaCommands } from '../redis-scripts.ts';

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

/** The incident scripts as commands of `redis`. */
function defineScripts(redis: RedisConnection): ScriptClient {
  const lua = (name: string) => new URL(`./lua/${name}.lua`, import.meta.url);
  return defineLuaCommands<ScriptClient>(redis, {
    oomAlertRecord: lua('record'),
    oomAlertConfirm: lua('confirm'),
    oomAlertBegin: lua('begin'),
    oomAlertRoot: lua('root'),
    oomAlertFinish: lua('finish'),
    oomAlertTake: lua('take'),
    oomAlertRendered: lua('rendered'),
    oomAlertClaim: lua('claim'),
  });
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
    truncated: toNumber(h.truncated),
  };
}

function pairsToRecord(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
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

  /** What each recorded incident's latest notification left out; said on its root. */
  async function recordTruncated(incidents: readonly IntakeIncident[], recorded: Set<string>): Promise<void> {
    const writes = incidents.filter((inc) => inc.truncated !== undefined && recorded.has(inc.key));
    await Promise.all(writes.map((inc) => redis.hset(hashKey(inc.key), 'truncated', inc.truncated ?? 0)));
  }

  return {
    async record(incidents, now, reopenWindowMs, cap) {
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
        ...(cap ? { cap: { max: cap.max, windowMs: cap.windowMs, prefix: `${prefix}:alert-cap:` } } : {}),
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
        held?: HeldRef;
      }>;
      // cjson encodes an empty Lua table as {}: normalise.
      const recorded = Array.isArray(rows) ? rows : [];
      await recordTruncated(incidents, new Set(recorded.map((r) => r.key)));
      return recorded.map((r) => ({
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
        ...(r.held ? { held: r.held } : {}),
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
