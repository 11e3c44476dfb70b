/**
 * The HTTP receiver of `/slack/events`: Bolt's HTTPReceiver behind a guard that closes what Bolt 5
 * leaves open. In order, for a POST to the Slack endpoint:
 *
 *   413  body over the limit (declared or read), before it is buffered
 *   401  timestamp missing, more than 5 minutes old, or more than 5 minutes in the future
 *        (Bolt itself refuses only old ones), or a bad signature
 *   400  a signed body that is not a JSON object (`payload=null` made Bolt throw outside its own
 *        error handling: an unhandled rejection that ends the process), or that Bolt cannot route
 *        (`actions: null`, a view without `view`...; Bolt answered 500)
 *
 * Then Bolt verifies and dispatches the request as before, reusing the buffered body. The server
 * itself drops slow clients: headers within {@link HEADERS_TIMEOUT_MS}, the whole request within
 * {@link REQUEST_TIMEOUT_MS} (Node answers 408), which also bounds the custom routes (the
 * Alertmanager webhook). Slack's own requests arrive in milliseconds and must be answered in 3 s.
 */
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger as BoltLogger, CustomRoute, HTTPReceiver as HTTPReceiverType } from '@slack/bolt';
import bolt from '@slack/bolt';
import { describeError } from '../errors.ts';
import { readLimitedBody } from '../http-body.ts';

const { HTTPReceiver, verifySlackRequest } = bolt;

/** The largest Slack request body read (Bolt's own default). */
export const SLACK_BODY_MAX_BYTES = bolt.defaultBodyLimit;
/** How far a request's timestamp may be from the bot's clock, either way (Slack's rule). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** A client must have sent its request headers within this. */
export const HEADERS_TIMEOUT_MS = 5_000;
/** A client must have sent its whole request (headers and body) within this; else 408. */
export const REQUEST_TIMEOUT_MS = 10_000;

export const SERVER_OPTIONS: Readonly<ServerOptions> = Object.freeze({
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  // how often Node checks those two (its default, 30 s, would let a slow client stay that long)
  connectionsCheckingInterval: 1_000,
});

export interface SlackReceiverOptions {
  signingSecret: string;
  port: number;
  customRoutes: CustomRoute[];
  logger: BoltLogger;
  endpoint?: string;
  /** Epoch milliseconds (tests). */
  now?: () => number;
}

const FORM = 'application/x-www-form-urlencoded';

function refuse(res: ServerResponse, status: number, reason: string): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  // no `connection: close`: a client still sending an oversized body reads the 413 once its
  // body is drained (Node discards it), instead of a reset; the request timeout bounds that
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${reason}\n`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why Bolt could not use this body (parsed exactly as Bolt parses it), if it cannot. */
export function bodyShapeError(text: string, contentType: string | undefined): string | undefined {
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
    endpoints: [endpoint],
    port: options.port,
    customRoutes: options.customRoutes,
    logger: options.logger,
    bodyLimit: SLACK_BODY_MAX_BYTES,
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
  const guard = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const read = await readLimitedBody(req, SLACK_BODY_MAX_BYTES);
    if (!read.ok) {
      log.warn(`slack request refused (${read.status}): ${read.reason}`);
      refuse(res, read.status, read.reason);
      return;
    }
    const text = read.body.toString('utf8');
    const contentType = header(req, 'content-type');
    // Bolt answers Slack's unsigned ssl_check itself (and strips anything else from it)
    if (!isSslCheck(text, contentType)) {
      const stamp = header(req, 'x-slack-request-timestamp') ?? '';
      const seconds = /^\d{1,12}$/.test(stamp) ? Number(stamp) : Number.NaN;
      const skew = seconds - now() / 1000;
      if (!(Math.abs(skew) <= MAX_CLOCK_SKEW_SECONDS)) {
        const why = Number.isNaN(skew)
          ? 'no valid x-slack-request-timestamp'
          : `timestamp is ${Math.round(Math.abs(skew))} s in the ${skew > 0 ? 'future' : 'past'} (more than ${MAX_CLOCK_SKEW_SECONDS} s)`;
        log.warn(`slack request refused (401): ${why}`);
        refuse(res, 401, 'unauthorized');
        return;
      }
      try {
        verifySlackRequest({
          signingSecret: options.signingSecret,
          body: text,
          headers: {
            'x-slack-signature': header(req, 'x-slack-signature') ?? '',
            'x-slack-request-timestamp': seconds,
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
