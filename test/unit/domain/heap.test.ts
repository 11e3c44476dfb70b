import assert from 'node:assert/strict';
import { findHeapSettings } from '../../../src/domain/heap.ts';
import type { ContainerSpec } from '../../../src/domain/types.ts';

const MI = 2 ** 20;
const container = (over: Partial<ContainerSpec>): ContainerSpec => ({
  name: 'app',
  image: 'app:1',
  limitBytes: 1024 * MI,
  env: {},
  command: [],
  args: [],
  ...over,
});

describe('findHeapSettings: runtime heap ceilings from env and args', () => {
  const rows: Array<
    [
      string,
      Partial<ContainerSpec>,
      { runtime: string; ceiling: number | undefined; source: string } | undefined,
    ]
  > = [
    // -Xmx in JAVA_TOOL_OPTIONS, in megabytes.
    [
      'JAVA_TOOL_OPTIONS -Xmx',
      { env: { JAVA_TOOL_OPTIONS: '-Xms256m -Xmx2044m' } },
      { runtime: 'jvm', ceiling: 2044 * MI, source: 'JAVA_TOOL_OPTIONS' },
    ],
    // -Xmx in gigabytes, in JAVA_OPTS.
    [
      'JAVA_OPTS -Xmx1g',
      { env: { JAVA_OPTS: '-Xmx1g' } },
      { runtime: 'jvm', ceiling: 1024 * MI, source: 'JAVA_OPTS' },
    ],
    // MaxRAMPercentage is relative to the limit.
    [
      'MaxRAMPercentage',
      { env: { JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=90.0' } },
      { runtime: 'jvm', ceiling: Math.round(0.9 * 1024 * MI), source: 'JAVA_TOOL_OPTIONS' },
    ],
    // -Xmx in the container args.
    [
      'args -Xmx',
      { args: ['-jar', 'app.jar', '-Xmx900m'] },
      { runtime: 'jvm', ceiling: 900 * MI, source: 'args' },
    ],
    // Node's old-space size, in MiB.
    [
      'NODE_OPTIONS',
      { env: { NODE_OPTIONS: '--max-old-space-size=1536' } },
      { runtime: 'node', ceiling: 1536 * MI, source: 'NODE_OPTIONS' },
    ],
    // Node flag with a separate value in args.
    [
      'node args',
      { command: ['node'], args: ['--max-old-space-size', '768', 'server.js'] },
      { runtime: 'node', ceiling: 768 * MI, source: 'args' },
    ],
    // Go's soft limit.
    [
      'GOMEMLIMIT',
      { env: { GOMEMLIMIT: '1GiB' } },
      { runtime: 'go', ceiling: 1024 * MI, source: 'GOMEMLIMIT' },
    ],
    // GOMEMLIMIT=off is no ceiling.
    ['GOMEMLIMIT off', { env: { GOMEMLIMIT: 'off' } }, undefined],
    // Nothing set.
    ['nothing', {}, undefined],
  ];
  for (const [name, over, expected] of rows) {
    it(name, () => {
      const last = findHeapSettings(container(over)).at(-1);
      if (!expected) return assert.equal(last, undefined);
      assert.equal(last?.runtime, expected.runtime);
      assert.equal(last?.ceilingBytes, expected.ceiling);
      assert.equal(last?.source, expected.source);
    });
  }
});
