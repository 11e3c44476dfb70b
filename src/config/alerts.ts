/**
 * The alert webhook section of the configuration: its credentials and path, which alerts start a
 * diagnosis (ALERT_MATCHERS), where they go (CHANNEL_ROUTES), when an incident reopens, the
 * per-channel cap and the largest body read.
 */
import { z } from 'zod';
import { DEFAULT_ALERT_MATCHERS, type MatcherRule, parseMatcherRules } from '../alert-labels/matchers.ts';
import { type ChannelRoute, parseChannelRoutes } from '../alert-labels/routing.ts';
import { optionalString } from '../config-values.ts';

/** Where Alertmanager posts its webhooks unless ALERTMANAGER_PATH says otherwise. */
export const DEFAULT_WEBHOOK_PATH = '/alertmanager';
/** The largest webhook body read before answering 413. */
const DEFAULT_WEBHOOK_MAX_BYTES = 4 * 1024 * 1024;

/** Parse an optional value with `parse`; a parse error becomes the variable's issue. */
function parsedOrIssue<T>(
  value: string | undefined,
  parse: (text: string) => T,
  ctx: { addIssue(issue: { code: 'custom'; message: string }): void },
): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
}

export const alertsEnv = {
  ALERTMANAGER_TOKEN: optionalString,
  ALERTMANAGER_BASIC_AUTH: optionalString.refine(
    (s) => s === undefined || /^[^:]+:.+$/.test(s),
    'must be user:password',
  ),
  ALERTMANAGER_PATH: z
    .string()
    .trim()
    .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path starting with /')
    .default(DEFAULT_WEBHOOK_PATH),
  ALERT_MATCHERS: optionalString.transform((s, ctx) => parsedOrIssue(s, parseMatcherRules, ctx)),
  CHANNEL_ROUTES: optionalString.transform((s, ctx) => parsedOrIssue(s, parseChannelRoutes, ctx)),
  REOPEN_WINDOW_MINUTES: z.coerce
    .number()
    .positive()
    .max(30 * 24 * 60)
    .default(120),
  ALERT_MAX_NEW_INCIDENTS: z.coerce.number().int().min(1).max(10_000).default(20),
  ALERT_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .default(600),
  WEBHOOK_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_WEBHOOK_MAX_BYTES),
};

type AlertsEnv = z.infer<z.ZodObject<typeof alertsEnv>>;

/** The Alertmanager webhook: on once a bearer token or basic auth is configured. */
export interface AlertsConfig {
  enabled: boolean;
  token?: string;
  /** `user:password`. */
  basicAuth?: string;
  path: string;
  /** Which alerts start a diagnosis (any rule matches). */
  rules: readonly MatcherRule[];
  /** Channel per label matchers; the first match wins, else oomChannel. */
  routes: readonly ChannelRoute[];
  reopenWindowMs: number;
  maxBytes: number;
  /** New incidents per channel and window; past it they are held and summarised. */
  cap: { max: number; windowMs: number };
}

/** A bearer token or basic auth turns the webhook on. */
export function alertsEnabled(e: AlertsEnv): boolean {
  return Boolean(e.ALERTMANAGER_TOKEN || e.ALERTMANAGER_BASIC_AUTH);
}

export function alertsConfig(e: AlertsEnv): AlertsConfig {
  return Object.freeze({
    enabled: alertsEnabled(e),
    token: e.ALERTMANAGER_TOKEN,
    basicAuth: e.ALERTMANAGER_BASIC_AUTH,
    path: e.ALERTMANAGER_PATH,
    rules: Object.freeze(e.ALERT_MATCHERS ?? parseMatcherRules(DEFAULT_ALERT_MATCHERS)),
    routes: Object.freeze(e.CHANNEL_ROUTES ?? []),
    reopenWindowMs: Math.round(e.REOPEN_WINDOW_MINUTES * 60_000),
    maxBytes: e.WEBHOOK_MAX_BYTES,
    cap: Object.freeze({ max: e.ALERT_MAX_NEW_INCIDENTS, windowMs: e.ALERT_WINDOW_SECONDS * 1000 }),
  });
}
