/**
 * Builders for the HTTP requests Slack sends to an app (slash commands and block_actions
 * interactivity), signed the way Slack signs them, plus a fetch helper that posts them.
 *
 * Default ids match the fake Slack's (FAKE_SLACK_DEFAULTS). The default response_url points at
 * a closed loopback port so that a test which forgets to set one fails fast instead of reaching
 * out of the machine; use `fake.responseUrl(id)`.
 */
import { createHmac } from 'node:crypto';
import { FAKE_SLACK_DEFAULTS as D } from './fake-slack.ts';

const UNSET_RESPONSE_URL = 'http://127.0.0.1:9/response-url-not-set';

export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
  'content-type': 'application/x-www-form-urlencoded';
}

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with the signing secret. */
export function slackSignature(signingSecret: string, rawBody: string, timestampSec: number): string {
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

/** The headers Slack sends with a signed request; the timestamp defaults to now. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  return {
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': slackSignature(signingSecret, rawBody, timestampSec),
    'content-type': 'application/x-www-form-urlencoded',
  };
}

// ---------------------------------------------------------------------------------------------
// Slash commands
// ---------------------------------------------------------------------------------------------

export interface SlashCommandFields {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  trigger_id: string;
}

let triggerSeq = 0;
function nextTriggerId(): string {
  triggerSeq += 1;
  return `${Date.now()}.${triggerSeq}.fake0trigger0${String(triggerSeq).padStart(4, '0')}`;
}

export function slashCommandFields(overrides: Partial<SlashCommandFields> = {}): SlashCommandFields {
  return {
    token: 'fake-verification-token',
    team_id: D.teamId,
    team_domain: D.teamDomain,
    channel_id: D.channelId,
    channel_name: D.channelName,
    user_id: D.userId,
    user_name: D.userName,
    command: '/oom',
    text: '',
    api_app_id: D.appId,
    is_enterprise_install: 'false',
    response_url: UNSET_RESPONSE_URL,
    trigger_id: nextTriggerId(),
    ...overrides,
  };
}

/** The form-encoded body of a slash command, e.g. `slashCommandBody({ text: 'explain pod-x' })`. */
export function slashCommandBody(overrides: Partial<SlashCommandFields> = {}): string {
  return new URLSearchParams({ ...slashCommandFields(overrides) }).toString();
}

// ---------------------------------------------------------------------------------------------
// block_actions (button clicks)
// ---------------------------------------------------------------------------------------------

export interface BlockAction {
  action_id: string;
  block_id: string;
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  value: string;
  type: 'button';
  style?: 'primary' | 'danger';
  action_ts: string;
}

export interface BlockActionsPayload {
  type: 'block_actions';
  user: { id: string; username: string; name: string; team_id: string };
  api_app_id: string;
  token: string;
  container: { type: 'message'; message_ts: string; channel_id: string; is_ephemeral: boolean };
  trigger_id: string;
  team: { id: string; domain: string };
  enterprise: null;
  is_enterprise_install: boolean;
  channel: { id: string; name: string };
  message: Record<string, unknown>;
  state: { values: Record<string, unknown> };
  response_url: string;
  actions: BlockAction[];
}

export type BlockActionsOverrides = Partial<BlockActionsPayload> & {
  /** Merged into the single default action (ignored when `actions` is given). */
  action?: Partial<BlockAction>;
};

/**
 * A block_actions payload for a button click on a bot message. `channel` and `message.ts`
 * overrides also drive `container`, unless `container` is given too; other keys replace the
 * default top-level fields.
 */
export function blockActionsPayload(overrides: BlockActionsOverrides = {}): BlockActionsPayload {
  const { action, ...rest } = overrides;
  const channel = rest.channel ?? { id: D.channelId, name: D.channelName };
  const messageTs = typeof rest.message?.ts === 'string' ? rest.message.ts : '1732441800.000100';
  const nowTs = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: D.userId, username: D.userName, name: D.userName, team_id: D.teamId },
    api_app_id: D.appId,
    token: 'fake-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel.id, is_ephemeral: false },
    trigger_id: nextTriggerId(),
    team: { id: D.teamId, domain: D.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel,
    message: {
      type: 'message',
      user: D.botUserId,
      bot_id: D.botId,
      app_id: D.appId,
      team: D.teamId,
      ts: messageTs,
      text: 'OOM kill detected',
      blocks: [],
    },
    state: { values: {} },
    response_url: UNSET_RESPONSE_URL,
    actions: [
      {
        action_id: 'approve',
        block_id: 'actions',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: 'approve',
        type: 'button',
        action_ts: nowTs,
        ...action,
      },
    ],
    ...rest,
  };
}

/** The form-encoded body Slack posts for a button click: a single `payload` field holding JSON. */
export function blockActionsBody(overrides: BlockActionsOverrides = {}): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionsPayload(overrides)) }).toString();
}

// ---------------------------------------------------------------------------------------------
// Posting
// ---------------------------------------------------------------------------------------------

export interface PostSignedOptions {
  /** Request timestamp in epoch seconds (default now); used for both the header and the signature. */
  timestamp?: number;
  /** Replaces the computed `x-slack-signature` header. */
  signature?: string;
  /** Extra or overriding headers (e.g. `x-slack-retry-num`). */
  headers?: Record<string, string>;
}

export interface PostSignedResult {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  headers: Headers;
}

/** POSTs `rawBody` to `url` signed with `secret`, exactly as Slack would. */
export async function postSigned(
  url: string,
  secret: string,
  rawBody: string,
  opts: PostSignedOptions = {},
): Promise<PostSignedResult> {
  const headers: Record<string, string> = {
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signSlackRequest(secret, rawBody, opts.timestamp),
  };
  if (opts.signature !== undefined) headers['x-slack-signature'] = opts.signature;
  Object.assign(headers, opts.headers);
  const response = await fetch(url, { method: 'POST', headers, body: rawBody });
  const body = await response.text();
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    body,
    ...(json !== undefined ? { json } : {}),
    headers: response.headers,
  };
}
