/**
 * Runtime heap settings (JVM, Node.js, Go) in the main container's env or args: safe ones that
 * stay under the limit, and misconfigured ones whose heap ceiling reaches or passes it.
 */
import type { Random } from './random.ts';
import { MI, roundTo } from './shared.ts';
import type { RuntimeSetup, World } from './world.ts';

function javaSize(bytes: number, r: Random): string {
  const mb = Math.round(bytes / MI);
  if (mb % 1024 === 0 && r.chance(0.6)) return `${mb / 1024}${r.pick(['g', 'G'])}`;
  return `${mb}${r.pick(['m', 'm', 'M'])}`;
}

function goSize(bytes: number, r: Random): string {
  const mb = Math.round(bytes / MI);
  if (mb % 1024 === 0 && r.chance(0.7)) return `${mb / 1024}GiB`;
  if (r.chance(0.15)) return String(mb * MI);
  return `${mb}MiB`;
}

export function makeSafeRuntime(w: World, r: Random): RuntimeSetup {
  const L = w.L;
  const rt = w.spec.runtime;
  if (rt === 'none' || r.chance(0.25)) return { env: [] };
  if (rt === 'jvm') {
    const envName = r.pick(['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JAVA_TOOL_OPTIONS']);
    if (r.chance(0.3)) {
      const pct = r.pick([50, 60, 65, 70]);
      return {
        env: [{ name: envName, value: `-XX:MaxRAMPercentage=${pct}.0 -XX:+UseG1GC` }],
        heapCeiling: (L * pct) / 100,
      };
    }
    const xmx = roundTo(L * r.float(0.5, 0.72), 32 * MI);
    const xms = roundTo(Math.min(xmx, L * 0.25), 32 * MI);
    return {
      env: [{ name: envName, value: `-Xms${javaSize(xms, r)} -Xmx${javaSize(xmx, r)} -XX:+UseG1GC` }],
      heapCeiling: xmx,
    };
  }
  if (rt === 'node') {
    const mb = Math.round((L * r.float(0.5, 0.72)) / MI);
    return { env: [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${mb}` }], heapCeiling: mb * MI };
  }
  const lim = roundTo(L * r.float(0.7, 0.85), 16 * MI);
  return { env: [{ name: 'GOMEMLIMIT', value: goSize(lim, r) }], heapCeiling: lim };
}

export function makeBadRuntime(w: World, r: Random, ceiling: number): RuntimeSetup {
  const rt = w.spec.runtime;
  const variant = w.spec.variant;
  if (rt === 'jvm') {
    const envName = r.pick(['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS']);
    if (variant === 'percentage') {
      const pct = Math.round((ceiling / w.L) * 100);
      const flag = `-XX:MaxRAMPercentage=${pct}.0`;
      return {
        env: [{ name: envName, value: `${flag} -XX:+UseG1GC` }],
        heapCeiling: (w.L * pct) / 100,
        flag,
      };
    }
    const flag = `-Xmx${javaSize(ceiling, r)}`;
    const xms = `-Xms${javaSize(roundTo(Math.min(ceiling, w.L) * 0.25, 32 * MI), r)}`;
    if (variant === 'args') {
      return {
        env: [],
        command: ['java'],
        args: [xms, flag, '-XX:+UseG1GC', '-jar', '/app/app.jar'],
        heapCeiling: ceiling,
        flag,
      };
    }
    return { env: [{ name: envName, value: `${xms} ${flag} -XX:+UseG1GC` }], heapCeiling: ceiling, flag };
  }
  if (rt === 'node') {
    const mb = Math.round(ceiling / MI);
    const flag = `--max-old-space-size=${mb}`;
    if (variant === 'args') {
      return { env: [], command: ['node'], args: [flag, 'dist/server.js'], heapCeiling: mb * MI, flag };
    }
    const value = r.chance(0.4) ? `--enable-source-maps ${flag}` : flag;
    return { env: [{ name: 'NODE_OPTIONS', value }], heapCeiling: mb * MI, flag };
  }
  const value = goSize(ceiling, r);
  const env = [{ name: 'GOMEMLIMIT', value }];
  if (r.chance(0.6)) env.push({ name: 'GOGC', value: 'off' });
  return { env, heapCeiling: ceiling, flag: `GOMEMLIMIT=${value}` };
}
