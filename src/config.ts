/**
 * The only reader of process.env. Validated with zod, typed, frozen; a bad value fails fast
 * with a message naming the variable. Secrets are kept out of every message. The sections with
 * their own concern (Slack, Redis, remediation, the alert webhook) live in src/config/; this module
 * holds the rest and puts them together.
 */
import { z } from 'zod';
import { type AlertsConfig, alertsConfig, alertsEnabled, alertsEnv } from './config/alerts.ts';
import {
  checkRedisTopology,
  type RedisConfig,
  redisConfig,
  redisEnv,
  redisPasswordForms,
} from './config/redis.ts';
import { type RemediationConfig, remediationConfig, remediationEnv } from './config/remediation.ts';
import { type AllowConfig, allowConfig, type SlackConfig, slackConfig, slackEnv } from './config/slack.ts';
import { optionalString, prometheusByContext, url } from './config-values.ts';
import { parseQuantity } from './domain/quantity.ts';
import { OomBotError } from './errors.ts';

export { DEFAULT_WEBHOOK_PATH } from './config/alerts.ts';

export type Mode = 'serve' | 'worker' | 'start' | 'diagnose';

const schema = z.object({
  ...slackEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ...redisEnv,
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
  ...remediationEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
  ...alertsEnv,
});

export interface Config {
  slack: SlackConfig;
  port: number;
  /** The worker's /healthz, /readyz and /metrics (the web process serves them on `port`). */
  metricsPort: number;
  redisUrl: string;
  /** The Redis topology: REDIS_URL alone, or with Sentinel or Cluster nodes (see src/redis.ts). */
  redis: RedisConfig;
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
  remediation: RemediationConfig;
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
  alerts: AlertsConfig;
  /** Who may run `/oom`, where, on what: each list empty means no restriction. */
  allow: AllowConfig;
  /** Every secret value, for redaction. */
  secrets: string[];
}

interface LoadOptions {
  mode: Mode;
  /** With a scenario, cluster and metrics come from files: no Prometheus or cluster needed. */
  scenario?: boolean;
}

/** Secrets only the web process uses (Slack's request signatures, Socket Mode, the webhook's credentials). */
const WEB_ONLY_SECRETS = [
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
  checkRedisTopology(e);
  if (alertsEnabled(e) && (options.mode === 'serve' || options.mode === 'start')) {
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
    slack: slackConfig(e),
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    redisUrl: e.REDIS_URL,
    redis: redisConfig(e),
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
    remediation: remediationConfig(e),
    logLevel: e.LOG_LEVEL,
    slackMinIntervalMs: e.SLACK_MIN_INTERVAL_MS,
    slackUpdatesPerMinute: e.SLACK_UPDATES_PER_MINUTE,
    slackRetryMaxMs: e.SLACK_RETRY_MAX_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    alerts: alertsConfig(e),
    allow: allowConfig(e),
    secrets: Object.freeze(secrets) as string[],
  });
}
