/**
 * Sends messages to Slack through the Web API, each method at its own documented pace: posts one
 * per second per channel, in order (a new root ahead of thread replies); updates coalesced per
 * message within chat.update's budget for the workspace; waiting out a 429's Retry-After and
 * delivering once.
 */
import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { SlackMessage } from '../render/blocks/types.ts';
import { acquire, createPostLane, createUpdateScheduler, createWindowBudget, type PostLane } from './pace.ts';

type WebClient = webApi.WebClient;

/** Slack message metadata: an event type and a payload, shown to apps that read the channel. */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, string | number | boolean>;
}

/** Which message `findMessage` looks for: its metadata, posted at or after `oldest` (epoch seconds). */
export interface MessageQuery {
  channel: string;
  /** Look among this thread's replies instead of the channel's history. */
  threadTs?: string;
  eventType: string;
  /** Every field must equal the metadata's payload field. */
  payload: Record<string, string | number | boolean>;
  oldest: number;
}

export interface SlackPoster {
  post(
    channel: string,
    message: SlackMessage,
    threadTs?: string,
    options?: { metadata?: MessageMetadata },
  ): Promise<string>;
  /**
   * The ts of the bot's message carrying the metadata of `query`, or undefined (needs the
   * `channels:history`/`groups:history` scopes). Reads a bounded window: at most `MAX_LOOKUP_PAGES`.
   */
  findMessage?(query: MessageQuery): Promise<string | undefined>;
  /** Edit a posted message; updates of one message are coalesced (the latest content wins). */
  update(channel: string, ts: string, message: SlackMessage, options?: UpdateOptions): Promise<void>;
  uploadPng(
    channel: string,
    threadTs: string,
    png: Uint8Array,
    title: string,
    altText: string,
  ): Promise<void>;
  respond(
    responseUrl: string,
    message: { text: string; blocks?: unknown[]; replace_original?: boolean },
  ): Promise<void>;
}

export interface PosterOptions {
  /** Minimum spacing between two messages to the same channel (and between two updates in it). */
  minIntervalMs?: number;
  /** chat.update calls allowed per minute for the workspace (Tier 3: 50). */
  updatesPerMinute?: number;
  /** Longest Retry-After honoured before giving up. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every failed Web API call (rate limits included), for metrics. */
  onError?: (method: string, error: unknown) => void;
}

/** How an update is scheduled: routine ones (progress, counters) leave part of the budget to the rest. */
export interface UpdateOptions {
  /**
   * Progress or counters: coalesced, at most one per message every few seconds, never using the
   * reserve, and yielding while other roots await their verdicts.
   */
  routine?: boolean;
}

/**
 * Slack's documented rate limits, per Web API method (docs.slack.dev, "Rate limits" and each
 * method's reference page; limits apply per method, per app, per workspace):
 * - chat.postMessage is in the special tier: "generally allows posting one message per second per
 *   channel", short bursts tolerated: one per second per channel (SLACK_MIN_INTERVAL_MS).
 * - chat.update is Tier 3: "50+ per minute" for the workspace.
 * - conversations.history and conversations.replies are Tier 3 too (50+ per minute).
 * - files.uploadV2 calls files.getUploadURLExternal and files.completeUploadExternal, both Tier 4
 *   ("100+ per minute"); the shared file is also a message in the channel, so it keeps the
 *   channel's one-per-second pace as well.
 */
export const SLACK_METHOD_LIMITS = Object.freeze({
  postIntervalMs: 1000,
  tier3PerMinute: 50,
  tier4PerMinute: 100,
});

/** Routine updates of one message: at most one every this many ms. */
export const ROUTINE_UPDATE_INTERVAL_MS = 3000;

/**
 * Share of chat.update's budget always kept for verdicts and failures; routine updates also leave
 * one call per root still awaiting its verdict, so in a storm the verdicts go first.
 */
const URGENT_SHARE = 0.1;

/** Pages of history (200 messages each) read by `findMessage`: the window is bounded by `oldest` too. */
export const MAX_LOOKUP_PAGES = 5;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number')
    return e.retryAfter * 1000;
  return undefined;
}

/** A digest of what a message shows (its text and blocks). */
function fingerprintMessage(message: SlackMessage): string {
  return createHash('sha256')
    .update(JSON.stringify([message.text, message.blocks]))
    .digest('base64');
}

