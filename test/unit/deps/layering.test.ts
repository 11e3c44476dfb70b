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
  'src/contracts/plan-types.ts':
    "import type { T } from '../domain/types.ts';\nexport type Plan = { t: T };\n",
  'src/render/blocks/remediation.ts':
    "import type { Plan } from '../../contracts/plan-types.ts';\nexport const render = (p: Plan) => p;\n",
  'src/queues/payloads.ts': "import type { T } from '../domain/types.ts';\nexport type P = { t: T };\n",
  'src/slack/poster.ts':
    "import { render } from '../render/blocks/remediation.ts';\nimport { c } from '../sources/cluster.ts';\nexport const post = () => [render, c];\n",
  'src/incidents/store.ts':
    "import type { P } from '../queues/payloads.ts';\nexport const s = (p: P) => p;\n",
  'src/remediation/planner.ts': "import { post } from '../slack/poster.ts';\nexport const plan = post;\n",
  'src/jobs/diagnose-processor.ts':
    "import { s } from '../incidents/store.ts';\nimport { plan } from '../remediation/planner.ts';\nexport const run = () => [s, plan];\n",
  'src/alerts/intake.ts': "import { s } from '../incidents/store.ts';\nexport const accept = s;\n",
  'src/slack-app.ts': "import { plan } from './remediation/planner.ts';\nexport const app = plan;\n",
  'src/main.ts':
    "import { run } from './jobs/diagnose-processor.ts';\nimport { accept } from './alerts/intake.ts';\nimport { app } from './slack-app.ts';\nrun();\nexport const m = [accept, app];\n",
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
      found.includes('no-upward-import: src/sources/cluster.ts -> src/incidents/store.ts'),
      found.join('\n'),
    );
  });

  it('fail each folder importing one above it, as the layer order says', async () => {
    const upward: Array<[string, string, string]> = [
      // [file, its new text, the module it wrongly imports]
      [
        'src/render/blocks/remediation.ts',
        "import { plan } from '../../remediation/planner.ts';\nexport const render = plan;\n",
        'src/remediation/planner.ts',
      ],
      [
        'src/incidents/store.ts',
        "import { run } from '../jobs/diagnose-processor.ts';\nexport const s = run;\n",
        'src/jobs/diagnose-processor.ts',
      ],
      [
        'src/contracts/plan-types.ts',
        "import { post } from '../slack/poster.ts';\nexport type Plan = typeof post;\n",
        'src/slack/poster.ts',
      ],
      [
        'src/remediation/planner.ts',
        "import { accept } from '../alerts/intake.ts';\nexport const plan = accept;\n",
        'src/alerts/intake.ts',
      ],
    ];
    for (const [file, text, target] of upward) {
      const found = await violationsOf(withFile(file, text));
      assert.ok(found.includes(`no-upward-import: ${file} -> ${target}`), `${file}:\n${found.join('\n')}`);
    }
  });

  it('fail an import between two units of the same layer', async () => {
    const found = await violationsOf(
      withFile(
        'src/alerts/intake.ts',
        "import { app } from '../slack-app.ts';\nexport const accept = app;\n",
      ),
    );
    assert.ok(found.includes('no-upward-import: src/alerts/intake.ts -> src/slack-app.ts'), found.join('\n'));
  });

  it('fail a folder that has no place in the layer order', async () => {
    const found = await violationsOf({
      ...withFile('src/main.ts', "import { w } from './widgets/w.ts';\nexport const m = w;\n"),
      'src/widgets/w.ts': "import { d } from '../domain/diagnose.ts';\nexport const w = d;\n",
    });
    assert.ok(found.includes('every-unit-has-a-layer: src/main.ts -> src/widgets/w.ts'), found.join('\n'));
    assert.ok(
      found.includes('every-unit-has-a-layer: src/widgets/w.ts -> src/domain/diagnose.ts'),
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

  it('fail a trigger running a processor itself, and a payload importing anything but plain data', async () => {
    const found = await violationsOf({
      ...withFile(
        'src/alerts/intake.ts',
        "import { run } from '../jobs/diagnose-processor.ts';\nexport const accept = run;\n",
      ),
      'src/queues/payloads.ts': "import { E } from '../errors.ts';\nexport type P = typeof E;\n",
    });
    assert.ok(
      found.includes('processors-from-entry-points: src/alerts/intake.ts -> src/jobs/diagnose-processor.ts'),
      found.join('\n'),
    );
    assert.ok(
      found.includes('payloads-are-a-leaf: src/queues/payloads.ts -> src/errors.ts'),
      found.join('\n'),
    );
  });
});
