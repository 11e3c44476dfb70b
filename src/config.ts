/**
 * The only reader of process.env. Validated with zod, typed, frozen; a bad value fails fast
 * with a message naming the variable. Secrets are kept out of every message.
 */
import { z } from 'zod';
import { DEFAULT_ALERT_MATCHERS, type MatcherRule, parseMatcherRules } from './alerts/matchers.ts';
import { type ChannelRoute, parseChannelRoutes } from './alerts/routing.ts';
import { commaList, hostPorts, optionalString, prometheusByContext, url } from './config-values.ts';
import { parseQuantity } from './domain/quantity.ts';
import { OomBotError } from './errors.ts';

export type Mode = 'serve' | 'worker' | 'start' | 'diagnose';

/** Where Alertmanager posts its webhooks unless ALERTMANAGER_PATH says otherwise. */
export const DEFAULT_WEBHOOK_PATH = '/alertmanager';
/** The largest webhook body read before answering 413. */
export const DEFAULT_WEBHOOK_MAX_BYTES = 4 * 1024 * 1024;

/** The shortest APPROVAL_SIGNING_KEY accepted (as remediation/signing.ts requires). */
const MIN_SIGNING_KEY_LENGTH = 32;

/** A comma-separated list of glob patterns; empty items dropped. */
function parsePatterns(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** DENY_NAMESPACES when unset: the system namespaces and the bot's own. */
function defaultDenyNamespaces(ownNamespace: string | undefined): string[] {
  return ['kube-*', ownNamespace?.trim() || 'oom-bot'];
}

const schema = z.object({
  SLACK_BOT_TOKEN: optionalString.refine(
    (s) => s === undefined || s.startsWith('xoxb-'),
    'must start with xoxb-',
  ),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString.refine(
    (s) => s === undefined || s.startsWith('xapp-'),
    'must start with xapp-',
  ),
  // empty (as .env.example leaves it) is unset
  SLACK_API_URL: z
    .literal('')
    .transform(() => undefined)
    .or(url(['http:', 'https:']).transform((s) => (s.endsWith('/') ? s : `${s}/`)))
    .optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9091),
  PROMETHEUS_URL: url(['http:', 'https:']).optional(),
  PROMETHEUS_URLS: prometheusByContext.optional(),
  KUBECONFIG: optionalString,
  KUBE_CONTEXT: optionalString,
  OOM_CHANNEL: optionalString,
  /** The forecast scan's schedule, a cron pattern (5 or 6 fields); unset: no scheduled scan. */
  RISK_SCAN_CRON: optionalString.refine(
    (s) => s === undefined || /^\S+(\s+\S+){4,5}$/.test(s.trim()),
    'must be a cron pattern of 5 or 6 fields, e.g. "0 * * * *"',
  ),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_{}-]+$/, 'letters, digits, : _ - { } only')
    .default('oom-bot'),
  WINDOW_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 14)
    .default(24),
  SOURCE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  MAX_MEMORY_LIMIT: z
    .string()
    .default('16Gi')
    .refine(
      (s) => parseQuantity(s) !== undefined && (parseQuantity(s) as number) > 0,
      'must be a quantity like 16Gi',
    ),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  APPROVAL_POLICY_FILE: optionalString,
  APPROVAL_SIGNING_KEY: optionalString.refine(
    (s) => s === undefined || s.length >= MIN_SIGNING_KEY_LENGTH,
    `must be at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 32)`,
  ),
  WRITE_NAMESPACES: optionalString,
  DENY_NAMESPACES: optionalString,
  POD_NAMESPACE: optionalString,
  BUTTON_TTL_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(30),
  DRY_RUN_ONLY: z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['', 'true', 'false', '1', '0', 'yes', 'no'].includes(s), 'must be true or false')
    .transform((s) => s === 'true' || s === '1' || s === 'yes')
    .default(false),
  ROLLOUT_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(300),
  VERIFY_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  SLACK_UPDATES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(50),
  SLACK_RETRY_MAX_MS: z.coerce.number().int().min(0).max(3_600_000).default(180_000),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
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
  OOM_ALLOWED_CHANNELS: commaList(/^[CGD][A-Z0-9]{2,}$/, 'Slack channel ids like C0123ABCD'),
  OOM_ALLOWED_USERGROUPS: commaList(/^S[A-Z0-9]{2,}$/, 'Slack user group ids like S0123ABCD'),
  OOM_ALLOWED_NAMESPACES: commaList(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'Kubernetes namespace names'),
  WEBHOOK_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_WEBHOOK_MAX_BYTES),
});

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

