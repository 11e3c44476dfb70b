/**
 * Every Prometheus metric the bot exports, in one registry per process (no global registry: tests
 * create their own). The web process serves it on GET /metrics (a Bolt custom route); a worker on
 * its own small HTTP server (METRICS_PORT). Label values are bounded: causes, outcomes, Slack
 * method names and error codes, never a user, channel or workload name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from './timeout.ts';

/** Job counts by state, as BullMQ's `queue.getJobCounts()` returns them. */
export type JobCounts = Record<string, number>;

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

export interface Metrics {
  readonly registry: Registry;
  /** oom_bot_queue_jobs{queue,state}: sampled from Redis at each scrape. */
  readonly queueJobs: Gauge<'queue' | 'state'>;
  /** oom_bot_job_duration_seconds{queue,outcome}. */
  readonly jobDuration: Histogram<'queue' | 'outcome'>;
  /** oom_bot_diagnoses_total{cause,trigger}. */
  readonly diagnoses: Counter<'cause' | 'trigger'>;
  /** oom_bot_slack_api_errors_total{method,error}: every failed Web API call, rate limits included. */
  readonly slackApiErrors: Counter<'method' | 'error'>;
  /** oom_bot_slack_rate_limited_total{method}: HTTP 429 answers from Slack. */
  readonly slackRateLimited: Counter<'method'>;
  /** oom_bot_approval_decisions_total{decision,action}: approve, reject, expired, refused … */
  readonly approvalDecisions: Counter<'decision' | 'action'>;
  /** oom_bot_slack_requests_total{kind,outcome}: slash commands and button clicks received. */
  readonly slackRequests: Counter<'kind' | 'outcome'>;
  /** Sample this queue's job counts at each scrape. */
  watchQueue(queue: string, counts: () => Promise<JobCounts>): void;
  /** Count one failed Slack call (classifies 429s as rate limits too). */
  recordSlackError(method: string, error: unknown): void;
  /** Run a job, timing it and counting its outcome. */
  timeJob<T>(queue: string, run: () => Promise<T>): Promise<T>;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

interface MetricsOptions {
  /** Process metrics (RSS, heap, event-loop lag, GC) under the oom_bot_ prefix. Default true. */
  defaultMetrics?: boolean;
  /** How long a scrape waits for Redis before it leaves the queue gauge out. Default 1000 ms. */
  queueTimeoutMs?: number;
}

/** The Slack error code of a failed Web API call, bounded to a short token. */
export function slackErrorCode(error: unknown): string {
  const e = error as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  if (e?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  if (typeof e?.data?.error === 'string') return e.data.error.slice(0, 64);
  if (e?.code === 'slack_webapi_http_error') return `http_${String(e.statusCode ?? 'error')}`;
  if (e?.code === 'slack_webapi_request_error') return 'request_error';
  return 'unknown';
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'oom_bot_' });
  const queueTimeoutMs = options.queueTimeoutMs ?? 1000;
  const watched = new Map<string, () => Promise<JobCounts>>();

  const queueJobs = new Gauge({
    name: 'oom_bot_queue_jobs',
    help: 'Jobs in a BullMQ queue by state (waiting is the backlog), sampled at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...watched].map(async ([queue, counts]) => {
          try {
            const now = await withTimeout(
              counts(),
              queueTimeoutMs,
              () => new Error(`no answer in ${queueTimeoutMs} ms`),
            );
            for (const state of QUEUE_STATES) this.set({ queue, state }, now[state] ?? 0);
          } catch {
            // Redis does not answer: leave the series out rather than report a false zero
          }
        }),
      );
    },
  });
  const jobDuration = new Histogram({
    name: 'oom_bot_job_duration_seconds',
    help: 'Wall time of a job from pick-up to completion or failure (Slack pacing included)',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const diagnoses = new Counter({
    name: 'oom_bot_diagnoses_total',
    help: 'Diagnoses posted, by the cause found and what triggered them',
    labelNames: ['cause', 'trigger'] as const,
    registers: [registry],
  });
  const slackApiErrors = new Counter({
    name: 'oom_bot_slack_api_errors_total',
    help: 'Failed Slack Web API calls by method and Slack error code (ratelimited included)',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  });
  const slackRateLimited = new Counter({
    name: 'oom_bot_slack_rate_limited_total',
    help: 'Slack Web API calls answered with HTTP 429 (retried after Retry-After)',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const approvalDecisions = new Counter({
    name: 'oom_bot_approval_decisions_total',
    help: 'Decisions on proposed remediations: approved, rejected, expired, refused (not authorised)',
    labelNames: ['decision', 'action'] as const,
    registers: [registry],
  });
  const slackRequests = new Counter({
    name: 'oom_bot_slack_requests_total',
    help: 'Slash commands and button clicks received, by outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });

  return {
    registry,
    queueJobs,
    jobDuration,
    diagnoses,
    slackApiErrors,
    slackRateLimited,
    approvalDecisions,
    slackRequests,
    watchQueue(queue, counts) {
      watched.set(queue, counts);
    },
    recordSlackError(method, error) {
      const code = slackErrorCode(error);
      slackApiErrors.inc({ method, error: code });
      if (code === 'ratelimited') slackRateLimited.inc({ method });
    },
    async timeJob(queue, run) {
      const end = jobDuration.startTimer({ queue });
      try {
        const result = await run();
        end({ outcome: 'completed' });
        return result;
      } catch (error) {
        end({ outcome: 'failed' });
        throw error;
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** An HTTP handler for GET /metrics (Bolt custom route or node:http). */
export function metricsHandler(metrics: Metrics) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics unavailable: ${String(error)}\n`);
      },
    );
  };
}
