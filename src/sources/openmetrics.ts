/**
 * A reader of OpenMetrics text as scenarios carry it: every sample timestamped (seconds),
 * families announced by `# TYPE`, the file closed by `# EOF`. Series are grouped by metric
 * name and label set, samples kept in time order.
 */

import type { Series } from '../domain/types.ts';
import { scenarioUnreadable } from '../errors.ts';

export type SeriesByMetric = Map<string, Series[]>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parse OpenMetrics text; errors name the file and line. */
export function parseOpenMetrics(text: string, file = 'metrics.om'): SeriesByMetric {
  const byKey = new Map<string, Series>();
  const byMetric: SeriesByMetric = new Map();
  const labelCache = new Map<string, Record<string, string>>();
  let sawEof = false;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trimEnd();
    start = end + 1;
    lineNo++;
    if (line === '') continue;
    if (sawEof) throw scenarioUnreadable(file, 'content after # EOF', lineNo);
    if (line.startsWith('#')) {
      if (line === '# EOF') sawEof = true;
      continue;
    }
    const sample = parseSampleLine(line, labelCache);
    if (typeof sample === 'string') throw scenarioUnreadable(file, sample, lineNo);
    const key = `${sample.name}${sample.labelText}`;
    let series = byKey.get(key);
    if (!series) {
      series = { labels: sample.labels, t: [], v: [] };
      byKey.set(key, series);
      const list = byMetric.get(sample.name);
      if (list) list.push(series);
      else byMetric.set(sample.name, [series]);
    }
    const last = series.t[series.t.length - 1];
    if (last !== undefined && sample.t < last) {
      throw scenarioUnreadable(
        file,
        `sample of ${sample.name} goes back in time (${sample.t} after ${last})`,
        lineNo,
      );
    }
    series.t.push(sample.t);
    series.v.push(sample.v);
  }
  if (!sawEof) throw scenarioUnreadable(file, 'missing "# EOF" at the end', lineNo);
  return byMetric;
}

interface ParsedSample {
  name: string;
  labelText: string;
  labels: Record<string, string>;
  v: number;
  t: number;
}

function parseSampleLine(line: string, cache: Map<string, Record<string, string>>): ParsedSample | string {
  const brace = line.indexOf('{');
  let name: string;
  let labelText = '';
  let rest: string;
  if (brace === -1) {
    const space = line.indexOf(' ');
    if (space === -1) return 'a sample needs a value and a timestamp';
    name = line.slice(0, space);
    rest = line.slice(space + 1);
  } else {
    name = line.slice(0, brace);
    const close = findClosingBrace(line, brace);
    if (close === -1) return 'unterminated label set';
    labelText = line.slice(brace, close + 1);
    rest = line.slice(close + 1).trimStart();
  }
  if (!NAME.test(name)) return `invalid metric name "${name.slice(0, 60)}"`;
  let labels = cache.get(labelText);
  if (!labels) {
    const parsed = parseLabels(labelText);
    if (typeof parsed === 'string') return parsed;
    labels = parsed;
    cache.set(labelText, labels);
  }
  const parts = rest.split(' ');
  if (parts.length < 2) return 'every sample needs a timestamp (seconds)';
  const v = parseNumber(parts[0] ?? '');
  const t = Number(parts[1]);
  if (v === undefined) return `invalid sample value "${parts[0]}"`;
  if (!Number.isFinite(t)) return `invalid timestamp "${parts[1]}"`;
  return { name, labelText, labels, v, t };
}

function parseNumber(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return text !== '' && Number.isFinite(value) ? value : undefined;
}

function findClosingBrace(line: string, open: number): number {
  let inQuotes = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === '}') return i;
  }
  return -1;
}

function parseLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  let i = 1;
  const end = text.length - 1;
  while (i < end) {
    const eq = text.indexOf('=', i);
    if (eq === -1 || text[eq + 1] !== '"') return `invalid label set ${text.slice(0, 80)}`;
    const key = text.slice(i, eq).trim();
    if (!NAME.test(key)) return `invalid label name "${key}"`;
    let value = '';
    let j = eq + 2;
    for (; j < end; j++) {
      const c = text[j];
      if (c === '\\') {
        const n = text[++j];
        value += n === 'n' ? '\n' : (n ?? '');
      } else if (c === '"') break;
      else value += c;
    }
    if (text[j] !== '"') return `unterminated label value for ${key}`;
    labels[key] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}
