/**
 * A fake Slack for tests: a loopback HTTP server that answers the Web API methods the bot uses
 * the way Slack does, records every call, enforces the Block Kit limits, serves the three-step
 * `files.uploadV2` flow and stands in for slash-command / interactivity `response_url`s.
 *
 * Point a WebClient (or a Bolt App's `clientOptions`) at it with
 * `{ slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }`.
 *
 * Endpoints:
 *   POST|GET /api/<method>      Web API (form-encoded, JSON or multipart body, Bearer token)
 *   POST     /upload/<file_id>  the `upload_url` handed out by files.getUploadURLExternal
 *   POST     /response/<id>     a `response_url` (see `fake.responseUrl(id)`)
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HANG_MS } from './hang.ts';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Identities the fake answers with; the request helpers use the same defaults. */
export const FAKE_SLACK_DEFAULTS = {
  teamId: 'T0FAKETEAM1',
  teamDomain: 'fake-workspace',
  teamName: 'Fake Workspace',
  botUserId: 'U0FAKEBOT01',
  botId: 'B0FAKEBOT01',
  botName: 'oom-bot',
  appId: 'A0FAKEAPP01',
  channelId: 'C0FAKECHAN1',
  channelName: 'ops-alerts',
  userId: 'U0FAKEUSER1',
  userName: 'oncall',
} as const;

export interface FakeChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_private: boolean;
  is_member: boolean;
  is_archived: boolean;
}

export interface FakeUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  tz: string;
  is_bot: boolean;
  deleted: boolean;
  profile: { display_name: string; real_name: string };
}

export interface FakeSlackOptions {
  teamId?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  /** When set, only these tokens are accepted (others get `invalid_auth`). Default: any token. */
  tokens?: string[];
  /** Extra or overriding channel info for conversations.info; unknown ids get a generated channel. */
  channels?: Record<string, Partial<FakeChannel>>;
  /** Extra or overriding user info for users.info; unknown ids get a generated user. */
  users?: Record<string, Partial<FakeUser>>;
  /** Members per user group id for usergroups.users.list; other ids are `no_such_subteam`. */
  userGroups?: Record<string, string[]>;
  /**
   * Epoch seconds of the first message ts; the first ts is `<startTs>.000100` and each next one
   * 100 µs later. Default: like Slack, a ts is the time of posting (and always increasing).
   */
  startTs?: number;
  /**
   * What `apps.connections.open` answers (Socket Mode): the `ws://` URL of a stand-in served by
   * the test, read at each call. Unset: the method answers `not_allowed_token_type`, as Slack
   * does for a bot token.
   */
  socketModeUrl?: () => string;
}

/** One recorded request, in arrival order. */
export interface SlackCall {
  /** Web API method name, or `file_upload` (POST to an upload_url) or `response_url`. */
  method: string;
  /** Parsed arguments; JSON-encoded fields (blocks, attachments, files, metadata, view) are parsed back. */
  args: Record<string, unknown>;
  /** Bearer token from the Authorization header, else the `token` form field. */
  token: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
  /** Whether the fake answered with success. */
  ok: boolean;
  /** Slack error code when `ok` is false (e.g. `invalid_blocks`, `ratelimited`). */
  error?: string;
  /** The response_url id or the uploaded file id, for `response_url` and `file_upload` calls. */
  id?: string;
}

/**
 * A failure to answer with instead of the normal response:
 * - `{ status: 429, retryAfter }`: HTTP 429 with a `Retry-After: <seconds>` header (default 1 s);
 * - `{ status: 500 }` (any non-2xx): that HTTP status with a plain-text body;
 * - `{ error: 'channel_not_found' }`: HTTP 200 `{ ok: false, error }` as Slack does for API errors.
 */
export type InjectedFailure = { status: 429; retryAfter?: number } | { status: number } | { error: string };

/** A message as it currently stands (after any chat.update). */
export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  user: string;
  bot_id: string;
  edited: boolean;
  /** Message metadata, as posted (`{ event_type, event_payload }`). */
  metadata?: Json;
}

