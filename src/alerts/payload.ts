/**
 * The Alertmanager webhook payload (version 4), validated with zod. `parseAlertmanagerPayload`
 * turns an untrusted JSON value into typed alerts with epoch-millisecond times and a fingerprint,
 * or a one-line reason naming the offending field (the webhook answers 400 with it).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Prometheus label names (Alertmanager 0.25 accepts no others). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** More alerts than this in one notification is not something Alertmanager sends. */
export const MAX_ALERTS_PER_PAYLOAD = 10_000;

const labelSet = z.record(z.string().regex(LABEL_NAME), z.string(), {
  error: (issue) => (issue.code === 'invalid_key' ? 'is not a valid label name' : undefined),
});

const rfc3339 = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)), 'must be an RFC 3339 time');

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet.refine((l) => Boolean(l.alertname), 'must have an alertname'),
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: rfc3339,
  endsAt: rfc3339.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-fA-F]{1,64}$/, 'must be hexadecimal')
    .optional(),
});

const payloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().optional(),
  alerts: z.array(alertSchema).max(MAX_ALERTS_PER_PAYLOAD),
});

export type AlertStatus = 'firing' | 'resolved';

export interface ReceivedAlert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Epoch milliseconds. */
  startsAt: number;
  /** Epoch milliseconds; undefined when Alertmanager sent its zero time (still firing). */
  endsAt?: number;
  /** Alertmanager's fingerprint, else a hash of the sorted labels. */
  fingerprint: string;
}

export interface AlertmanagerPayload {
  receiver: string;
  status: AlertStatus;
  groupKey: string;
  /** Alerts Alertmanager left out because of `max_alerts`. */
  truncatedAlerts: number;
  externalUrl?: string;
  alerts: ReceivedAlert[];
}

export type PayloadResult = { ok: true; payload: AlertmanagerPayload } | { ok: false; reason: string };

/** A stable fingerprint of a label set for senders that do not send one. */
export function labelsFingerprint(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Alertmanager writes "0001-01-01T00:00:00Z" for "no end yet". */
function endTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return ms > 0 ? ms : undefined;
}

function describePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || 'body';
}

/** Validate a decoded JSON body as an Alertmanager v4 webhook payload. */
export function parseAlertmanagerPayload(body: unknown): PayloadResult {
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = describePath(issue?.path ?? []);
    return { ok: false, reason: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  const p = parsed.data;
  return {
    ok: true,
    payload: {
      receiver: p.receiver,
      status: p.status,
      groupKey: p.groupKey,
      truncatedAlerts: p.truncatedAlerts ?? 0,
      externalUrl: p.externalURL,
      alerts: p.alerts.map((a) => ({
        status: a.status,
        labels: a.labels,
        annotations: a.annotations ?? {},
        startsAt: Date.parse(a.startsAt),
        endsAt: endTime(a.endsAt),
        fingerprint: (a.fingerprint ?? labelsFingerprint(a.labels)).toLowerCase(),
      })),
    },
  };
}
