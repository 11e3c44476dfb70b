/**
 * Reads a scenario folder (scenario.yaml, cluster.yaml, metrics.om[.gz]) into the same ports
 * the live adapters implement. Every error names the file and, where it can, the line.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { Series, TimeWindow } from '../domain/types.ts';
import { scenarioUnreadable } from '../errors.ts';
import { parseOpenMetrics, type SeriesByMetric } from './openmetrics.ts';
import type { KubeObject, ListOptions, MetricsSource, ObjectKind, ObjectLister } from './ports.ts';
import type { QuerySpec } from './queries.ts';
import { matchesFieldSelector, matchesLabelSelector } from './selectors.ts';
import { evaluateRange } from './series-eval.ts';

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const range = z.object({ min: z.number().nonnegative(), max: z.number().positive() });
const scenarioMetaSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  at: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an RFC 3339 time'),
  request: z.object({
    service: z.string().regex(DNS_NAME, 'must be a DNS-1123 name'),
    namespace: z.string().regex(DNS_NAME, 'must be a DNS-1123 name').optional(),
  }),
  expect: z
    .object({
      cause: z.string(),
      alsoAcceptable: z.array(z.string()).optional(),
      recommendation: z.object({ container: z.string(), memoryLimitBytes: range }).optional(),
      noLimitIncrease: z.boolean().optional(),
      oomKills: z.number().optional(),
    })
    .passthrough()
    .optional(),
});
export type ScenarioMeta = z.infer<typeof scenarioMetaSchema>;

export interface Scenario {
  dir: string;
  meta: ScenarioMeta;
  at: number;
  cluster: ObjectLister;
  metrics: MetricsSource;
}

async function readText(file: string): Promise<string> {
  try {
    const bytes = await readFile(file);
    return file.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw scenarioUnreadable(file, code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * A YAML document's value. Some errors (an alias to no anchor, an alias bomb) only surface here,
 * as a thrown ReferenceError: they become the file's error too.
 */
function documentValue(
  doc: { toJS(): unknown; range: [number, number, number] },
  text: string,
  file: string,
): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    throw scenarioUnreadable(
      file,
      (error as Error).message.split('\n')[0] || 'invalid YAML',
      lineOf(text, doc.range[0]),
    );
  }
}

/** Parse multi-document YAML into Kubernetes objects. */
export function parseClusterYaml(text: string, file = 'cluster.yaml'): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0];
    if (error)
      throw scenarioUnreadable(
        file,
        error.message.split('\n')[0] ?? 'invalid YAML',
        lineOf(text, error.pos[0]),
      );
    const value = documentValue(doc, text, file);
    if (value === null || value === undefined) continue;
    const at = lineOf(text, doc.range[0]);
    if (typeof value !== 'object' || Array.isArray(value))
      throw scenarioUnreadable(file, 'a document is not an object', at);
    const obj = value as KubeObject;
    if (typeof obj.kind !== 'string') throw scenarioUnreadable(file, 'an object has no kind', at);
    if (typeof obj.metadata?.name !== 'string')
      throw scenarioUnreadable(file, `a ${obj.kind} has no metadata.name`, at);
    objects.push(obj);
  }
  return objects;
}

/** An ObjectLister over a fixed list of objects. */
export function createStaticLister(objects: KubeObject[], name: string): ObjectLister {
  const byKind = new Map<string, KubeObject[]>();
  // Sorted by namespace and name, as the apiserver lists them.
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const sorted = [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (const o of sorted) {
    const list = byKind.get(o.kind as string) ?? [];
    list.push(o);
    byKind.set(o.kind as string, list);
  }
  return {
    name,
    async list(kind: ObjectKind, namespace?: string, options: ListOptions = {}) {
      const { fieldSelector, labelSelector, limit } = options;
      const found = (byKind.get(kind) ?? []).filter(
        (o) =>
          (namespace === undefined || o.metadata?.namespace === namespace) &&
          (!fieldSelector || matchesFieldSelector(fieldSelector, o)) &&
          (!labelSelector || matchesLabelSelector(labelSelector, o.metadata?.labels)),
      );
      return limit ? found.slice(0, limit) : found;
    },
    async get(kind: ObjectKind, namespace: string | undefined, objectName: string) {
      return (byKind.get(kind) ?? []).find(
        (o) => o.metadata?.name === objectName && (o.metadata?.namespace ?? undefined) === namespace,
      );
    },
  };
}

/** A MetricsSource over parsed samples, evaluating queries as Prometheus would. */
export function createStaticMetrics(store: SeriesByMetric, name: string): MetricsSource {
  return {
    name,
    async queryRange(spec: QuerySpec, window: TimeWindow): Promise<Series[]> {
      return evaluateRange(store, spec, window);
    },
  };
}

async function findMetricsFile(dir: string): Promise<string> {
  for (const candidate of ['metrics.om.gz', 'metrics.om']) {
    try {
      await access(join(dir, candidate));
      return join(dir, candidate);
    } catch {
      // try the next name
    }
  }
  throw scenarioUnreadable(
    join(dir, 'metrics.om.gz'),
    'no metrics.om.gz or metrics.om in the scenario folder',
  );
}

/** Read and validate a scenario folder. */
export async function readScenario(dir: string): Promise<Scenario> {
  const metaFile = join(dir, 'scenario.yaml');
  const metaText = await readText(metaFile);
  const docs = parseAllDocuments(metaText);
  const first = Array.isArray(docs) ? docs[0] : docs;
  const yamlError = first?.errors[0];
  if (yamlError)
    throw scenarioUnreadable(
      metaFile,
      yamlError.message.split('\n')[0] ?? '',
      lineOf(metaText, yamlError.pos[0]),
    );
  const parsed = scenarioMetaSchema.safeParse(first ? documentValue(first, metaText, metaFile) : undefined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw scenarioUnreadable(metaFile, `${issue?.path.join('.') || 'document'}: ${issue?.message}`);
  }
  const clusterFile = join(dir, 'cluster.yaml');
  const metricsFile = await findMetricsFile(dir);
  const [clusterText, metricsText] = await Promise.all([readText(clusterFile), readText(metricsFile)]);
  const objects = parseClusterYaml(clusterText, clusterFile);
  const store = parseOpenMetrics(metricsText, metricsFile);
  const label = `scenario ${parsed.data.name}`;
  return {
    dir,
    meta: parsed.data,
    at: Date.parse(parsed.data.at) / 1000,
    cluster: createStaticLister(objects, label),
    metrics: createStaticMetrics(store, label),
  };
}
