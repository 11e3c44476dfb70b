/**
 * Rendering and writing a scenario: OpenMetrics text (metrics.om.gz), scenario.yaml and
 * cluster.yaml, written into one folder.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Document, visit } from 'yaml';
import { MI } from './shared.ts';
import type { GeneratedScenario, KubeDocument, MetricFamily } from './types.ts';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels)
    .filter((k) => labels[k] !== '')
    .sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** OpenMetrics text in chunks (one per series), families sorted and contiguous, `# EOF` last. */
export function* renderOpenMetricsChunks(families: MetricFamily[]): Generator<string> {
  const sorted = families.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const fam of sorted) {
    yield `# TYPE ${fam.name} ${fam.type}\n`;
    for (const s of fam.series) {
      const prefix = `${fam.name}${renderLabels(s.labels)} `;
      const lines: string[] = new Array(s.t.length);
      for (let i = 0; i < s.t.length; i++) lines[i] = `${prefix}${formatValue(s.v[i] as number)} ${s.t[i]}`;
      if (lines.length > 0) yield `${lines.join('\n')}\n`;
    }
  }
  yield '# EOF\n';
}

export function renderOpenMetrics(families: MetricFamily[]): string {
  return [...renderOpenMetricsChunks(families)].join('');
}

const YAML11_BOOLISH =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE)$/;
const TIMESTAMPISH = /^\d{4}-\d\d-\d\d([Tt ]|$)/;

function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      if (TIMESTAMPISH.test(node.value) || YAML11_BOOLISH.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function renderScenarioYaml(s: GeneratedScenario): string {
  return toYaml(s.scenarioYaml);
}

export function renderClusterYaml(objects: KubeDocument[]): string {
  return objects.map((o) => toYaml(o)).join('---\n');
}

/** Write scenario.yaml, cluster.yaml and metrics.om.gz into `dir` (created if needed). */
export async function writeScenario(dir: string, s: GeneratedScenario): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'scenario.yaml'), renderScenarioYaml(s));
  await writeFile(join(dir, 'cluster.yaml'), renderClusterYaml(s.clusterObjects));
  await pipeline(
    Readable.from(batched(renderOpenMetricsChunks(s.metrics), 4 * MI), { objectMode: false }),
    createGzip({ level: 6 }),
    createWriteStream(join(dir, 'metrics.om.gz')),
  );
}

/** Joins small chunks into pieces of at least `size` characters (fewer stream round trips). */
function* batched(chunks: Iterable<string>, size: number): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