/** A file completed through the files.uploadV2 flow. */
export interface UploadedFile {
  id: string;
  filename: string;
  title: string;
  alt_text?: string;
  snippet_type?: string;
  bytes: Buffer;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
}

export type CallPredicate = (call: SlackCall) => boolean;

export interface FakeSlack {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Web API base URL ending with `/api/`, for `slackApiUrl`. */
  readonly apiUrl: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** A response_url on the fake; POSTs to it are recorded as `response_url` calls with this id. */
  responseUrl(id: string): string;
  /** Recorded calls, oldest first, optionally only those of one method. */
  calls(method?: string): SlackCall[];
  /**
   * Resolves with the first recorded call (past or future) matching; a string matches a method.
   * `timeoutMs` (default HANG_MS) only catches a hang.
   */
  waitFor(predicate: string | CallPredicate, timeoutMs?: number): Promise<SlackCall>;
  /** Queues `failure` for the next `times` requests to `method` (or `file_upload` / `response_url`). */
  failNext(method: string, failure: InjectedFailure, times?: number): void;
  /** The current state of a message posted through the fake. */
  message(channel: string, ts: string): FakeMessage | undefined;
  /** Files completed through files.completeUploadExternal, with their uploaded bytes and metadata. */
  files(): UploadedFile[];
  /** Forgets calls, queued failures, messages and files (ts and file ids keep increasing). */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Block Kit and message limits
// ---------------------------------------------------------------------------------------------

const LIMITS = {
  blocks: 50,
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
} as const;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Slack-style error messages (`... [json-pointer:/blocks/3/text]`) for every limit a block list breaks. */
export function blockKitErrors(blocks: unknown[]): string[] {
  const errors: string[] = [];
  const tooLong = (value: unknown, max: number, pointer: string): void => {
    if (typeof value === 'string' && value.length > max) {
      errors.push(`must be less than ${max + 1} characters [json-pointer:${pointer}]`);
    }
  };
  const tooMany = (value: unknown, max: number, pointer: string): void => {
    if (Array.isArray(value) && value.length > max) {
      errors.push(`must be less than ${max + 1} items [json-pointer:${pointer}]`);
    }
  };
  const textObject = (value: unknown, max: number, pointer: string): void => {
    if (!isRecord(value)) return;
    if (value.text === '') errors.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
    tooLong(value.text, max, `${pointer}/text`);
  };
  const element = (value: unknown, pointer: string): void => {
    if (!isRecord(value)) return;
    tooLong(value.action_id, LIMITS.actionId, `${pointer}/action_id`);
    if (value.type === 'button') {
      textObject(value.text, LIMITS.buttonText, `${pointer}/text`);
      tooLong(value.value, LIMITS.buttonValue, `${pointer}/value`);
      tooLong(value.url, LIMITS.buttonUrl, `${pointer}/url`);
    }
  };

  tooMany(blocks, LIMITS.blocks, '/blocks');
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isRecord(block)) {
      errors.push(`must be an object [json-pointer:${at}]`);
      return;
    }
    tooLong(block.block_id, LIMITS.blockId, `${at}/block_id`);
    switch (block.type) {
      case 'section':
        textObject(block.text, LIMITS.sectionText, `${at}/text`);
        tooMany(block.fields, LIMITS.sectionFields, `${at}/fields`);
        if (Array.isArray(block.fields)) {
          block.fields.forEach((field, j) => {
            textObject(field, LIMITS.sectionFieldText, `${at}/fields/${j}`);
          });
        }
        element(block.accessory, `${at}/accessory`);
        break;
      case 'header':
        textObject(block.text, LIMITS.headerText, `${at}/text`);
        break;
      case 'context':
        tooMany(block.elements, LIMITS.contextElements, `${at}/elements`);
        break;
      case 'actions':
        tooMany(block.elements, LIMITS.actionsElements, `${at}/elements`);
        if (Array.isArray(block.elements)) {
          block.elements.forEach((el, j) => {
            element(el, `${at}/elements/${j}`);
          });
        }
        break;
    }
  });
  return errors;
}

