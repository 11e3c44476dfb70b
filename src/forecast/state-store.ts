/**
 * Where the scheduled scan remembers what it last reported: one Redis hash, one field per
 * container. Replaced whole in one MULTI so two scans never leave a mix of both.
 */
import type { SeenRisk, SeenRisks } from '../domain/forecast/digest.ts';
import type { RedisConnection } from '../redis.ts';

export interface RiskStateStore {
  load(): Promise<SeenRisks>;
  save(state: SeenRisks): Promise<void>;
}

export function createRiskStateStore(redis: RedisConnection, prefix: string): RiskStateStore {
  const key = `${prefix}:risks:seen`;
  return {
    async load() {
      const raw = await redis.hgetall(key);
      const state: SeenRisks = new Map();
      for (const [field, value] of Object.entries(raw)) {
        try {
          state.set(field, JSON.parse(value) as SeenRisk);
        } catch {
          // an unreadable entry is forgotten: the risk is reported again, never lost
        }
      }
      return state;
    },
    async save(state) {
      const tx = redis.multi().del(key);
      if (state.size > 0)
        tx.hset(key, Object.fromEntries([...state].map(([field, seen]) => [field, JSON.stringify(seen)])));
      await tx.exec();
    },
  };
}

/** An in-memory store, for the command line and tests. */
export function createMemoryRiskStateStore(): RiskStateStore {
  let state: SeenRisks = new Map();
  return {
    async load() {
      return new Map(state);
    },
    async save(next) {
      state = new Map(next);
    },
  };
}
