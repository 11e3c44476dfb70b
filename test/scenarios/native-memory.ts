/**
 * The native_memory family: a JVM or Node.js process whose heap ceiling sits well under the
 * limit (-Xmx or --max-old-space-size at 25-40% of it), killed at the limit all the same by
 * memory outside the heap: direct buffers growing in each lifetime, glibc arenas growing, or a
 * steady metaspace-and-threads footprint that leaves too little room.
 */
import type { Random } from './random.ts';
import { MI, roundTo } from './shared.ts';
import type { RuntimeSetup, World } from './world.ts';

export const NATIVE_VARIANTS = ['direct-buffers', 'arena-growth', 'steady-native'] as const;

/** A heap setting well under the limit, in the runtime's own syntax. */
export function makeNativeRuntime(w: World, r: Random): RuntimeSetup {
  const share = w.L <= 384 * MI ? r.float(0.22, 0.3) : r.float(0.25, 0.4);
  const ceiling = roundTo(w.L * share, 16 * MI);
  const mb = Math.round(ceiling / MI);
  if (w.spec.runtime === 'node') {
    const flag = `--max-old-space-size=${mb}`;
    return { env: [{ name: 'NODE_OPTIONS', value: flag }], heapCeiling: mb * MI, flag };
  }
  const envName = r.pick(['JAVA_TOOL_OPTIONS', 'JAVA_OPTS']);
  const flag = `-Xmx${mb}m`;
  const extra = w.spec.variant === 'direct-buffers' ? ' -Dio.netty.maxDirectMemory=0' : '';
  return {
    env: [{ name: envName, value: `-Xms${Math.round(mb / 2)}m ${flag} -XX:+UseG1GC${extra}` }],
    heapCeiling: mb * MI,
    flag,
  };
}

/** Whether the variant's native memory climbs in each lifetime (a bigger limit only delays the kill). */
export function nativeGrows(variant: string): boolean {
  return variant !== 'steady-native';
}

/** The older cause whose demand shape the variant borrows: a climb in each lifetime, or a steady level. */
export function nativeShape(variant: string): 'memory_leak' | 'limit_too_low' {
  return nativeGrows(variant) ? 'memory_leak' : 'limit_too_low';
}