/** `undefined` when the message content is acceptable, else the Slack error response body. */
function messageContentError(args: Json): Json | undefined {
  if (typeof args.text === 'string' && args.text.length > LIMITS.messageText) {
    return { ok: false, error: 'msg_too_long' };
  }
  if (args.blocks === undefined) return undefined;
  if (!Array.isArray(args.blocks)) return { ok: false, error: 'invalid_blocks_format' };
  const errors = blockKitErrors(args.blocks);
  if (errors.length === 0) return undefined;
  return {
    ok: false,
    error: 'invalid_blocks',
    errors,
    response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
  };
}

// ---------------------------------------------------------------------------------------------
// State shared by the handlers
// ---------------------------------------------------------------------------------------------

interface PendingUpload {
  id: string;
  filename: string;
  length: number;
  alt_text?: string;
  snippet_type?: string;
  bytes?: Buffer;
}

class FakeSlackState {
  readonly teamId: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
  readonly tokens: ReadonlySet<string> | undefined;
  readonly channels: Record<string, Partial<FakeChannel>>;
  readonly socketModeUrl: (() => string) | undefined;
  readonly users: Record<string, Partial<FakeUser>>;
  readonly userGroups: Record<string, string[]>;
  baseUrl = '';
  calls: SlackCall[] = [];
  failures = new Map<string, InjectedFailure[]>();
  messages = new Map<string, FakeMessage>();
  uploads = new Map<string, PendingUpload>();
  files: UploadedFile[] = [];
  #lastTsMicros: number;
  readonly #clockTs: boolean;
  #fileSeq = 0;

  constructor(opts: FakeSlackOptions) {
    this.teamId = opts.teamId ?? FAKE_SLACK_DEFAULTS.teamId;
    this.teamName = opts.teamName ?? FAKE_SLACK_DEFAULTS.teamName;
    this.botUserId = opts.botUserId ?? FAKE_SLACK_DEFAULTS.botUserId;
    this.botId = opts.botId ?? FAKE_SLACK_DEFAULTS.botId;
    this.botName = opts.botName ?? FAKE_SLACK_DEFAULTS.botName;
    this.tokens = opts.tokens ? new Set(opts.tokens) : undefined;
    this.channels = opts.channels ?? {};
    this.socketModeUrl = opts.socketModeUrl;
    this.users = opts.users ?? {};
    this.userGroups = opts.userGroups ?? {};
    this.#lastTsMicros = (opts.startTs ?? Math.floor(Date.now() / 1000)) * 1_000_000;
    this.#clockTs = opts.startTs === undefined;
  }

