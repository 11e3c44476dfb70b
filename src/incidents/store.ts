/**
 * Incidents in Redis: what was asked, where the thread lives, and its state. Survives restarts;
 * buttons carry only an incident id that points here.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Cause } from '../domain/types.ts';
import type { DiagnoseJobData } from '../queues/payloads.ts';

export interface IncidentRecord {
  id: string;
  request: DiagnoseJobData['request'];
  channel: string;
  rootTs?: string;
  cause?: Cause;
  state: 'diagnosing' | 'diagnosed' | 'dismissed' | 'failed';
  updatedAt: number;
  dismissedBy?: string;
}

const INCIDENT_TTL_SECONDS = 14 * 24 * 3600;

export function newIncidentId(): string {
  return randomBytes(12).toString('base64url');
}

export interface IncidentStore {
  save(record: IncidentRecord): Promise<void>;
  get(id: string): Promise<IncidentRecord | undefined>;
}

export function createIncidentStore(redis: Redis, prefix: string): IncidentStore {
  const key = (id: string) => `${prefix}:incident:${id}`;
  return {
    async save(record) {
      await redis.set(key(record.id), JSON.stringify(record), 'EX', INCIDENT_TTL_SECONDS);
    },
    async get(id) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
      const raw = await redis.get(key(id));
      return raw ? (JSON.parse(raw) as IncidentRecord) : undefined;
    },
  };
}