export interface Config {
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    socketMode: boolean;
  };
  port: number;
  /** The worker's /healthz, /readyz and /metrics (the web process serves them on `port`). */
  metricsPort: number;
  redisUrl: string;
  /** The Redis topology: REDIS_URL alone, or with Sentinel or Cluster nodes (see src/redis.ts). */
  redis: {
    url: string;
    sentinels?: Array<{ host: string; port: number }>;
    sentinelMaster?: string;
    sentinelPassword?: string;
    clusterNodes?: Array<{ host: string; port: number }>;
  };
  prometheusUrl?: string;
  /** Prometheus per kubeconfig context; contexts not listed use prometheusUrl. */
  prometheusUrls: Readonly<Record<string, string>>;
  kubeconfig?: string;
  kubeContext?: string;
  oomChannel?: string;
  /** When the forecast scan runs and posts its digest (cron); undefined: never on its own. */
  riskScanCron?: string;
  queuePrefix: string;
  windowSeconds: number;
  sourceTimeoutMs: number;
  maxLimitBytes: number;
  workerConcurrency: number;
  /** A job's lock, renewed while it runs; a worker killed mid-job hands it back once it expires. */
  jobLockMs: number;
  /** Approved remediation: policy file, button lifetime, global dry run, rollout watch, verification. */
  remediation: {
    policyFile?: string;
    /** Signs plans, approvals and change records; never written to Redis. */
    signingKey?: string;
    /** Glob patterns of the namespaces the worker may write to, and of those it never writes to. */
    writeNamespaces: readonly string[];
    denyNamespaces: readonly string[];
    buttonTtlSeconds: number;
    dryRunOnly: boolean;
    rolloutTimeoutMs: number;
    verifySeconds: number;
  };
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Minimum spacing of Slack messages per channel (Slack's pace is about one per second). */
  slackMinIntervalMs: number;
  /** chat.update calls per minute for the workspace (Slack's Tier 3: 50 a minute). */
  slackUpdatesPerMinute: number;
  /** How long the Web API client retries a Slack that does not answer (5xx, refused) before the job is given back. */
  slackRetryMaxMs: number;
  /** On SIGTERM, how long jobs in flight may finish; then they are left to another worker (the queue hands them back). */
  shutdownDrainMs: number;
  /** The Alertmanager webhook: on once a bearer token or basic auth is configured. */
  alerts: {
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
  };
  /** Who may run `/oom`, where, on what: each list empty means no restriction. */
  allow: { channels: readonly string[]; userGroups: readonly string[]; namespaces: readonly string[] };
  /** Every secret value, for redaction. */
  secrets: string[];
}

export interface LoadOptions {
  mode: Mode;
  /** With a scenario, cluster and metrics come from files: no Prometheus or cluster needed. */
  scenario?: boolean;
}

/** Secrets only the web process uses (Slack's request signatures, Socket Mode, the webhook's credentials). */
export const WEB_ONLY_SECRETS = [
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'ALERTMANAGER_TOKEN',
  'ALERTMANAGER_BASIC_AUTH',
] as const;

/** A worker or a CLI run never reads the web's secrets: they are neither validated, kept nor masked. */
function withoutUnusedSecrets(env: NodeJS.ProcessEnv, mode: Mode): NodeJS.ProcessEnv {
  if (mode === 'serve' || mode === 'start') return env;
  const kept = { ...env };
  for (const name of WEB_ONLY_SECRETS) delete kept[name];
  return kept;
}

function requireVar(value: string | undefined, name: string, why: string): void {
  if (!value) throw new OomBotError('config_invalid', `${name} is required ${why}`);
}

