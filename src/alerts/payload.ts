/**
 * The Alertmanager webhook payload (version 4) and Grafana Alerting's (version 1, the same shape
 * plus orgId, title, state, message and per-alert values and URLs), validated with zod.
 * `parseAlertmanagerPayload` turns an untrusted JSON value into typed alerts with
 * epoch-millisecond times and a fingerprint, or a one-line reason naming the offending field of the
 * envelope (the webhook answers 400 with it). One bad alert never refuses the group: it is skipped,
 * with its reason, and the others are kept (Alertmanager never retries a 4xx).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** More alerts than this in one notification is not something Alertmanager sends. */
const MAX_ALERTS_PER_PAYLOAD = 10_000;

/** The longest alertname (and twice that for a reason, which may quote a label name) kept of a skipped alert. */
const MAX_SKIPPED_TEXT = 128;

/** Any UTF-8 label name (Alertmanager 0.27+ and Grafana accept them: `k8s.namespace.name`). */
const labelSet = z.record(z.string().min(1, 'is an empty label name'), z.string());

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
  version: z.enum(['4', '1'], {
    error: 'must be "4" (Alertmanager webhook payload version 4) or "1" (Grafana Alerting)',
  }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().optional(),
  // each alert is validated on its own: see parseAlert
  alerts: z.array(z.unknown()).max(MAX_ALERTS_PER_PAYLOAD),
  // Grafana Alerting
  orgId: z.number().optional(),
  title: z.string().optional(),
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

/** An alert of the payload that was left out, and why. */
export interface SkippedAlert {
  index: number;
  alertname?: string;
  fingerprint?: string;
  reason: string;
}

export interface AlertmanagerPayload {
  /** `grafana` for Grafana Alerting's webhook (version "1"). */
  sender: 'alertmanager' | 'grafana';
  receiver: string;
  status: AlertStatus;
  groupKey: string;
  /** Alerts Alertmanager left out because of `max_alerts`. */
  truncatedAlerts: number;
  externalUrl?: string;
  alerts: ReceivedAlert[];
  /** Alerts not usable (no alertname, a bad time…), left out of `alerts`. */
  skipped: SkippedAlert[];
}

type PayloadResult = { ok: true; payload: AlertmanagerPayload } | { ok: false; reason: string };

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

/** Validate a decoded JSON body as an Alertmanager v4 (or Grafana v1) webhook payload. */
export function parseAlertmanagerPayload(body: unknown): PayloadResult {
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error.issues) };
  const p = parsed.data;
  const alerts: ReceivedAlert[] = [];
  const skipped: SkippedAlert[] = [];
  p.alerts.forEach((raw, index) => {
    const alert = parseAlert(raw, index);
    if ('reason' in alert) skipped.push(alert);
    else alerts.push(alert);
  });
  return {
    ok: true,
    payload: {
      sender: p.version === '1' ? 'grafana' : 'alertmanager',
      receiver: p.receiver,
      status: p.status,
      groupKey: p.groupKey,
      truncatedAlerts: p.truncatedAlerts ?? 0,
      externalUrl: p.externalURL,
      alerts,
      skipped,
    },
  };
}

function firstIssue(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const issue = issues[0];
  return `${describePath(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`;
}

/** One alert, or why it is skipped (its reason names the field, as `alerts[3].startsAt: …`). */
function parseAlert(raw: unknown, index: number): ReceivedAlert | SkippedAlert {
  const parsed = alertSchema.safeParse(raw);
  if (!parsed.success) {
    const r = (raw ?? {}) as { labels?: { alertname?: unknown }; fingerprint?: unknown };
    // every text here comes from the sender and goes to the log: bounded
    const alertname =
      typeof r.labels?.alertname === 'string' ? r.labels.alertname.slice(0, MAX_SKIPPED_TEXT) : undefined;
    const fingerprint = typeof r.fingerprint === 'string' ? r.fingerprint.slice(0, 64) : undefined;
    const reason = firstIssue(
      parsed.error.issues.map((i) => ({ ...i, path: ['alerts', index, ...i.path] })),
    ).slice(0, 2 * MAX_SKIPPED_TEXT);
    return { index, ...(alertname ? { alertname } : {}), ...(fingerprint ? { fingerprint } : {}), reason };
  }
  const a = parsed.data;
  return {
    status: a.status,
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: Date.parse(a.startsAt),
    endsAt: endTime(a.endsAt),
    fingerprint: (a.fingerprint ?? labelsFingerprint(a.labels)).toLowerCase(),
  };
}
