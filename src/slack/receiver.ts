/**
 * The HTTP receiver of `/slack/events`: Bolt's HTTPReceiver behind a guard that closes what Bolt 5
 * leaves open. In order, for a POST to the Slack endpoint:
 *
 *   401  before a byte of the body is read: no valid X-Slack-Request-Timestamp within 5 minutes
 *        either way (Bolt itself refuses only old ones), or no well-formed X-Slack-Signature
 *        (`v0=` and 64 hex digits); the connection is closed. Only Slack's unsigned `ssl_check`
 *        is read, and only up to {@link SSL_CHECK_MAX_BYTES}
 *   413  body over the limit (declared or read), before it is buffered
 *   503  the bytes in flight across all connections would pass the budget (each request reserves
 *        its declared length, or the limit, before it reads)
 *   401  a bad signature, or a (timestamp, signature) already seen: a replay. Slack's own retries
 *        (`x-slack-retry-num`) of a request already handled are answered 200 and not acted on again
 *   400  a signed body that is not a JSON object (`payload=null` made Bolt throw outside its own
 *        error handling: an unhandled rejection that ends the process), or that Bolt cannot route
 *        (`actions: null`, a view without `view`...; Bolt answered 500)
 *
 * Then Bolt dispatches the request, reusing the buffered body. Bolt's own signature check is off:
 * this guard is the only way to the endpoint (it matches the path and method exactly as Bolt does)
 * and has already checked the signature with Bolt's verifySlackRequest; checking twice cost a
 * second HMAC and constant-time comparison per request (about 5% of the web's CPU under load). The server
 * itself drops slow clients: headers within {@link HEADERS_TIMEOUT_MS}, the whole request within
 * {@link REQUEST_TIMEOUT_MS} (Node answers 408), which also bounds the custom routes (the
 * Alertmanager webhook). Slack's own requests arrive in milliseconds and must be answered in 3 s.
 */
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger as BoltLogger, CustomRoute, HTTPReceiver as HTTPReceiverType } from '@slack/bolt';
import bolt from '@slack/bolt';
import { describeError } from '../errors.ts';
import { ByteBudget, readLimitedBody, reservationFor } from '../http-body.ts';
import type { ReplayGuard } from './replay-guard.ts';

const { HTTPReceiver, verifySlackRequest } = bolt;

/**
 * The largest Slack request body read: 1 MiB. Slack documents no maximum; its largest payloads
 * here are block_actions, which carry the whole message (at most 50 blocks of at most 3,000
 * characters, about 150 KB URL-encoded twice over) and the view state. Bolt's default is 10 MiB.
 */
export const SLACK_BODY_MAX_BYTES = 1024 * 1024;
/** The bytes all Slack requests together may have in flight (16 requests of the largest size). */
export const SLACK_BYTES_IN_FLIGHT = 16 * SLACK_BODY_MAX_BYTES;
/** How much of an unsigned request is read, to let Slack's `ssl_check=1&token=...` through. */
const SSL_CHECK_MAX_BYTES = 512;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
/** How far a request's timestamp may be from the bot's clock, either way (Slack's rule). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** A client must have sent its request headers within this. */
const HEADERS_TIMEOUT_MS = 5_000;
/** A client must have sent its whole request (headers and body) within this; else 408. */
const REQUEST_TIMEOUT_MS = 10_000;

const SERVER_OPTIONS: Readonly<ServerOptions> = Object.freeze({
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  // how often Node checks those two (its default, 30 s, would let a slow client stay that long)
  connectionsCheckingInterval: 1_000,
});

interface SlackReceiverOptions {
  signingSecret: string;
  port: number;
  customRoutes: CustomRoute[];
  logger: BoltLogger;
  endpoint?: string;
  /** Epoch milliseconds (tests). */
  now?: () => number;
  /** Remembers (timestamp, signature) pairs; without it replays are not detected. */
  replay?: ReplayGuard;
  /** The bytes in flight across connections (default {@link SLACK_BYTES_IN_FLIGHT}). */
  budget?: ByteBudget;
  bodyMaxBytes?: number;
}