/** Read and validate the configuration from an environment. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions): Readonly<Config> {
  const parsed = schema.safeParse(withoutUnusedSecrets(env, options.mode));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    // one line whatever the value held: control characters (a newline in a value) are shown escaped
    const message = (issue?.message ?? 'invalid').replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
    throw new OomBotError('config_invalid', `${name}: ${message}`);
  }
  const e = parsed.data;
  const usesSlack = options.mode !== 'diagnose';
  if (usesSlack) {
    requireVar(e.SLACK_BOT_TOKEN, 'SLACK_BOT_TOKEN', 'to post to Slack');
    if (options.mode !== 'worker' && !e.SLACK_APP_TOKEN) {
      requireVar(
        e.SLACK_SIGNING_SECRET,
        'SLACK_SIGNING_SECRET',
        'to verify Slack requests (or set SLACK_APP_TOKEN for Socket Mode)',
      );
    }
  }
  if (usesSlack) {
    requireVar(
      e.APPROVAL_SIGNING_KEY,
      'APPROVAL_SIGNING_KEY',
      'to sign and verify remediation plans and approvals (a random secret of 32+ characters, e.g. openssl rand -base64 32, in the Secret; never in Redis)',
    );
  }
  if (!options.scenario && options.mode !== 'serve' && Object.keys(e.PROMETHEUS_URLS ?? {}).length === 0) {
    requireVar(e.PROMETHEUS_URL, 'PROMETHEUS_URL', 'to read metrics (or use --scenario DIR)');
  }
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) {
    throw new OomBotError('config_invalid', 'REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other');
  }
  if (e.REDIS_CLUSTER_NODES && !/^\{[^{}]+\}/.test(e.QUEUE_PREFIX)) {
    throw new OomBotError(
      'config_invalid',
      'QUEUE_PREFIX must start with a hash tag such as {oom-bot} when REDIS_CLUSTER_NODES is set (a queue must live in one slot)',
    );
  }
  const alertsEnabled = Boolean(e.ALERTMANAGER_TOKEN || e.ALERTMANAGER_BASIC_AUTH);
  if (alertsEnabled && (options.mode === 'serve' || options.mode === 'start')) {
    requireVar(
      e.OOM_CHANNEL,
      'OOM_CHANNEL',
      'when ALERTMANAGER_TOKEN or ALERTMANAGER_BASIC_AUTH enables the Alertmanager webhook (the channel for alerts no CHANNEL_ROUTES route matches)',
    );
  }
  const secrets = [
    e.SLACK_BOT_TOKEN,
    e.SLACK_SIGNING_SECRET,
    e.SLACK_APP_TOKEN,
    e.REDIS_SENTINEL_PASSWORD,
    e.ALERTMANAGER_TOKEN,
    e.ALERTMANAGER_BASIC_AUTH,
    e.APPROVAL_SIGNING_KEY,
    e.ALERTMANAGER_BASIC_AUTH?.slice(e.ALERTMANAGER_BASIC_AUTH.indexOf(':') + 1),
  ].filter((s): s is string => Boolean(s));
  secrets.push(...redisPasswordForms(e.REDIS_URL));
  return Object.freeze({
    slack: Object.freeze({
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      socketMode: Boolean(e.SLACK_APP_TOKEN),
    }),
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    redisUrl: e.REDIS_URL,
    redis: Object.freeze({
      url: e.REDIS_URL,
      sentinels: e.REDIS_SENTINELS,
      sentinelMaster: e.REDIS_SENTINEL_MASTER,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
      clusterNodes: e.REDIS_CLUSTER_NODES,
    }),
    prometheusUrl: e.PROMETHEUS_URL,
    prometheusUrls: Object.freeze({ ...(e.PROMETHEUS_URLS ?? {}) }),
    kubeconfig: e.KUBECONFIG,
    kubeContext: e.KUBE_CONTEXT,
    oomChannel: e.OOM_CHANNEL,
    riskScanCron: e.RISK_SCAN_CRON?.trim(),
    queuePrefix: e.QUEUE_PREFIX,
    windowSeconds: e.WINDOW_HOURS * 3600,
    sourceTimeoutMs: e.SOURCE_TIMEOUT_MS,
    maxLimitBytes: parseQuantity(e.MAX_MEMORY_LIMIT) as number,
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobLockMs: e.JOB_LOCK_MS,
    remediation: Object.freeze({
      policyFile: e.APPROVAL_POLICY_FILE,
      signingKey: e.APPROVAL_SIGNING_KEY,
      writeNamespaces: Object.freeze(parsePatterns(e.WRITE_NAMESPACES ?? '*')),
      denyNamespaces: Object.freeze(
        e.DENY_NAMESPACES === undefined
          ? defaultDenyNamespaces(e.POD_NAMESPACE)
          : parsePatterns(e.DENY_NAMESPACES),
      ),
      buttonTtlSeconds: Math.round(e.BUTTON_TTL_MINUTES * 60),
      dryRunOnly: e.DRY_RUN_ONLY,
      rolloutTimeoutMs: Math.round(e.ROLLOUT_TIMEOUT_SECONDS * 1000),
      verifySeconds: Math.round(e.VERIFY_MINUTES * 60),
    }),
    logLevel: e.LOG_LEVEL,
    slackMinIntervalMs: e.SLACK_MIN_INTERVAL_MS,
    slackUpdatesPerMinute: e.SLACK_UPDATES_PER_MINUTE,
    slackRetryMaxMs: e.SLACK_RETRY_MAX_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    alerts: Object.freeze({
      enabled: alertsEnabled,
      token: e.ALERTMANAGER_TOKEN,
      basicAuth: e.ALERTMANAGER_BASIC_AUTH,
      path: e.ALERTMANAGER_PATH,
      rules: Object.freeze(e.ALERT_MATCHERS ?? parseMatcherRules(DEFAULT_ALERT_MATCHERS)),
      routes: Object.freeze(e.CHANNEL_ROUTES ?? []),
      reopenWindowMs: Math.round(e.REOPEN_WINDOW_MINUTES * 60_000),
      maxBytes: e.WEBHOOK_MAX_BYTES,
      cap: Object.freeze({ max: e.ALERT_MAX_NEW_INCIDENTS, windowMs: e.ALERT_WINDOW_SECONDS * 1000 }),
    }),
    allow: Object.freeze({
      channels: Object.freeze(e.OOM_ALLOWED_CHANNELS),
      userGroups: Object.freeze(e.OOM_ALLOWED_USERGROUPS),
      namespaces: Object.freeze(e.OOM_ALLOWED_NAMESPACES),
    }),
    secrets: Object.freeze(secrets) as string[],
  });
}

/** The Redis password decoded and as written in the URL (the logger masks both, and their encodings). */
function redisPasswordForms(redisUrl: string): string[] {
  try {
    const written = new URL(redisUrl).password;
    if (!written) return [];
    const decoded = decodeURIComponent(written);
    return decoded === written ? [decoded] : [decoded, written];
  } catch {
    return [];
  }
}
