/**
 * Property: the scenario reader, fed generated damage to a real scenario folder (the seed
 * incident, its metrics cut to the last two hours to keep each run cheap). One file is replaced,
 * truncated, spliced with a generated line or bytes, deleted, or swapped for generated YAML; the
 * reader either reads it or rejects it with `scenario_unreadable` naming the file. What it reads,
 * it diagnoses: the diagnosis resolves or fails with a coded error (e.g. target_not_found), never
 * a TypeError, a crash or a hang.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { diagnoseWorkload } from '../../../src/diagnosis-service.ts';
import { OomBotError } from '../../../src/errors.ts';
import { readScenario } from '../../../src/sources/scenario.ts';
import { propertyRuns, propertySeed, report } from '../../reliability/intensity.ts';
import { seedIncident, writeScenario } from '../../scenarios/generator.ts';

const FILES = ['scenario.yaml', 'cluster.yaml', 'metrics.om'] as const;
type FileName = (typeof FILES)[number];

/** The seed's OpenMetrics text, only the samples of the last `seconds` before `at`. */
function recentMetrics(text: string, at: number, seconds: number): string {
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#') || line === '') return true;
      const ts = Number(line.slice(line.lastIndexOf(' ') + 1));
      return ts >= at - seconds;
    })
    .join('\n');
}

type Damage =
  | { kind: 'replace'; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; text: string }
  | { kind: 'bytes'; at: number; bytes: Uint8Array }
  | { kind: 'delete' }
  | { kind: 'yaml'; value: unknown }
  | { kind: 'gzip-garbage'; bytes: Uint8Array };

const hostile = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '---\n',
    '- a\n- b\n',
    'kind: Pod\n',
    'metadata: {name: 1}\n',
    '# EOF\n',
    '# TYPE x gauge\nx{a="b"} NaN 1\n',
    'container_memory_working_set_bytes{pod="p"} 1e309 99999999999\n',
    'kube_pod_container_status_restarts_total{namespace="prod",pod="auth-service-x",container="auth"} -5 1795512000\n',
    'at: "not a time"\n',
    'request: {service: "Auth_Service"}\n',
    '&a [*a, *a]\n',
    'x: !!binary AAAA\n',
  ),
);
const damage: fc.Arbitrary<Damage> = fc.oneof(
  hostile.map((text) => ({ kind: 'replace' as const, text })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ kind: 'truncate' as const, at })),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), hostile)
    .map(([at, text]) => ({ kind: 'splice' as const, at, text })),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([at, bytes]) => ({ kind: 'bytes' as const, at, bytes })),
  fc.constant({ kind: 'delete' as const }),
  fc.jsonValue().map((value) => ({ kind: 'yaml' as const, value })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'gzip-garbage' as const, bytes })),
);

function damaged(original: Buffer, d: Damage): Buffer | undefined {
  const cut = (at: number) => Math.floor(at * original.length);
  switch (d.kind) {
    case 'replace':
      return Buffer.from(d.text);
    case 'truncate':
      return original.subarray(0, cut(d.at));
    case 'splice':
      return Buffer.concat([
        original.subarray(0, cut(d.at)),
        Buffer.from(d.text),
        original.subarray(cut(d.at)),
      ]);
    case 'bytes':
      return Buffer.concat([
        original.subarray(0, cut(d.at)),
        Buffer.from(d.bytes),
        original.subarray(cut(d.at) + d.bytes.length),
      ]);
    case 'delete':
      return undefined;
    case 'yaml':
      return Buffer.from(stringify(d.value));
    case 'gzip-garbage':
      return Buffer.from(d.bytes);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

describe('property: the scenario reader', function () {
  this.timeout(600_000);
  let pristine: Record<FileName, Buffer>;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'oom-prop-scenario-'));
    const seedDir = join(root, 'seed');
    await writeScenario(seedDir, seedIncident());
    const at = Date.parse('2026-11-24T09:30:00Z') / 1000;
    const metrics = gunzipSync(readFileSync(join(seedDir, 'metrics.om.gz'))).toString('utf8');
    pristine = {
      'scenario.yaml': readFileSync(join(seedDir, 'scenario.yaml')),
      'cluster.yaml': readFileSync(join(seedDir, 'cluster.yaml')),
      'metrics.om': Buffer.from(recentMetrics(metrics, at, 2 * 3600)),
    };
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads a damaged folder or names the file that is unreadable; what it reads, it diagnoses or refuses with a code', async () => {
    const outcomes = { read: 0, unreadable: 0, diagnosed: 0, refusedWithCode: 0 };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILES), damage, async (file, d) => {
        const dir = join(root, `run-${n++}`);
        mkdirSync(dir);
        for (const name of FILES) {
          const bytes = name === file ? damaged(pristine[name], d) : pristine[name];
          const target =
            name === 'metrics.om' && d.kind === 'gzip-garbage' && file === name ? 'metrics.om.gz' : name;
          if (bytes !== undefined) writeFileSync(join(dir, target), bytes, { flag: 'w' });
        }
        try {
          let scenario: Awaited<ReturnType<typeof readScenario>>;
          try {
            scenario = await withTimeout(readScenario(dir), 20_000, 'readScenario');
          } catch (error) {
            assert.ok(error instanceof OomBotError, `not a coded error: ${String(error)}`);
            assert.equal(error.code, 'scenario_unreadable');
            assert.match(
              error.userMessage,
              /^cannot read scenario file .*(scenario\.yaml|cluster\.yaml|metrics\.om(\.gz)?)(:\d+)?: ./,
            );
            outcomes.unreadable++;
            return;
          }
          outcomes.read++;
          try {
            await withTimeout(
              diagnoseWorkload(
                { cluster: scenario.cluster, metrics: scenario.metrics },
                {
                  name: scenario.meta.request.service,
                  namespace: scenario.meta.request.namespace,
                  at: scenario.at,
                },
              ),
              20_000,
              'the diagnosis',
            );
            outcomes.diagnosed++;
          } catch (error) {
            assert.ok(
              error instanceof OomBotError,
              `the diagnosis threw an uncoded error: ${(error as Error)?.stack ?? String(error)}`,
            );
            outcomes.refusedWithCode++;
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: propertyRuns(100, 1000), seed: propertySeed() },
    );
    report('property-scenario-reader', {
      inputs: propertyRuns(100, 1000),
      ...outcomes,
      crashes: 0,
      hangs: 0,
    });
    assert.ok(outcomes.read > 0 && outcomes.unreadable > 0, JSON.stringify(outcomes));
  });
});
