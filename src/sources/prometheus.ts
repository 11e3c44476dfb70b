/** The live MetricsSource: Prometheus range queries through prometheus-query. Thin by design. */

import { createRequire } from 'node:module';
import pLimit from 'p-limit';
import type * as PrometheusQuery from 'prometheus-query';
import type { Series, TimeWindow } from '../domain/types.ts';
import { OomBotError } from '../errors.ts';
import { networkReason } from './net-error.ts';
import type { MetricsSource } from './ports.ts';
import { type QuerySpec, toPromQL } from './queries.ts';

/** prometheus-query (and its HTTP client) on first use: the web process never queries Prometheus. */
const require = createRequire(import.meta.url);
let prometheusQuery: typeof PrometheusQuery | undefined;

/** Where a range answer's samples wait, on its labels object, between the response hook and queryRange. */
const SAMPLES = Symbol('samples');

interface Samples {
  t: number[];
  v: number[];
}

interface RangeVectorLike {
  metric: { labels: Record<string, string> & { [SAMPLES]?: Samples } };
}

/** A matrix entry as Prometheus' JSON has it: `values` are [seconds, "value"] pairs. */
interface MatrixEntry {
  metric?: Record<string, unknown>;
  values?: Array<[number, string]>;
}

/**
 * The driver's response hook: as soon as a range answer is parsed, its [seconds, "value"] pairs
 * become two arrays of numbers on the entry's labels (under a symbol, which the driver copies with
 * them), and the pairs are dropped, so the driver builds no Date and no object per sample. Times and
 * values are read as the driver reads them (whole milliseconds, parseFloat).
 */
export function compactRangeAnswer<R extends { data?: unknown }>(response: R): R {
  const body = response.data as { data?: { resultType?: string; result?: MatrixEntry[] } } | undefined;
  if (body?.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) return response;
  for (const entry of body.data.result) {
    const pairs = Array.isArray(entry.values) ? entry.values : [];
    const t = new Array<number>(pairs.length);
    const v = new Array<number>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i] as [number, string];
      t[i] = Math.trunc(pair[0] * 1000) / 1000;
      v[i] = Number.parseFloat(pair[1]);
    }
    entry.metric = { ...entry.metric, [SAMPLES]: { t, v } };
    entry.values = [];
  }
  return response;
}

/**
 * Range queries one source runs at once, across every diagnosis of the process. Each answer is held
 * three times while it is read (the socket's chunks, the joined body, JSON.parse's [seconds, "value"]
 * pair per sample, about 80 bytes a sample) before it shrinks to two numbers a sample; capping the
 * answers in flight caps that peak, whatever WORKER_CONCURRENCY is.
 */
export const RANGE_QUERIES_IN_FLIGHT = 4;

export function createPrometheusSource(
  endpoint: string,
  options: { timeoutMs?: number; inFlight?: number } = {},
): MetricsSource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limited = pLimit(options.inFlight ?? RANGE_QUERIES_IN_FLIGHT);
  prometheusQuery ??= require('prometheus-query') as typeof PrometheusQuery;
  const driver = new prometheusQuery.PrometheusDriver({
    endpoint,
    baseURL: '/api/v1',
    timeout: timeoutMs,
    responseInterceptor: { onFulfilled: compactRangeAnswer },
  });
  const host = new URL(endpoint).host;
  return {
    name: `Prometheus ${host}`,
    async queryRange(spec: QuerySpec, window: TimeWindow): Promise<Series[]> {
      const promql = toPromQL(spec, window.stepSeconds);
      try {
        const result = await limited(() =>
          driver.rangeQuery(
            promql,
            new Date(window.start * 1000),
            new Date(window.end * 1000),
            window.stepSeconds,
          ),
        );
        return (result.result as RangeVectorLike[]).map((r) => {
          const { [SAMPLES]: samples, ...labels } = r.metric.labels;
          return { labels, t: samples?.t ?? [], v: samples?.v ?? [] };
        });
      } catch (error) {
        throw describePrometheusError(error, host, timeoutMs);
      }
    },
  };
}

/** prometheus-query rejects with `{errorType, error, code}` (not an Error): name what happened. */
function describePrometheusError(error: unknown, host: string, timeoutMs: number): OomBotError {
  const e = error as { errorType?: string; error?: string; code?: string; original?: unknown };
  if (e?.errorType === 'timeout_error' || e?.code === 'ECONNABORTED' || e?.code === 'ETIMEDOUT') {
    return new OomBotError('source_timeout', `Prometheus at ${host}: no answer within ${timeoutMs} ms`, {
      cause: error,
    });
  }
  let reason: string;
  if (e?.errorType === 'network_error' || e?.errorType === 'ssl_error')
    reason = networkReason(e.original ?? e);
  else if (typeof e?.error === 'string' && e.error !== '')
    reason = e.errorType ? `${e.errorType}: ${e.error}` : e.error;
  else reason = networkReason(error);
  return new OomBotError('source_unavailable', `Prometheus at ${host}: ${reason}`, { cause: error });
}
