/** The live MetricsSource: Prometheus range queries through prometheus-query. Thin by design. */
import { createRequire } from 'node:module';
import type * as PrometheusQuery from 'prometheus-query';
import type { Series, TimeWindow } from '../domain/types.ts';
import { OomBotError } from '../errors.ts';
import { networkReason } from './net-error.ts';
import type { MetricsSource } from './ports.ts';
import { type QuerySpec, toPromQL } from './queries.ts';

/** prometheus-query (and its HTTP client) on first use: the web process never queries Prometheus. */
const require = createRequire(import.meta.url);
let prometheusQuery: typeof PrometheusQuery | undefined;

interface RangeVectorLike {
  metric: { labels: Record<string, string> };
  values: Array<{ time: Date; value: number }>;
}

export function createPrometheusSource(
  endpoint: string,
  options: { timeoutMs?: number } = {},
): MetricsSource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  prometheusQuery ??= require('prometheus-query') as typeof PrometheusQuery;
  const driver = new prometheusQuery.PrometheusDriver({ endpoint, baseURL: '/api/v1', timeout: timeoutMs });
  const host = new URL(endpoint).host;
  return {
    name: `Prometheus ${host}`,
    async queryRange(spec: QuerySpec, window: TimeWindow): Promise<Series[]> {
      const promql = toPromQL(spec, window.stepSeconds);
      try {
        const result = await driver.rangeQuery(
          promql,
          new Date(window.start * 1000),
          new Date(window.end * 1000),
          window.stepSeconds,
        );
        return (result.result as RangeVectorLike[]).map((r) => ({
          labels: { ...r.metric.labels },
          t: r.values.map((s) => s.time.getTime() / 1000),
          v: r.values.map((s) => Number(s.value)),
        }));
      } catch (error) {
        throw describePrometheusError(error, host, timeoutMs);
      }
    },
  };
}

/** prometheus-query rejects with `{errorType, error, code}` (not an Error): name what happened. */
export function describePrometheusError(error: unknown, host: string, timeoutMs: number): OomBotError {
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
