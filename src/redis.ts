/**
 * Redis connections for the queues and the incident store, in the three topologies ioredis knows:
 * one server (REDIS_URL), Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_MASTER: ioredis asks the
 * sentinels for the current master and follows failovers), or Cluster (REDIS_CLUSTER_NODES; the
 * queue prefix must then be a hash tag such as {oom-bot} so that a queue's keys share one slot).
 * REDIS_URL still carries the username, password, database and TLS (rediss:) in every topology.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';

interface HostPort {
  host: string;
  port: number;
}

type RedisTopology = Pick<
  Config['redis'],
  'url' | 'sentinels' | 'sentinelMaster' | 'sentinelPassword' | 'clusterNodes'
>;

export type RedisConnection = Redis | Cluster;

/** Credentials, database and TLS from a redis:// or rediss:// URL, as ioredis options. */
export function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const options: RedisOptions = {};
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  if (Number.isInteger(db) && db > 0) options.db = db;
  if (u.protocol === 'rediss:') options.tls = {};
  return options;
}

/** The ioredis constructor arguments for a topology; pure, for tests and for the docs. */
export function connectionPlan(
  topology: RedisTopology,
  extra: RedisOptions = {},
):
  | { kind: 'single'; url: string; options: RedisOptions }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: HostPort[]; options: ClusterOptions } {
  if (topology.clusterNodes && topology.clusterNodes.length > 0) {
    const { db: _db, ...redisOptions } = { ...urlOptions(topology.url), ...extra };
    const { enableOfflineQueue, ...nodeOptions } = redisOptions;
    return {
      kind: 'cluster',
      nodes: topology.clusterNodes,
      options: {
        redisOptions: nodeOptions as ClusterOptions['redisOptions'],
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      },
    };
  }
  if (topology.sentinels && topology.sentinels.length > 0) {
    return {
      kind: 'sentinel',
      options: {
        ...urlOptions(topology.url),
        ...extra,
        sentinels: topology.sentinels,
        name: topology.sentinelMaster ?? 'mymaster',
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      },
    };
  }
  return { kind: 'single', url: topology.url, options: extra };
}

/** A new connection in the configured topology. */
export function createRedisConnection(topology: RedisTopology, extra: RedisOptions = {}): RedisConnection {
  const plan = connectionPlan(topology, extra);
  if (plan.kind === 'cluster') return new Cluster(plan.nodes, plan.options);
  if (plan.kind === 'sentinel') return new Redis(plan.options);
  return new Redis(plan.url, plan.options);
}