const FORM = 'application/x-www-form-urlencoded';

function refuse(res: ServerResponse, status: number, reason: string, close = false): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  // without `close`: a client still sending an oversized body reads the 413 once its body is
  // drained (Node discards it), instead of a reset; the request timeout bounds that. With it:
  // an unauthenticated client gets no more of the bot's time than the answer
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(`${reason}\n`);
}

/** Why the Slack headers are not acceptable (checked before the body is read), if they are not. */
function headerProblem(
  stamp: string | undefined,
  signature: string | undefined,
  nowMs: number,
): string | undefined {
  const seconds = /^\d{1,12}$/.test(stamp ?? '') ? Number(stamp) : Number.NaN;
  const skew = seconds - nowMs / 1000;
  if (Number.isNaN(skew)) return 'no valid x-slack-request-timestamp';
  if (!(Math.abs(skew) <= MAX_CLOCK_SKEW_SECONDS))
    return `timestamp is ${Math.round(Math.abs(skew))} s in the ${skew > 0 ? 'future' : 'past'} (more than ${MAX_CLOCK_SKEW_SECONDS} s)`;
  if (!SIGNATURE.test(signature ?? '')) return 'no well-formed x-slack-signature';
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why Bolt could not use this body (parsed exactly as Bolt parses it), if it cannot. */
function bodyShapeError(text: string, contentType: string | undefined): string | undefined {
  try {
    if (contentType === FORM) {
      const fields = parseQuery(text);
      if (Array.isArray(fields.payload)) return 'payload is given more than once';
      if (typeof fields.payload === 'string' && !isObject(JSON.parse(fields.payload)))
        return 'payload is not a JSON object';
      return undefined;
    }
    return isObject(JSON.parse(text)) ? undefined : 'body is not a JSON object';
  } catch (error) {
    return `body is not valid JSON (${(error as Error).message})`;
  }
}

function isSslCheck(text: string, contentType: string | undefined): boolean {
  return contentType === FORM && parseQuery(text).ssl_check === '1';
}

/** Bolt's HTTPReceiver for `/slack/events`, with the guard above and the server timeouts. */
export function createSlackReceiver(options: SlackReceiverOptions): HTTPReceiverType {
  const endpoint = options.endpoint ?? '/slack/events';
  const now = options.now ?? Date.now;
  const log = options.logger;

  class GuardedReceiver extends HTTPReceiver {
    // biome-ignore lint/suspicious/noExplicitAny: Bolt's start() has four overloads; this adds server options to each
    override start(...args: any[]): any {
      const [port, serverOptions] = args as [number | undefined, ServerOptions | undefined];
      return super.start(port as number, { ...SERVER_OPTIONS, ...(serverOptions ?? {}) });
    }
  }

  const receiver = new GuardedReceiver({
    signingSecret: options.signingSecret,
    // the guard below has verified every request Bolt will treat as an event
    signatureVerification: false,
    endpoints: [endpoint],
    port: options.port,
    customRoutes: options.customRoutes,
    logger: options.logger,
    bodyLimit: options.bodyMaxBytes ?? SLACK_BODY_MAX_BYTES,
    // An error before any listener acknowledged: Bolt could not make sense of a signed payload
    // (our listeners acknowledge first). That is the sender's fault: 400, not 500.
    processEventErrorHandler: async ({ error, response, logger }) => {
      if (response.headersSent) {
        logger.error(`slack listener failed after its acknowledgement: ${describeError(error)}`);
        return false;
      }
      if ((error as { code?: string }).code === 'slack_bolt_authorization_error') {
        refuse(response, 401, 'unauthorized');
        return true;
      }
      logger.warn(`slack request refused (400): Bolt could not process it: ${describeError(error)}`);
      refuse(response, 400, 'malformed request');
      return true;
    },
  });

  const dispatch = receiver.requestListener;
  const limit = options.bodyMaxBytes ?? SLACK_BODY_MAX_BYTES;
  const budget = options.budget ?? new ByteBudget(SLACK_BYTES_IN_FLIGHT);

  /** An unsigned request: Slack's ssl_check goes to Bolt, anything else is refused unread. */
  const unsigned = async (req: IncomingMessage, res: ServerResponse, problem: string): Promise<void> => {
    const contentType = header(req, 'content-type');
    if (contentType === FORM && reservationFor(req, SSL_CHECK_MAX_BYTES) < SSL_CHECK_MAX_BYTES) {
      const read = await readLimitedBody(req, SSL_CHECK_MAX_BYTES);
      if (read.ok && isSslCheck(read.body.toString('utf8'), contentType)) {
        Object.assign(req, { rawBody: read.body });
        dispatch(req, res);
        return;
      }
    }
    log.warn(`slack request refused (401) before its body was read: ${problem}`);
    refuse(res, 401, 'unauthorized', true);
  };

  /** Whether this signed request was seen before; answers the repeat itself when it was. */
  const answeredAsRepeat = async (
    req: IncomingMessage,
    res: ServerResponse,
    stamp: string,
  ): Promise<boolean> => {
    if (!options.replay) return false;
    const signature = header(req, 'x-slack-signature') ?? '';
    if (await options.replay.remember(stamp, signature)) return false;
    const retry = header(req, 'x-slack-retry-num');
    if (retry !== undefined) {
      // Slack's retry of a request already handled: acknowledged, not acted on twice
      log.info(`slack retry ${retry} of a request already handled: acknowledged again`);
      if (!res.headersSent) res.writeHead(200).end();
      return true;
    }
    log.warn('slack request refused (401): replayed (this timestamp and signature were already used)');
    refuse(res, 401, 'unauthorized');
    return true;
  };

  const guard = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const stamp = header(req, 'x-slack-request-timestamp');
    const problem = headerProblem(stamp, header(req, 'x-slack-signature'), now());
    if (problem) return unsigned(req, res, problem);
    const reserved = reservationFor(req, limit);
    if (!budget.tryReserve(reserved)) {
      log.warn(`slack request refused (503): ${budget.stats().inFlight} bytes already in flight`);
      res.setHeader('retry-after', '1');
      refuse(res, 503, 'busy, retry', true);
      return;
    }
    res.once('close', () => budget.release(reserved));
    const read = await readLimitedBody(req, limit);
    if (!read.ok) {
      log.warn(`slack request refused (${read.status}): ${read.reason}`);
      refuse(res, read.status, read.reason);
      return;
    }
    const text = read.body.toString('utf8');
    const contentType = header(req, 'content-type');
    try {
      verifySlackRequest({
        signingSecret: options.signingSecret,
        body: text,
        headers: {
          'x-slack-signature': header(req, 'x-slack-signature') ?? '',
          'x-slack-request-timestamp': Number(stamp),
        },
      });
    } catch (error) {
      log.warn(`slack request refused (401): ${describeError(error)}`);
      refuse(res, 401, 'unauthorized');
      return;
    }
    const shape = bodyShapeError(text, contentType);
    if (shape) {
      log.warn(`slack request refused (400): ${shape}`);
      refuse(res, 400, shape);
      return;
    }
    try {
      if (await answeredAsRepeat(req, res, stamp as string)) return;
    } catch (error) {
      // Redis is down: every effect of a request (a queued diagnosis, a consumed plan) needs Redis
      // too, so a replay can do nothing now, while the user still deserves the handler's answer
      // ("temporarily unavailable" rather than a bare 503 Slack shows as an error)
      log.warn(`slack replay check skipped, Redis does not answer: ${describeError(error)}`);
    }
    // Bolt reads `rawBody` instead of the (consumed) stream
    Object.assign(req, { rawBody: read.body });
    dispatch(req, res);
  };
  receiver.requestListener = (req, res) => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      refuse(res, 400, 'malformed request target');
      return;
    }
    if (path !== endpoint || req.method?.toUpperCase() !== 'POST') {
      dispatch(req, res);
      return;
    }
    guard(req, res).catch((error: unknown) => {
      log.error(`slack request failed before Bolt saw it: ${describeError(error)}`);
      refuse(res, 400, 'malformed request');
    });
  };
  return receiver;
}
