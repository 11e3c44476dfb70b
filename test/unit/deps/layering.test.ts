/**
 * The dependency rules (.dependency-cruiser.cjs) catch what they promise: a small tree that keeps
 * the layering passes, and each deliberately wrong import added to it fails the named rule.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

const config = createRequire(import.meta.url)('../../../.dependency-cruiser.cjs') as IConfiguration;

/** A tree in the shape of src/ whose imports all point down. */
const LAYERED: Record<string, string> = {
  'src/errors.ts': 'export const E = 1;\n',
  'src/domain/types.ts': 'export type T = number;\n',
  'src/domain/diagnose.ts': "import type { T } from './types.ts';\nexport const d = (t: T) => t;\n",
  'src/sources/cluster.ts':
    "import { E } from '../errors.ts';\nimport { d } from '../domain/diagnose.ts';\nexport const c = d(E);\n",
  'src/jobs/payloads.ts': "import type { T } from '../domain/types.ts';\nexport type P = { t: T };\n",
  'src/incidents/store.ts': "import type { P } from '../jobs/payloads.ts';\nexport const s = (p: P) => p;\n",
  'src/slack/poster.ts': "import { c } from '../sources/cluster.ts';\nexport const post = () => c;\n",
  'src/jobs/diagnose-processor.ts':
    "import { s } from '../incidents/store.ts';\nimport { post } from '../slack/poster.ts';\nexport const run = () => [s, post];\n",
  'src/main.ts': "import { run } from './jobs/diagnose-processor.ts';\nrun();\n",
};

async function violationsOf(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'oom-bot-deps-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const { output } = await cruise(['src'], {
      ...config.options,
      ruleSet: { forbidden: config.forbidden },
      baseDir: dir,
      validate: true,
    });
    const result = output as ICruiseResult;
    return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The layered tree with `path` added or replaced. */
function withFile(path: string, text: string): Record<string, string> {
  return { ...LAYERED, [path]: text };
}

describe('dependency rules', function () {
  this.timeout(60_000);

  it('pass a tree whose imports point down', async () => {
    assert.deepEqual(await violationsOf(LAYERED), []);
  });

  it('fail the domain importing a feature', async () => {
    const found = await violationsOf(
      withFile(
        'src/domain/diagnose.ts',
        "import { post } from '../slack/poster.ts';\nexport const d = post;\n",
      ),
    );
    assert.ok(
      found.includes('domain-is-pure: src/domain/diagnose.ts -> src/slack/poster.ts'),
      found.join('\n'),
    );
  });

  it('fail a source importing incidents, jobs or slack', async () => {
    const found = await violationsOf(
      withFile('src/sources/cluster.ts', "import { s } from '../incidents/store.ts';\nexport const c = s;\n"),
    );
    assert.ok(
      found.includes('sources-below-features: src/sources/cluster.ts -> src/incidents/store.ts'),
      found.join('\n'),
    );
  });

  it('fail an import cycle', async () => {
    const found = await violationsOf(
      withFile(
        'src/domain/types.ts',
        "import { d } from './diagnose.ts';\nexport type T = number;\nexport const x = d;\n",
      ),
    );
    assert.ok(
      found.some((v) => v.startsWith('no-circular: src/domain/')),
      found.join('\n'),
    );
  });

  it('fail a module below the processors importing one, and a payload importing a feature', async () => {
    const found = await violationsOf({
      ...withFile(
        'src/incidents/store.ts',
        "import { run } from '../jobs/diagnose-processor.ts';\nexport const s = run;\n",
      ),
      'src/jobs/payloads.ts': "import { post } from '../slack/poster.ts';\nexport type P = typeof post;\n",
    });
    assert.ok(
      found.includes(
        'only-job-plumbing-from-below: src/incidents/store.ts -> src/jobs/diagnose-processor.ts',
      ),
      found.join('\n'),
    );
    assert.ok(
      found.includes('payloads-are-a-leaf: src/jobs/payloads.ts -> src/slack/poster.ts'),
      found.join('\n'),
    );
  });
});