  /** Unique, increasing message ts: `<seconds>.<6-digit micros>`, 100 µs apart. */
  nextTs(): string {
    this.#lastTsMicros += 100;
    if (this.#clockTs) this.#lastTsMicros = Math.max(this.#lastTsMicros, Date.now() * 1000);
    const seconds = Math.floor(this.#lastTsMicros / 1_000_000);
    const micros = this.#lastTsMicros % 1_000_000;
    return `${seconds}.${String(micros).padStart(6, '0')}`;
  }

  nextFileId(): string {
    this.#fileSeq += 1;
    return `F${String(this.#fileSeq).padStart(10, '0')}`;
  }

  takeFailure(method: string): InjectedFailure | undefined {
    const queue = this.failures.get(method);
    const failure = queue?.shift();
    if (queue && queue.length === 0) this.failures.delete(method);
    return failure;
  }

  storeMessage(message: FakeMessage): void {
    this.messages.set(`${message.channel}:${message.ts}`, message);
  }

  botMessage(fields: Json): Json {
    return { type: 'message', user: this.botUserId, bot_id: this.botId, team: this.teamId, ...fields };
  }
}

// ---------------------------------------------------------------------------------------------
// Web API router: method -> handler
// ---------------------------------------------------------------------------------------------

/** A handler returns the response body; `{ ok: false, error }` bodies are Slack errors. */
type ApiHandler = (args: Json, state: FakeSlackState) => Json;

const fail = (error: string): Json => ({ ok: false, error });
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const apiMethods: Record<string, ApiHandler> = {
  'auth.test': (_args, s) => ({
    ok: true,
    url: `https://${FAKE_SLACK_DEFAULTS.teamDomain}.slack.com/`,
    team: s.teamName,
    user: s.botName,
    team_id: s.teamId,
    user_id: s.botUserId,
    bot_id: s.botId,
    is_enterprise_install: false,
  }),

  'apps.connections.open': (_args, s) =>
    s.socketModeUrl ? { ok: true, url: s.socketModeUrl() } : fail('not_allowed_token_type'),

  'chat.postMessage': (args, s) => {
    const channel = str(args.channel);
    if (!channel) return fail('channel_not_found');
    if (!str(args.text) && !hasItems(args.blocks) && !hasItems(args.attachments)) return fail('no_text');
    const ts = s.nextTs();
    const threadTs = str(args.thread_ts);
    const message: FakeMessage = {
      channel,
      ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(typeof args.text === 'string' ? { text: args.text } : {}),
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      user: s.botUserId,
      bot_id: s.botId,
      edited: false,
      ...(isRecord(args.metadata) ? { metadata: args.metadata } : {}),
    };
    s.storeMessage(message);
    const { channel: _c, edited: _e, metadata: _m, ...shown } = message;
    return { ok: true, channel, ts, message: s.botMessage(shown) };
  },

  'chat.update': (args, s) => {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return fail('channel_not_found');
    if (!ts) return fail('message_not_found');
    const previous = s.messages.get(`${channel}:${ts}`);
    const text = typeof args.text === 'string' ? args.text : previous?.text;
    const blocks = Array.isArray(args.blocks) ? args.blocks : previous?.blocks;
    s.storeMessage({
      ...(previous ?? { user: s.botUserId, bot_id: s.botId }),
      channel,
      ts,
      ...(text !== undefined ? { text } : {}),
      ...(blocks !== undefined ? { blocks } : {}),
      edited: true,
    });
    return {
      ok: true,
      channel,
      ts,
      text: text ?? '',
      message: s.botMessage({ text: text ?? '', ...(blocks ? { blocks } : {}) }),
    };
  },

  'chat.postEphemeral': (args, s) => {
    if (!str(args.channel)) return fail('channel_not_found');
    if (!str(args.user)) return fail('user_not_in_channel');
    if (!str(args.text) && !hasItems(args.blocks) && !hasItems(args.attachments)) return fail('no_text');
    return { ok: true, message_ts: s.nextTs() };
  },

  // newest first, `oldest`/`latest` bounds, `limit` + cursor pages; metadata only with include_all_metadata
  'conversations.history': (args, s) => {
    const channel = str(args.channel);
    if (!channel) return fail('channel_not_found');
    const inChannel = [...s.messages.values()].filter(
      (m) => m.channel === channel && (m.thread_ts === undefined || m.thread_ts === m.ts),
    );
    return historyPage(inChannel, args);
  },

  'conversations.replies': (args, s) => {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (!channel) return fail('channel_not_found');
    if (!ts) return fail('thread_not_found');
    const parent = s.messages.get(`${channel}:${ts}`);
    if (!parent) return fail('thread_not_found');
    const replies = [...s.messages.values()].filter((m) => m.channel === channel && m.thread_ts === ts);
    // Slack lists a thread oldest first, the parent at the top
    return historyPage([parent, ...replies], args, 'oldest-first');
  },

  'conversations.info': (args, s) => {
    const id = str(args.channel);
    if (!id) return fail('channel_not_found');
    const channel: FakeChannel = {
      id,
      name:
        id === FAKE_SLACK_DEFAULTS.channelId
          ? FAKE_SLACK_DEFAULTS.channelName
          : `channel-${id.toLowerCase()}`,
      is_channel: true,
      is_private: false,
      is_member: true,
      is_archived: false,
      ...s.channels[id],
    };
    return { ok: true, channel };
  },

  'users.info': (args, s) => {
    const id = str(args.user);
    if (!id) return fail('user_not_found');
    const name =
      id === FAKE_SLACK_DEFAULTS.userId ? FAKE_SLACK_DEFAULTS.userName : `user-${id.toLowerCase()}`;
    const user: FakeUser = {
      id,
      team_id: s.teamId,
      name,
      real_name: name,
      tz: 'Etc/UTC',
      is_bot: false,
      deleted: false,
      profile: { display_name: name, real_name: name },
      ...s.users[id],
    };
    return { ok: true, user };
  },

  'usergroups.users.list': (args, s) => {
    const members = s.userGroups[str(args.usergroup) ?? ''];
    return members ? { ok: true, users: [...members] } : fail('no_such_subteam');
  },

  'files.getUploadURLExternal': (args, s) => {
    const filename = str(args.filename);
    const length = Number(args.length);
    if (!filename || !Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
    const id = s.nextFileId();
    s.uploads.set(id, {
      id,
      filename,
      length,
      ...(str(args.alt_text) ? { alt_text: args.alt_text as string } : {}),
      ...(str(args.snippet_type) ? { snippet_type: args.snippet_type as string } : {}),
    });
    return { ok: true, upload_url: `${s.baseUrl}/upload/${id}`, file_id: id };
  },

  'files.completeUploadExternal': (args, s) => {
    if (!Array.isArray(args.files) || args.files.length === 0) return fail('invalid_arguments');
    const requested = args.files.filter(isRecord);
    const pending = requested.map((f) => s.uploads.get(String(f.id)));
    if (pending.some((p) => p?.bytes === undefined)) return fail('file_not_found');
    const channelId = str(args.channel_id) ?? str(args.channels);
    const threadTs = str(args.thread_ts);
    const initialComment = str(args.initial_comment);
    const created = Math.floor(Date.now() / 1000);
    const files = requested.map((f, i) => {
      const upload = pending[i]!;
      const bytes = upload.bytes!;
      const title = str(f.title) ?? upload.filename;
      s.uploads.delete(upload.id);
      s.files.push({
        id: upload.id,
        filename: upload.filename,
        title,
        ...(upload.alt_text ? { alt_text: upload.alt_text } : {}),
        ...(upload.snippet_type ? { snippet_type: upload.snippet_type } : {}),
        bytes,
        ...(channelId ? { channel_id: channelId } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(initialComment ? { initial_comment: initialComment } : {}),
      });
      return {
        id: upload.id,
        created,
        timestamp: created,
        name: upload.filename,
        title,
        mimetype: mimeType(upload.filename),
        filetype: fileExtension(upload.filename),
        size: bytes.length,
        user: s.botUserId,
        ...(upload.alt_text ? { alt_txt: upload.alt_text } : {}),
        url_private: `${s.baseUrl}/files/${upload.id}/${encodeURIComponent(upload.filename)}`,
        permalink: `${s.baseUrl}/files/${upload.id}`,
        channels: channelId ? [channelId] : [],
      };
    });
    return { ok: true, files };
  },
};

/** One page of messages the way conversations.history and conversations.replies answer. */
function historyPage(
  messages: FakeMessage[],
  args: Json,
  order: 'newest-first' | 'oldest-first' = 'newest-first',
): Json {
  const bound = (v: unknown, fallback: number) => (str(v) !== undefined ? Number(v) : fallback);
  const oldest = bound(args.oldest, 0);
  const latest = bound(args.latest, Number.POSITIVE_INFINITY);
  const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
  const inWindow = messages
    .filter((m) => {
      const ts = Number(m.ts);
      return inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest;
    })
    .sort((a, b) => (order === 'newest-first' ? Number(b.ts) - Number(a.ts) : Number(a.ts) - Number(b.ts)));
  const limit = Math.min(Math.max(Number(args.limit) || 100, 1), 999);
  const start = Number(str(args.cursor) ? Buffer.from(String(args.cursor), 'base64').toString() : 0) || 0;
  const page = inWindow.slice(start, start + limit);
  const next = start + limit < inWindow.length ? Buffer.from(String(start + limit)).toString('base64') : '';
  return {
    ok: true,
    messages: page.map(({ channel: _c, edited, metadata, ...m }) => ({
      type: 'message',
      ...m,
      ...(edited ? { edited: { user: m.user, ts: m.ts } } : {}),
      ...(withMetadata && metadata ? { metadata } : {}),
    })),
    has_more: next !== '',
    pin_count: 0,
    response_metadata: { next_cursor: next },
  };
}

/** Methods that carry message content, checked against the text and Block Kit limits. */
const CONTENT_METHODS = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'files.completeUploadExternal',
]);

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function fileExtension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : 'text';
}

function mimeType(filename: string): string {
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    svg: 'image/svg+xml',
    json: 'application/json',
    yaml: 'application/x-yaml',
    yml: 'application/x-yaml',
    txt: 'text/plain',
    log: 'text/plain',
  };
  return types[fileExtension(filename)] ?? 'application/octet-stream';
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------------------------

/** Form fields that WebClient sends JSON-stringified. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'files', 'metadata', 'view', 'user_auth_blocks']);

interface ParsedRequest {
  args: Json;
  /** File parts of a multipart body, by field name. */
  fileParts: Map<string, { bytes: Buffer; filename: string }>;
  raw: Buffer;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseRequest(req: IncomingMessage, query: URLSearchParams): Promise<ParsedRequest> {
  const raw = await readBody(req);
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Json = Object.fromEntries(query);
  const fileParts = new Map<string, { bytes: Buffer; filename: string }>();

  if (contentType.startsWith('application/json')) {
    const parsed: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
    if (isRecord(parsed)) Object.assign(args, parsed);
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), {
      headers: { 'content-type': contentType },
    }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') args[key] = value;
      else fileParts.set(key, { bytes: Buffer.from(await value.arrayBuffer()), filename: value.name });
    }
  } else if (raw.length > 0) {
    // application/x-www-form-urlencoded (also the fallback for a missing content type)
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  }

  for (const key of JSON_FIELDS) {
    const value = args[key];
    if (typeof value !== 'string') continue;
    try {
      args[key] = JSON.parse(value);
    } catch {
      // left as the raw string; the content check answers invalid_blocks_format
    }
  }
  return { args, fileParts, raw };
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

