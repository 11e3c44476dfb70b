/**
 * `npm run build`: compiles src/ to dist/ (tsconfig.build.json) and copies the files src/ reads
 * at run time that are not TypeScript (the Lua scripts, the demo incident). `node dist/cli.js`
 * then behaves as `node src/cli.ts`; the image runs it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

function compile(): void {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}

function copyAssets(): void {
  cpSync(join(ROOT, 'src'), DIST, { recursive: true, filter: (path) => !path.endsWith('.ts') });
}

compile();
copyAssets();
