/** The live MetricsSource: Prometheus range queries through prometheus-query. Thin by design. */
import { PrometheusDriver } from 'prometheus-query';
import type { Series, TimeWindow } from '../domain/types.ts';
import { OomBotError } from '../errors.ts';
import type { MetricsSource } from './ports.ts';
import { type QuerySpec, toPromQL } from './queries.ts';

interface RangeVectorLike {
  metric: { labels: Record<string, string> };
  values: Array<{ time: Date; value: number }>;
}

export function createPrometheusSource(
  endpoint: string,
  options: { timeoutMs?: number } = {},
): MetricsSource {
  const driver = new PrometheusDriver({ endpoint, baseURL: '/api/v1', timeout: options.timeoutMs ?? 10_000 });
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
        const e = error as { status?: number; error?: string; message?: string; code?: string };
        const reason = e.error ?? e.message ?? e.code ?? String(error);
        throw new OomBotError('source_unavailable', `Prometheus at ${host}: ${reason}`, { cause: error });
      }
    },
  };
}
