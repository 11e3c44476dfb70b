/**
 * The Alertmanager webhook route (a Bolt custom route on the bot's HTTP server; Grafana Alerting's
 * webhook, payload version "1", is accepted on it too). It checks the
 * credentials Alertmanager's `http_config` sends (a bearer token or basic auth, compared in
 * constant time), reads the body up to a size limit, validates the v4 payload, and answers 202
 * only once the intake has durably enqueued everything; when Redis does not answer it answers
 * 503 so that Alertmanager retries. The intake is idempotent: Alertmanager re-sends groups.
 *
 *   401 bad or missing credentials · 413 body too large · 400 not JSON / not a v4 payload
 *   202 accepted (JSON summary) · 503 queue unavailable (Retry-After) · 500 unexpected
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { describeError } from '../errors.ts';
import { readLimitedBody } from '../http-body.ts';
import type { Logger } from '../logger.ts';
import { withTimeout } from '../timeout.ts';
import type { IntakeSummary } from './intake.ts';
import { type AlertmanagerPayload, parseAlertmanagerPayload } from './payload.ts';

/** Longer than this without the intake answering: 503, Alertmanager retries. */
const INTAKE_TIMEOUT_MS = 5000;

interface WebhookOptions {
  path: string;
  /** Accepted `Authorization: Bearer <token>`. */
  token?: string;
  /** Accepted basic auth, as `user:password`. */
  basicAuth?: string;
  maxBytes: number;
  intakeTimeoutMs?: number;
}

interface WebhookDeps extends WebhookOptions {
  accept(payload: AlertmanagerPayload): Promise<IntakeSummary>;
  logger: Logger;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time equality (of digests, so lengths leak nothing either). */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether the Authorization header carries one of the accepted credentials. */
export function isAuthorized(
  header: string | undefined,
  options: Pick<WebhookOptions, 'token' | 'basicAuth'>,
): boolean {
  if (!header) return false;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return false;
  const scheme = (match[1] as string).toLowerCase();
  const value = (match[2] as string).trim();
  if (scheme === 'bearer' && options.token) return safeEqual(value, options.token);
  if (scheme === 'basic' && options.basicAuth) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return safeEqual(decoded, options.basicAuth);
  }
  return false;
}

type Refusal = { status: number; reason: string };
/** The validated payload, or the HTTP refusal. */
async function readPayload(
  req: IncomingMessage,
  maxBytes: number,
): Promise<{ ok: true; payload: AlertmanagerPayload } | ({ ok: false } & Refusal)> {
  const read = await readLimitedBody(req, maxBytes);
  if (!read.ok) return read;
  let json: unknown;
  try {
    json = JSON.parse(read.body.toString('utf8'));
  } catch (error) {
    return { ok: false, status: 400, reason: `body is not JSON: ${(error as Error).message}` };
  }
  const parsed = parseAlertmanagerPayload(json);
  return parsed.ok ? parsed : { ok: false, status: 400, reason: parsed.reason };
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The request handler (node:http signature). */
export function createAlertmanagerHandler(
  deps: WebhookDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const log = deps.logger.child({ component: 'alertmanager-webhook' });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAuthorized(req.headers.authorization, deps)) {
      log.warn({ remote: req.socket.remoteAddress }, 'alertmanager webhook: bad credentials');
      req.resume();
      send(
        res,
        401,
        { error: 'unauthorized' },
        { 'www-authenticate': 'Bearer realm="oom-bot"', connection: 'close' },
      );
      return;
    }
    const read = await readPayload(req, deps.maxBytes);
    if (!read.ok) {
      log.warn({ status: read.status, reason: read.reason }, 'alertmanager webhook: refused');
      if (read.status === 413) req.resume();
      send(res, read.status, { error: read.reason }, read.status === 413 ? { connection: 'close' } : {});
      return;
    }
    const { payload } = read;
    if (payload.skipped.length > 0) {
      log.warn(
        { sender: payload.sender, count: payload.skipped.length, skipped: payload.skipped.slice(0, 20) },
        'alerts skipped: not usable (the rest of the group is accepted)',
      );
    }
    if (payload.truncatedAlerts > 0) {
      log.warn(
        { truncated: payload.truncatedAlerts, receiver: payload.receiver },
        'alertmanager left alerts out of this notification (max_alerts): they are not seen',
      );
    }
    let summary: IntakeSummary;
    try {
      const ms = deps.intakeTimeoutMs ?? INTAKE_TIMEOUT_MS;
      summary = await withTimeout(
        deps.accept(payload),
        ms,
        () => new Error(`the queue did not answer in ${ms} ms`),
      );
    } catch (error) {
      log.error(
        { err: describeError(error), alerts: payload.alerts.length },
        'alertmanager webhook: intake failed',
      );
      send(res, 503, { error: `not accepted, retry: ${describeError(error)}` }, { 'retry-after': '5' });
      return;
    }
    if (summary.unroutable.length > 0) {
      log.warn(
        { count: summary.unroutable.length, examples: summary.unroutable.slice(0, 5) },
        'alerts selected by the matchers have no target or channel; they start no diagnosis',
      );
    }
    log.info(
      {
        receiver: payload.receiver,
        alerts: summary.received,
        ignored: summary.ignored,
        unroutable: summary.unroutable.length,
        counted: summary.counted,
        resolved: summary.resolved,
        opened: summary.opened,
        reopened: summary.reopened,
      },
      'alertmanager webhook: accepted',
    );
    send(res, 202, { status: 'accepted', ...summary, skipped: payload.skipped.length });
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: describeError(error) }, 'alertmanager webhook: unexpected failure');
      send(res, 500, { error: 'internal error' });
    });
  };
}

/** The Bolt custom route: POST on the configured path. */
export function createAlertmanagerRoute(deps: WebhookDeps): CustomRoute {
  return { path: deps.path, method: ['POST'], handler: createAlertmanagerHandler(deps) };
}
