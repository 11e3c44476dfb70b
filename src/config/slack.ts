/**
 * The Slack section of the configuration: the tokens, the API URL, the posting pace and retries,
 * and who may run `/oom` where (OOM_ALLOWED_*).
 */
import { z } from 'zod';
import { commaList, optionalString, url } from '../config-values.ts';

export const slackEnv = {
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
  SLACK_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  SLACK_UPDATES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(50),
  SLACK_RETRY_MAX_MS: z.coerce.number().int().min(0).max(3_600_000).default(180_000),
  OOM_ALLOWED_CHANNELS: commaList(/^[CGD][A-Z0-9]{2,}$/, 'Slack channel ids like C0123ABCD'),
  OOM_ALLOWED_USERGROUPS: commaList(/^S[A-Z0-9]{2,}$/, 'Slack user group ids like S0123ABCD'),
  OOM_ALLOWED_NAMESPACES: commaList(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'Kubernetes namespace names'),
};

type SlackEnv = z.infer<z.ZodObject<typeof slackEnv>>;

export interface SlackConfig {
  botToken?: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  socketMode: boolean;
}

/** Who may run `/oom`, where, on what: each list empty means no restriction. */
export interface AllowConfig {
  channels: readonly string[];
  userGroups: readonly string[];
  namespaces: readonly string[];
}

export function slackConfig(e: SlackEnv): SlackConfig {
  return Object.freeze({
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    apiUrl: e.SLACK_API_URL,
    socketMode: Boolean(e.SLACK_APP_TOKEN),
  });
}

export function allowConfig(e: SlackEnv): AllowConfig {
  return Object.freeze({
    channels: Object.freeze(e.OOM_ALLOWED_CHANNELS),
    userGroups: Object.freeze(e.OOM_ALLOWED_USERGROUPS),
    namespaces: Object.freeze(e.OOM_ALLOWED_NAMESPACES),
  });
}
