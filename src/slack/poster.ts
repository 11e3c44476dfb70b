/**
 * Sends messages to Slack through the Web API, at Slack's pace: one message per second per
 * channel by default, in order, waiting out a 429's Retry-After and delivering once.
 */
import type { webApi } from '@slack/bolt';
import type { SlackMessage } from '../render/blocks/types.ts';

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
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
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
  /** Minimum spacing between two messages to the same channel. */
  minIntervalMs?: number;
  /** Longest Retry-After honoured before giving up. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every failed Web API call (rate limits included), for metrics. */
  onError?: (method: string, error: unknown) => void;
}

/** Pages of history (200 messages each) read by `findMessage`: the window is bounded by `oldest` too. */
export const MAX_LOOKUP_PAGES = 5;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number')
    return e.retryAfter * 1000;
  return undefined;
}

export function createSlackPoster(client: WebClient, options: PosterOptions = {}): SlackPoster {
  const interval = options.minIntervalMs ?? 1000;
  const maxWait = options.maxRetryAfterMs ?? 120_000;
  const sleep = options.sleep ?? delay;
  const lanes = new Map<string, { tail: Promise<unknown>; last: number }>();

  /** Run `send` after the channel's previous send, spaced by the interval, retrying 429s. */
  function inLane<T>(channel: string, method: string, send: () => Promise<T>, paced = true): Promise<T> {
    const lane = lanes.get(channel) ?? { tail: Promise.resolve(), last: 0 };
    const run = lane.tail.then(async () => {
      const wait = lane.last + interval - Date.now();
      if (paced && wait > 0) await sleep(wait);
      for (;;) {
        try {
          const result = await send();
          if (paced) lane.last = Date.now();
          return result;
        } catch (error) {
          options.onError?.(method, error);
          const retry = retryAfterMs(error);
          if (retry === undefined || retry > maxWait) throw error;
          await sleep(retry);
        }
      }
    });
    lane.tail = run.catch(() => undefined);
    lanes.set(channel, lane);
    return run;
  }

  return {
    post(channel, message, threadTs, postOptions) {
      return inLane(channel, 'chat.postMessage', async () => {
        const res = await client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks as never,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(postOptions?.metadata ? { metadata: postOptions.metadata } : {}),
          unfurl_links: false,
        });
        return String(res.ts);
      });
    },
    // a read: it waits out 429s in the channel's lane but neither waits for nor delays the pace
    findMessage(query) {
      return inLane(query.channel, 'conversations.history', () => findInHistory(client, query), false);
    },
    // An update edits a message already posted: it keeps its place in the channel's order but is
    // not a new message, so it neither waits for nor delays the one-per-second posting pace.
    update(channel, ts, message) {
      return inLane(
        channel,
        'chat.update',
        async () => {
          await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
        },
        false,
      );
    },
    uploadPng(channel, threadTs, png, title, altText) {
      return inLane(channel, 'files.uploadV2', async () => {
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
async function findInHistory(client: WebClient, query: MessageQuery): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
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
