/**
 * Refuses a signed Slack request seen before. A signature is valid for the whole 5-minute
 * window either side of its timestamp, so a captured request could be replayed for up to 10
 * minutes: each (timestamp, signature) is remembered in Redis with SET NX EX for that long, and a
 * second arrival is a replay (or Slack's own retry, which the receiver answers without acting
 * twice). Redis keeps the memory across the web replicas and restarts.
 */
import type { RedisConnection } from '../redis.ts';

export interface ReplayGuard {
  /** True the first time this (timestamp, signature) is seen within the window. */
  remember(timestamp: string, signature: string): Promise<boolean>;
}

export function createReplayGuard(redis: RedisConnection, prefix: string, ttlSeconds: number): ReplayGuard {
  return {
    async remember(timestamp, signature) {
      const key = `${prefix}:slack-seen:${timestamp}:${signature}`;
      return (await redis.set(key, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}