export function createSlackPoster(client: WebClient, options: PosterOptions = {}): SlackPoster {
  const interval = options.minIntervalMs ?? SLACK_METHOD_LIMITS.postIntervalMs;
  const maxWait = options.maxRetryAfterMs ?? 120_000;
  const sleep = options.sleep ?? delay;
  const lanes = new Map<string, PostLane>();
  const updatesPerMinute = options.updatesPerMinute ?? SLACK_METHOD_LIMITS.tier3PerMinute;
  const historyBudget = createWindowBudget(SLACK_METHOD_LIMITS.tier3PerMinute, 60_000);
  const uploadBudget = createWindowBudget(SLACK_METHOD_LIMITS.tier4PerMinute, 60_000);

  /** Call `send`, waiting out 429s (Retry-After) up to `maxWait`. */
  async function withRetries<T>(method: string, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await send();
      } catch (error) {
        options.onError?.(method, error);
        const retry = retryAfterMs(error);
        if (retry === undefined || retry > maxWait) throw error;
        await sleep(retry);
      }
    }
  }

  /** Run `send` in the channel's lane: after its previous message, spaced by the interval. */
  function inLane<T>(channel: string, method: string, send: () => Promise<T>, urgent = false): Promise<T> {
    let lane = lanes.get(channel);
    if (!lane) {
      lane = createPostLane(interval, sleep);
      lanes.set(channel, lane);
    }
    return lane.push(() => withRetries(method, send), urgent);
  }

  const updates = createUpdateScheduler<SlackMessage>({
    budget: createWindowBudget(updatesPerMinute, 60_000),
    reserve: Math.ceil(updatesPerMinute * URGENT_SHARE),
    channelIntervalMs: interval,
    messageIntervalMs: ROUTINE_UPDATE_INTERVAL_MS,
    sleep,
    // the diagnose job shows the verdict as soon as it has one, and its sender asks again
    fingerprint: fingerprintMessage,
    send: (channel, ts, message) =>
      withRetries('chat.update', async () => {
        await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
      }),
  });

  return {
    // a top-level post (a new incident's root) goes ahead of thread replies waiting in its channel
    post(channel, message, threadTs, postOptions) {
      return inLane(
        channel,
        'chat.postMessage',
        async () => {
          const res = await client.chat.postMessage({
            channel,
            text: message.text,
            blocks: message.blocks as never,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...(postOptions?.metadata ? { metadata: postOptions.metadata } : {}),
            unfurl_links: false,
          });
          // a diagnosis root: its verdict will follow as an update
          if (postOptions?.metadata) updates.expect(channel, String(res.ts));
          return String(res.ts);
        },
        !threadTs,
      );
    },
    // a read: paced by its own tier for the workspace, not by the channel's posting pace
    findMessage(query) {
      return withRetries('conversations.history', () =>
        findInHistory(client, query, () => acquire(historyBudget, sleep)),
      );
    },
    // An update edits a message already posted: it is paced by chat.update's own limit, in its own
    // lane, so it neither waits for nor delays the one-per-second posting pace.
    update(channel, ts, message, updateOptions) {
      return updates.update({ channel, ts, message, urgent: !updateOptions?.routine });
    },
    uploadPng(channel, threadTs, png, title, altText) {
      return inLane(channel, 'files.uploadV2', async () => {
        await acquire(uploadBudget, sleep);
        await client.files.uploadV2({
          channel_id: channel,
          thread_ts: threadTs,
          file: Buffer.from(png),
          filename: 'memory.png',
          title,
          alt_text: altText,
        } as never);
      });
    },
    async respond(responseUrl, message) {
      const res = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', ...message }),
      });
      if (!res.ok) {
        const error = Object.assign(new Error(`response_url answered HTTP ${res.status}`), {
          code: 'slack_webapi_http_error',
          statusCode: res.status,
        });
        options.onError?.('response_url', error);
        throw error;
      }
    },
  };
}

type HistoryPage = {
  messages?: Array<{
    ts?: string;
    metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  }>;
  response_metadata?: { next_cursor?: string };
};

/** Read the channel's history (or the thread's replies) since `oldest` for the message with the metadata. */
async function findInHistory(
  client: WebClient,
  query: MessageQuery,
  pace: () => Promise<void>,
): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
    await pace();
    const common = {
      channel: query.channel,
      oldest: String(query.oldest),
      inclusive: true,
      include_all_metadata: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    };
    const res: HistoryPage = query.threadTs
      ? await client.conversations.replies({ ...common, ts: query.threadTs })
      : await client.conversations.history(common);
    const found = res.messages?.find((m) => carries(m.metadata, query));
    if (found?.ts) return found.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

function carries(
  metadata: { event_type?: string; event_payload?: Record<string, unknown> } | undefined,
  query: MessageQuery,
): boolean {
  if (metadata?.event_type !== query.eventType) return false;
  return Object.entries(query.payload).every(([k, v]) => metadata.event_payload?.[k] === v);
}