interface Reply {
  status: number;
  body: Json | string;
  headers?: Record<string, string>;
}

function send(res: ServerResponse, reply: Reply): void {
  const isJson = typeof reply.body !== 'string';
  const payload = isJson ? JSON.stringify(reply.body) : (reply.body as string);
  res.writeHead(reply.status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

/** The reply for an injected failure; `webhook` endpoints answer errors as plain text like Slack's hooks. */
function failureReply(failure: InjectedFailure, kind: 'api' | 'webhook'): Reply {
  if ('error' in failure) {
    return kind === 'api'
      ? { status: 200, body: { ok: false, error: failure.error } }
      : { status: 400, body: failure.error };
  }
  if (failure.status === 429) {
    const retryAfter = 'retryAfter' in failure && failure.retryAfter !== undefined ? failure.retryAfter : 1;
    return {
      status: 429,
      body: kind === 'api' ? { ok: false, error: 'ratelimited' } : 'rate_limited',
      headers: { 'retry-after': String(retryAfter) },
    };
  }
  return { status: failure.status, body: `fake slack injected HTTP ${failure.status}` };
}

function replyError(reply: Reply): string | undefined {
  if (typeof reply.body === 'string') return reply.status >= 400 ? reply.body : undefined;
  return reply.body.ok === false ? String(reply.body.error) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface Waiter {
  predicate: CallPredicate;
  resolve: (call: SlackCall) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const state = new FakeSlackState(opts);
  const waiters = new Set<Waiter>();

  const record = (call: SlackCall): void => {
    state.calls.push(call);
    for (const waiter of waiters) {
      if (waiter.predicate(call)) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(call);
      }
    }
  };

  /** Answers one request and returns what to record. */
  const handle = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<{ reply: Reply; call: SlackCall | undefined }> => {
    const at = Date.now();
    const [, kind, rawName = ''] = url.pathname.split('/');
    const name = decodeURIComponent(rawName);
    const parsed = await parseRequest(req, url.searchParams);
    const { args } = parsed;
    const token = bearerToken(req) ?? str(args.token);
    delete args.token;

    const finish = (method: string, reply: Reply, id?: string) => {
      const error = replyError(reply);
      const call: SlackCall = {
        method,
        args,
        token,
        at,
        status: reply.status,
        ok: error === undefined && reply.status < 400,
        ...(error !== undefined ? { error } : {}),
        ...(id !== undefined ? { id } : {}),
      };
      return { reply, call };
    };

    if (kind === 'api' && name) {
      const failure = state.takeFailure(name);
      if (failure) return finish(name, failureReply(failure, 'api'));
      const handler = apiMethods[name];
      if (!handler) return finish(name, { status: 200, body: fail('unknown_method') });
      if (!token) return finish(name, { status: 200, body: fail('not_authed') });
      if (state.tokens && !state.tokens.has(token))
        return finish(name, { status: 200, body: fail('invalid_auth') });
      const contentError = CONTENT_METHODS.has(name) ? messageContentError(args) : undefined;
      return finish(name, { status: 200, body: contentError ?? handler(args, state) });
    }

    if (kind === 'upload' && name && req.method === 'POST') {
      // WebClient posts multipart/form-data with the bytes in a `body` part; curl -F uses `file`.
      const part = parsed.fileParts.values().next().value;
      const bytes = part?.bytes ?? parsed.raw;
      Object.assign(args, { file_id: name, filename: part?.filename, length: bytes.length, bytes });
      const failure = state.takeFailure('file_upload');
      if (failure) return finish('file_upload', failureReply(failure, 'webhook'), name);
      const upload = state.uploads.get(name);
      if (!upload) return finish('file_upload', { status: 404, body: 'file_not_found' }, name);
      upload.bytes = bytes;
      return finish('file_upload', { status: 200, body: `OK - ${bytes.length}` }, name);
    }

    if (kind === 'response' && name && req.method === 'POST') {
      // Bolt's respond() posts JSON; accept a form-encoded `payload` field too.
      if (typeof args.payload === 'string') {
        const payload: unknown = JSON.parse(args.payload);
        delete args.payload;
        if (isRecord(payload)) Object.assign(args, payload);
      }
      const failure = state.takeFailure('response_url');
      if (failure) return finish('response_url', failureReply(failure, 'webhook'), name);
      const contentError = messageContentError(args);
      if (contentError)
        return finish('response_url', { status: 400, body: String(contentError.error) }, name);
      return finish('response_url', { status: 200, body: { ok: true } }, name);
    }

    return { reply: { status: 404, body: 'not_found' }, call: undefined };
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handle(req, url).then(
      ({ reply, call }) => {
        if (call) record(call);
        send(res, reply);
      },
      (error: unknown) => {
        send(res, {
          status: 500,
          body: `fake slack failed: ${error instanceof Error ? error.message : error}`,
        });
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  state.baseUrl = baseUrl;

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    teamId: state.teamId,
    botUserId: state.botUserId,
    botId: state.botId,

    responseUrl: (id) => `${baseUrl}/response/${encodeURIComponent(id)}`,

    calls: (method) => state.calls.filter((c) => method === undefined || c.method === method),

    waitFor(predicate, timeoutMs = HANG_MS) {
      const matches: CallPredicate =
        typeof predicate === 'string' ? (c) => c.method === predicate : predicate;
      const seen = state.calls.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise<SlackCall>((resolve, reject) => {
        const waiter: Waiter = {
          predicate: matches,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            const methods = state.calls.map((c) => c.method).join(', ') || 'none';
            const what = typeof predicate === 'string' ? predicate : 'a matching call';
            reject(new Error(`fake Slack: no ${what} within ${timeoutMs} ms (calls so far: ${methods})`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },

    failNext(method, failure, times = 1) {
      const queue = state.failures.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push(failure);
      state.failures.set(method, queue);
    },

    message: (channel, ts) => state.messages.get(`${channel}:${ts}`),

    files: () => [...state.files],

    reset() {
      state.calls = [];
      state.failures.clear();
      state.messages.clear();
      state.uploads.clear();
      state.files = [];
    },

    close() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('fake Slack closed'));
      }
      waiters.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
