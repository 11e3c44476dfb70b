/**
 * HMAC-SHA256 signatures of the records the remediation workflow keeps in Redis (plans,
 * approvals, change records). The key comes from the Secret (APPROVAL_SIGNING_KEY) and is never
 * written to Redis, so someone who can write Redis cannot forge a record the worker accepts.
 * A signature covers the record's purpose and every field, serialized with sorted keys.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RecordSigner {
  /** base64url HMAC-SHA256 of `purpose` and `value`. */
  sign(purpose: string, value: unknown): string;
  /** Whether `mac` is the signature of `purpose` and `value` (constant-time comparison). */
  verify(purpose: string, value: unknown, mac: unknown): boolean;
}

/** The shortest key accepted: 32 bytes of text. */
const MIN_SIGNING_KEY_LENGTH = 32;

/** JSON with object keys sorted at every level, so equal records serialize to equal bytes. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function createSigner(key: string): RecordSigner {
  if (key.length < MIN_SIGNING_KEY_LENGTH) {
    throw new Error(`the signing key must be at least ${MIN_SIGNING_KEY_LENGTH} characters`);
  }
  const sign = (purpose: string, value: unknown) =>
    createHmac('sha256', key).update(purpose).update('\n').update(canonicalJson(value)).digest('base64url');
  return {
    sign,
    verify(purpose, value, mac) {
      if (typeof mac !== 'string') return false;
      const expected = Buffer.from(sign(purpose, value));
      const given = Buffer.from(mac);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
