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
    if (entry.metric && SAMPLES in entry.metric) continue; // read from the text already
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

const VALUES_KEY = '"values":[';

/** One matrix entry's `values` read from the text at `from` (just after `"values":[`); undefined if not as Prometheus writes it. */
function readPairs(text: string, from: number): { samples: Samples; end: number } | undefined {
  const t: number[] = [];
  const v: number[] = [];
  let p = from;
  while (text.charCodeAt(p) === 0x5b /* [ */) {
    const comma = text.indexOf(',', p);
    const time = Number(text.slice(p + 1, comma));
    if (comma < 0 || Number.isNaN(time) || text.charCodeAt(comma + 1) !== 0x22 /* " */) return undefined;
    const quote = text.indexOf('"', comma + 2);
    if (quote < 0 || text.charCodeAt(quote + 1) !== 0x5d /* ] */) return undefined;
    t.push(Math.trunc(time * 1000) / 1000);
    v.push(Number.parseFloat(text.slice(comma + 2, quote)));
    p = quote + 2;
    if (text.charCodeAt(p) === 0x2c /* , */) p++;
  }
  return text.charCodeAt(p) === 0x5d ? { samples: { t, v }, end: p } : undefined;
}

/**
 * A range answer's body, read without a JSON array and string per sample: each entry's `values`
 * ([seconds, "value"] pairs, as Prometheus writes them) is read straight from the text into two
 * arrays of numbers, and the rest (status, labels, warnings, errors) goes through JSON.parse with
 * `values` left empty. The samples land where compactRangeAnswer puts them, read the same way
 * (Number of the JSON number, parseFloat of the string). Any other body, or one written otherwise,
 * is parsed whole as before.
 */
export function parseRangeBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  const samples: Samples[] = [];
  let skeleton = '';
  let copied = 0;
  for (let at = data.indexOf(VALUES_KEY); at >= 0; at = data.indexOf(VALUES_KEY, copied)) {
    const read = readPairs(data, at + VALUES_KEY.length);
    if (!read) return parseWhole(data);
    skeleton += data.slice(copied, at + VALUES_KEY.length);
    copied = read.end;
    samples.push(read.samples);
  }
  if (samples.length === 0) return parseWhole(data);
  const body = parseWhole(skeleton + data.slice(copied)) as {
    data?: { resultType?: string; result?: MatrixEntry[] };
  };
  const result = body?.data?.result;
  if (body?.data?.resultType !== 'matrix' || !Array.isArray(result) || result.length !== samples.length)
    return parseWhole(data);
  result.forEach((entry, i) => {
    entry.metric = { ...entry.metric, [SAMPLES]: samples[i] };
  });
  return body;
}

/** As axios reads a JSON body: parsed, or the text itself when it is not JSON. */
function parseWhole(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Range queries one source runs at once, across every diagnosis of the process. Each answer is held
 * three times while it is read (the socket's chunks, the joined body, JSON.parse's [seconds, "value"]
 * pair per sample, about 80 bytes a sample) before it shrinks to two numbers a sample; capping the
 * answers in flight caps that peak, whatever WORKER_CONCURRENCY is.
 */
export const RANGE_QUERIES_IN_FLIGHT = 4;

/** Runs at most `limit` of the tasks given to it at once, the others in the order they came. */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  // a finished task hands its slot straight to the next waiting one, so no newcomer slips in between
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async (task) => {
    if (running < limit) running++;
    else await new Promise<void>((takeSlot) => waiting.push(takeSlot));
    try {
      return await task();
    } finally {
      release();
    }
  };
}

export function createPrometheusSource(
  endpoint: string,
  options: { timeoutMs?: number; inFlight?: number } = {},
): MetricsSource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limited = createLimiter(options.inFlight ?? RANGE_QUERIES_IN_FLIGHT);
  prometheusQuery ??= require('prometheus-query') as typeof PrometheusQuery;
  const driver = new prometheusQuery.PrometheusDriver({
    endpoint,
    baseURL: '/api/v1',
    timeout: timeoutMs,
    // range bodies are read by parseRangeBody instead of axios' JSON.parse
    requestInterceptor: {
      onFulfilled: <C extends { transformResponse?: unknown }>(config: C): C => {
        config.transformResponse = [parseRangeBody];
        return config;
      },
    },
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
