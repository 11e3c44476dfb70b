/**
 * The Socket Mode fixture corpus (test/fixtures/slack/socket-mode): the messages Slack sends over
 * a Socket Mode WebSocket, written from the shapes Slack documents — `hello`, `disconnect`, and
 * the envelopes of a slash command, a block_actions click and an Events API event. Tests take an
 * envelope as the file has it and change only what the scenario needs (channel, user, button,
 * response_url); the stand-in gives each envelope a fresh envelope_id when it sends it.
 */
import { readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/slack/socket-mode/', import.meta.url);

export type SocketFixture =
  | 'hello'
  | 'disconnect'
  | 'slash_commands'
  | 'interactive-block_actions'
  | 'events_api-app_mention';

type Json = Record<string, unknown>;

/** An envelope as Slack sends one: `payload` is what the HTTP request body would carry. */
export interface SocketEnvelope<P = Json> {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: P;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** A fixture file, parsed (a fresh copy each time). */
export function readSocketFixture<T = Json>(name: SocketFixture): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as T;
}

/** The `/oom` envelope with the given slash-command fields changed. */
export function slashCommandEnvelope(fields: Partial<Record<string, string>>): SocketEnvelope {
  const envelope = readSocketFixture<SocketEnvelope>('slash_commands');
  return { ...envelope, payload: { ...envelope.payload, ...fields } };
}

export interface ClickFields {
  channel: { id: string; name: string };
  /** The clicked message; `thread_ts` when it is a reply in a thread. */
  message: { ts: string; thread_ts?: string; blocks?: unknown[] };
  action: { action_id: string; value: string; block_id?: string };
  response_url: string;
  user?: { id: string; username: string };
}

/** The block_actions envelope for a click on a button of the bot's message `message.ts`. */
export function blockActionsEnvelope(click: ClickFields): SocketEnvelope {
  const envelope = readSocketFixture<SocketEnvelope>('interactive-block_actions');
  const p = envelope.payload as Json & {
    user: Json;
    container: Json;
    message: Json;
    actions: Json[];
  };
  const user = click.user
    ? { ...p.user, id: click.user.id, username: click.user.username, name: click.user.username }
    : p.user;
  return {
    ...envelope,
    payload: {
      ...p,
      user,
      channel: click.channel,
      container: { ...p.container, message_ts: click.message.ts, channel_id: click.channel.id },
      message: {
        ...p.message,
        ts: click.message.ts,
        ...(click.message.thread_ts ? { thread_ts: click.message.thread_ts } : {}),
        blocks: click.message.blocks ?? [],
      },
      response_url: click.response_url,
      actions: [{ ...p.actions[0], ...click.action, action_ts: (Date.now() / 1000).toFixed(6) }],
    },
  };
}

/** The app_mention envelope, posted in `channel`. */
export function appMentionEnvelope(channel: string): SocketEnvelope {
  const envelope = readSocketFixture<SocketEnvelope>('events_api-app_mention');
  const p = envelope.payload as Json & { event: Json };
  return { ...envelope, payload: { ...p, event: { ...p.event, channel } } };
}
