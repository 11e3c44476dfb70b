/**
 * The Redis section of the configuration: REDIS_URL alone, or with Sentinel or Cluster nodes, and
 * the queue prefix a Cluster needs to keep each queue in one slot.
 */
import { z } from 'zod';
import { hostPorts, optionalString, url } from '../config-values.ts';
import { OomBotError } from '../errors.ts';

export const redisEnv = {
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_{}-]+$/, 'letters, digits, : _ - { } only')
    .default('oom-bot'),
};

type RedisEnv = z.infer<z.ZodObject<typeof redisEnv>>;

/** The Redis topology (see src/redis.ts). */
export interface RedisConfig {
  url: string;
  sentinels?: Array<{ host: string; port: number }>;
  sentinelMaster?: string;
  sentinelPassword?: string;
  clusterNodes?: Array<{ host: string; port: number }>;
}

/** Refuses the topologies that cannot work: Sentinel and Cluster at once, a Cluster without a hash tag. */
export function checkRedisTopology(e: RedisEnv): void {
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) {
    throw new OomBotError('config_invalid', 'REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other');
  }
  if (e.REDIS_CLUSTER_NODES && !/^\{[^{}]+\}/.test(e.QUEUE_PREFIX)) {
    throw new OomBotError(
      'config_invalid',
      'QUEUE_PREFIX must start with a hash tag such as {oom-bot} when REDIS_CLUSTER_NODES is set (a queue must live in one slot)',
    );
  }
}

export function redisConfig(e: RedisEnv): RedisConfig {
  return Object.freeze({
    url: e.REDIS_URL,
    sentinels: e.REDIS_SENTINELS,
    sentinelMaster: e.REDIS_SENTINEL_MASTER,
    sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
    clusterNodes: e.REDIS_CLUSTER_NODES,
  });
}

/** The Redis password decoded and as written in the URL (the logger masks both, and their encodings). */
export function redisPasswordForms(redisUrl: string): string[] {
  try {
    const written = new URL(redisUrl).password;
    if (!written) return [];
    const decoded = decodeURIComponent(written);
    return decoded === written ? [decoded] : [decoded, written];
  } catch {
    return [];
  }
}
