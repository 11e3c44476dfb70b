/**
 * native_memory against its neighbours: a heap ceiling well under the limit with the working set
 * far above it is native memory (direct buffers, arenas), not a leak, not a limit too low; a heap
 * set near or above the limit stays a heap problem, and a growing heap under a safe flag a leak.
 */
import assert from 'node:assert/strict';
import { diagnose } from '../../../src/domain/diagnose.ts';
import { toJsonReport } from '../../../src/report.ts';
import { AT, buildEvidence, GI, MI } from '../../support/evidence-builder.ts';

const H = 3600;
/** Linear growth in every lifetime from `from` to the 1Gi limit in `hours`. */
const climb = (from: number, hours: number) => (c: { age: number }) =>
  from + c.age * ((GI - from) / (hours * H));
/** Steady at 88% of 1Gi with a short spike over it every two hours. */
const spiky = (c: { t: number }) => ((c.t / 60) % 120 < 2 ? 1.12 * GI : 0.88 * GI);

describe('native_memory: memory outside the runtime heap', () => {
  it('a JVM with -Xmx at 30% of the limit and direct buffers growing is native memory, not a leak', () => {
    const d = diagnose(
      buildEvidence({
        limit: GI,
        env: { JAVA_TOOL_OPTIONS: '-Xms128m -Xmx300m -XX:+UseG1GC' },
        memory: climb(420 * MI, 5),
        traffic: () => 40,
      }),
    );
    assert.equal(d.cause, 'native_memory', JSON.stringify(d.ranking));
    assert.match(
      d.evidence.join('\n'),
      /-Xmx300m caps the jvm heap at 300Mi, 29% of the 1Gi limit: a gap of 724Mi/,
    );
    assert.match(d.evidence.join('\n'), /above the heap ceiling/);
    assert.match(d.evidence.join('\n'), /what grows is outside the heap/);
    const first = d.actions[0];
    assert.equal(first?.kind, 'fix_runtime_heap');
    assert.match(first?.title ?? '', /-XX:MaxDirectMemorySize=\d+m/);
    assert.match(first?.command ?? '', /MALLOC_ARENA_MAX=2/);
    assert.match(
      first?.command ?? '',
      /JAVA_TOOL_OPTIONS='-Xms128m -Xmx300m -XX:\+UseG1GC -XX:MaxDirectMemorySize=\d+m'/,
    );
    assert.equal(d.recommendation, undefined, 'growing native memory gets no bigger limit');
    assert.ok(!d.actions.some((a) => a.kind === 'patch_memory_limit'));
    const leak = d.rejected.find((r) => r.cause === 'memory_leak');
    assert.match(leak?.reason ?? '', /outside the heap/);
    assert.match(d.headline, /memory outside the heap/);
    assert.equal(toJsonReport(d).cause, 'native_memory');
  });

  it('a steady native footprint above a small heap offers the limit as well, after the flags', () => {
    const d = diagnose(
      buildEvidence({ limit: GI, env: { JAVA_OPTS: '-Xmx256m' }, memory: spiky, traffic: () => 50 }),
    );
    assert.equal(d.cause, 'native_memory', JSON.stringify(d.ranking));
    assert.match(d.evidence.join('\n'), /steady, not climbing/);
    assert.equal(d.actions[0]?.kind, 'fix_runtime_heap');
    const raise = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.ok(raise?.memoryPatch && raise.memoryPatch.limitBytes > GI, 'the limit is offered second');
    assert.match(d.rejected.find((r) => r.cause === 'limit_too_low')?.reason ?? '', /native/);
  });

  it('Node.js buffers outside a small V8 heap are native memory', () => {
    const d = diagnose(
      buildEvidence({
        limit: GI,
        env: { NODE_OPTIONS: '--max-old-space-size=256' },
        memory: climb(380 * MI, 6),
        traffic: () => 40,
      }),
    );
    assert.equal(d.cause, 'native_memory', JSON.stringify(d.ranking));
    assert.match(d.actions[0]?.detail ?? '', /outside the V8 heap/);
  });

  it('keeps heap_misconfigured when the heap ceiling is above the limit', () => {
    const d = diagnose(
      buildEvidence({
        limit: GI,
        env: { JAVA_TOOL_OPTIONS: '-Xmx2044m' },
        memory: climb(400 * MI, 2),
        traffic: () => 80,
      }),
    );
    assert.equal(d.cause, 'heap_misconfigured');
    assert.match(d.rejected.find((r) => r.cause === 'native_memory')?.reason ?? '', /no room/);
  });

  it('keeps memory_leak when the heap may hold most of the limit (a heap leak fits under it)', () => {
    const d = diagnose(
      buildEvidence({
        limit: GI,
        env: { JAVA_OPTS: '-Xmx720m' },
        memory: climb(200 * MI, 6),
        traffic: () => 40,
      }),
    );
    assert.equal(d.cause, 'memory_leak', JSON.stringify(d.ranking));
  });

  it('keeps limit_too_low without any heap setting', () => {
    const d = diagnose(buildEvidence({ limit: GI, memory: spiky, traffic: () => 50 }));
    assert.equal(d.cause, 'limit_too_low');
    assert.match(d.rejected.find((r) => r.cause === 'native_memory')?.reason ?? '', /no heap ceiling/);
  });

  it('does not fire without kills', () => {
    const d = diagnose(
      buildEvidence({ limit: GI, env: { JAVA_OPTS: '-Xmx256m' }, memory: () => 0.7 * GI, hours: 12 }),
    );
    assert.notEqual(d.cause, 'native_memory');
    assert.ok(d.at === AT);
  });
});

describe('an existing VPA', () => {
  const spiky512 = (c: { t: number }) => ((c.t / 60) % 120 < 2 ? 1.12 * 512 * MI : 0.86 * 512 * MI);

  it('in Auto mode: the limit patch says the VPA rewrites requests, and no second VPA is offered', () => {
    const e = buildEvidence({ memory: spiky512, traffic: () => 50 });
    e.vpa = { name: 'svc-vpa', mode: 'Auto' };
    const d = diagnose(e);
    assert.equal(d.cause, 'limit_too_low');
    const patch = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.match(patch?.detail ?? '', /VPA svc-vpa \(Auto\) rewrites requests at pod creation/);
    assert.ok(!d.actions.some((a) => a.kind === 'create_vpa'));
  });

  it('in Off mode: no warning, and still no second VPA', () => {
    const e = buildEvidence({ memory: spiky512, traffic: () => 50 });
    e.vpa = { name: 'svc-vpa', mode: 'Off' };
    const d = diagnose(e);
    assert.doesNotMatch(d.actions.find((a) => a.kind === 'patch_memory_limit')?.detail ?? '', /rewrites/);
    assert.ok(!d.actions.some((a) => a.kind === 'create_vpa'));
  });
});
