/**
 * HTTP load with autocannon: a closed loop of `connections` clients for `durationS`, each request
 * built fresh (so every slash command is signed with its own body and timestamp, as Slack sends
 * them). Latencies are every response time autocannon measured, in ms with sub-ms precision.
 */
import autocannon from 'autocannon';
import { postSigned, signSlackRequest, slashCommandBody } from '../../test/support/slack-requests.ts';
import { SIGNING_SECRET } from './processes.ts';
import { quantile } from './stats.ts';

export interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  /** Measured seconds, after `rampS` seconds whose responses are not counted. */
  durationS: number;
  /**
   * Seconds at the start while the connections open (default 2): requests sent then are left
   * out, since the first request of each new connection waits for it to be set up.
   */
  rampS?: number;
  /** Requests per second over all connections (open loop); default: as fast as answered. */
  overallRate?: number;
  request(): { body: string; headers: Record<string, string> };
  /** Names the outcome of a response (counted in `outcomes`); default: the status code. */
  classify?(status: number, body: string): string;
}

export interface LoadResult {
  completed: number;
  /** Completed requests per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Responses slower than Slack's 3,000 ms limit for an acknowledgement. */
  overSlackLimit: number;
  errors: number;
  timeouts: number;
  outcomes: Record<string, number>;
}

export const SLACK_ACK_LIMIT_MS = 3000;

/** A signed `/oom <workload> -n <namespace>` to the web process; throws unless it was queued. */
export async function askOom(
  webUrl: string,
  w: { workload: string; namespace: string },
  channel: string,
  responseUrl: string,
): Promise<void> {
  const res = await postSigned(
    `${webUrl}/slack/events`,
    SIGNING_SECRET,
    slashCommandBody({
      text: `${w.workload} -n ${w.namespace}`,
      channel_id: channel,
      response_url: responseUrl,
    }),
  );
  if (res.status !== 200 || !/Diagnosing/.test(res.body))
    throw new Error(`/oom answered ${res.status} ${res.body}`);
}

/** Responses counted in `outcomes` other than the `expected` one, plus errors and timeouts. */
export function unexpected(result: LoadResult, expected: string): number {
  const others = Object.entries(result.outcomes).filter(([k]) => k !== expected);
  return others.reduce((n, [, v]) => n + v, 0) + result.errors + result.timeouts;
}

/** The share of counted responses that were the `expected` outcome. */
export function shareOf(result: LoadResult, expected: string): number {
  const total = Object.values(result.outcomes).reduce((n, v) => n + v, 0);
  return total === 0 ? 0 : (result.outcomes[expected] ?? 0) / total;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const classify = options.classify ?? ((status: number) => String(status));
  const rampMs = (options.rampS ?? 2) * 1000;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS + rampMs / 1000,
        timeout: 30,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        requests: [
          {
            method: 'POST',
            path: options.path,
            setupRequest: (req) => {
              const { body, headers } = options.request();
              return { ...req, body, headers };
            },
            onResponse: (status, body) => {
              // classified even during the ramp (a caller may count what it announces)
              const key = classify(status, body);
              if (performance.now() - started < rampMs) return;
              outcomes[key] = (outcomes[key] ?? 0) + 1;
            },
          },
        ],
      },
      (error, result) => (error ? fail(error) : done(result)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => {
      // counted when sent after the ramp
      if (performance.now() - ms - started >= rampMs) latencies.push(ms);
    });
  });
  const seconds = (performance.now() - started - rampMs) / 1000;
  return {
    completed: latencies.length,
    rps: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies.reduce((m, v) => Math.max(m, v), 0),
    overSlackLimit: latencies.filter((ms) => ms > SLACK_ACK_LIMIT_MS).length,
    errors: result.errors,
    timeouts: result.timeouts,
    outcomes,
  };
}

let sequence = 0;

/** A signed `/oom <text>` from a channel of its own (so every request is a new job, not a duplicate). */
export function signedSlashCommand(
  text: string,
  responseUrl: string,
): { body: string; headers: Record<string, string> } {
  sequence += 1;
  const body = slashCommandBody({
    text,
    channel_id: `C0BENCH${sequence.toString(36).toUpperCase().padStart(6, '0')}`,
    response_url: responseUrl,
  });
  return { body, headers: { ...signSlackRequest(SIGNING_SECRET, body) } };
}
