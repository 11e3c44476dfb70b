/**
 * The only reader of process.env. Validated with zod, typed, frozen; a bad value fails fast
 * with a message naming the variable. Secrets are kept out of every message.
 */
import { z } from 'zod';
import { parseQuantity } from './domain/quantity.ts';
import { OomBotError } from './errors.ts';

export type Mode = 'serve' | 'worker' | 'start' | 'diagnose';

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(' or ')} URL`,
    );

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
  SLACK_API_URL: url(['http:', 'https:'])
    .transform((s) => (s.endsWith('/') ? s : `${s}/`))
    .optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  PROMETHEUS_URL: url(['http:', 'https:']).optional(),
  KUBECONFIG: optionalString,
  KUBE_CONTEXT: optionalString,
  OOM_CHANNEL: optionalString,
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/, 'letters, digits, : _ - only')
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    socketMode: boolean;
  };
  port: number;
  redisUrl: string;
  prometheusUrl?: string;
  kubeconfig?: string;
  kubeContext?: string;
  oomChannel?: string;
  queuePrefix: string;
  windowSeconds: number;
  sourceTimeoutMs: number;
  maxLimitBytes: number;
  workerConcurrency: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Every secret value, for redaction. */
  secrets: string[];
}

export interface LoadOptions {
  mode: Mode;
  /** With a scenario, cluster and metrics come from files: no Prometheus or cluster needed. */
  scenario?: boolean;
}

function requireVar(value: string | undefined, name: string, why: string): void {
  if (!value) throw new OomBotError('config_invalid', `${name} is required ${why}`);
}

/** Read and validate the configuration from an environment. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions): Readonly<Config> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new OomBotError('config_invalid', `${name}: ${issue?.message ?? 'invalid'}`);
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
  if (!options.scenario && options.mode !== 'serve') {
    requireVar(e.PROMETHEUS_URL, 'PROMETHEUS_URL', 'to read metrics (or use --scenario DIR)');
  }
  const secrets = [e.SLACK_BOT_TOKEN, e.SLACK_SIGNING_SECRET, e.SLACK_APP_TOKEN].filter((s): s is string =>
    Boolean(s),
  );
  const redisPassword = safePassword(e.REDIS_URL);
  if (redisPassword) secrets.push(redisPassword);
  return Object.freeze({
    slack: Object.freeze({
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      socketMode: Boolean(e.SLACK_APP_TOKEN),
    }),
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    prometheusUrl: e.PROMETHEUS_URL,
    kubeconfig: e.KUBECONFIG,
    kubeContext: e.KUBE_CONTEXT,
    oomChannel: e.OOM_CHANNEL,
    queuePrefix: e.QUEUE_PREFIX,
    windowSeconds: e.WINDOW_HOURS * 3600,
    sourceTimeoutMs: e.SOURCE_TIMEOUT_MS,
    maxLimitBytes: parseQuantity(e.MAX_MEMORY_LIMIT) as number,
    workerConcurrency: e.WORKER_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    secrets: Object.freeze(secrets) as string[],
  });
}

function safePassword(redisUrl: string): string | undefined {
  try {
    const password = new URL(redisUrl).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
