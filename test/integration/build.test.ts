/**
 * The production build (`npm run build`, what the image runs): dist/cli.js must behave as the
 * TypeScript sources do, with the files src/ reads at run time (Lua scripts, the demo incident)
 * beside it, and no TypeScript left in it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BIN } from '../support/bot-process.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/node/bin/node');
const DIST = join(ROOT, 'dist');

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function output(program: string, args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  return (await run(program, args, { env, maxBuffer: 32 * 2 ** 20 })).stdout;
}

describe('the production build (dist/)', function () {
  this.timeout(120_000);

  before(async () => {
    await run(NODE, [join(ROOT, 'scripts/build.ts')]);
  });

  it('holds a JavaScript file for every source and every non-TypeScript file, and no TypeScript', () => {
    const sources = listFiles(join(ROOT, 'src')).map((f) => f.replace(/\.ts$/, '.js'));
    const built = listFiles(DIST);
    assert.deepEqual(built, sources);
    assert.deepEqual(
      built.filter((f) => f.endsWith('.ts')),
      [],
    );
  });

  it('diagnoses the demo incident exactly as the sources do', async () => {
    const args = [
      'diagnose',
      'auth-service',
      '--scenario',
      join(ROOT, 'src/demo/auth-service'),
      '--output',
      'json',
    ];
    const fromSources = await output(BIN, args);
    const fromBuild = await output(NODE, [join(DIST, 'cli.js'), ...args]);
    assert.equal(JSON.parse(fromSources).cause, 'traffic_surge', 'the seed incident is a traffic surge');
    assert.equal(fromBuild, fromSources);
  });
});
