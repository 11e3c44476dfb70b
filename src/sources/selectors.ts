/**
 * Kubernetes label and field selectors: written from the domain's records, and evaluated on plain
 * objects the way the apiserver evaluates them, so the scenario adapter filters as a cluster does.
 */
import { OomBotError } from '../errors.ts';
import type { KubeObject } from './ports.ts';

type Requirement =
  | { op: 'in'; key: string; values: string[] }
  | { op: 'notin'; key: string; values: string[] }
  | { op: 'exists'; key: string }
  | { op: 'absent'; key: string };

/** `{app: 'api', tier: 'web'}` → `app=api,tier=web` (keys sorted, as kubectl prints them). */
export function formatLabelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `key in (a,b,c)` for a set of values. */
export function formatInSelector(key: string, values: Iterable<string>): string {
  return `${key} in (${[...new Set(values)].sort().join(',')})`;
}

/** Split on commas outside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function invalid(selector: string, term: string): OomBotError {
  return new OomBotError('config_invalid', `unsupported selector term "${term}" in "${selector}"`);
}

function parseTerm(selector: string, term: string): Requirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    return { op: set[2] as 'in' | 'notin', key: set[1] as string, values };
  }
  const eq = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)$/.exec(term);
  if (eq) {
    const key = eq[1] as string;
    const value = eq[3] as string;
    return eq[2] === '!=' ? { op: 'notin', key, values: [value] } : { op: 'in', key, values: [value] };
  }
  if (/^![^\s!=()]+$/.test(term)) return { op: 'absent', key: term.slice(1) };
  if (/^[^\s!=()]+$/.test(term)) return { op: 'exists', key: term };
  throw invalid(selector, term);
}

function parse(selector: string): Requirement[] {
  return splitTerms(selector).map((term) => parseTerm(selector, term));
}

function satisfies(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'absent':
      return value === undefined;
  }
}

/** True when `labels` satisfy every term of the label selector (an empty selector selects all). */
export function matchesLabelSelector(selector: string, labels: Record<string, string> | undefined): boolean {
  return parse(selector).every((req) => satisfies(req, labels?.[req.key]));
}

/** The value of a field path the apiserver's field selectors support, for a plain object. */
function fieldValue(obj: KubeObject, path: string): string | undefined {
  let at: unknown = obj;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at === undefined || at === null ? undefined : String(at);
}

const FIELDS = new Set([
  'metadata.name',
  'metadata.namespace',
  'involvedObject.kind',
  'involvedObject.name',
  'involvedObject.namespace',
  'involvedObject.uid',
  'spec.nodeName',
  'status.phase',
  'reason',
]);

/** True when `obj` satisfies every term of the field selector (only `=`, `==` and `!=`). */
export function matchesFieldSelector(selector: string, obj: KubeObject): boolean {
  const setTerm = splitTerms(selector).find((term) => /\s(in|notin)\s*\(/.test(term));
  if (setTerm) throw invalid(selector, setTerm);
  return parse(selector).every((req) => {
    if (!FIELDS.has(req.key) || (req.op !== 'in' && req.op !== 'notin') || req.values.length !== 1)
      throw invalid(selector, req.key);
    // the apiserver compares a missing field as the empty string
    return satisfies(req, fieldValue(obj, req.key) ?? '');
  });
}
