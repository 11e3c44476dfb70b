/** Runtime heap ceilings parsed from a container's env and args, compared with its memory limit. */
import type { ContainerSpec } from './types.ts';

export type Runtime = 'jvm' | 'node' | 'go';

export interface HeapSetting {
  runtime: Runtime;
  /** The ceiling in bytes, resolved against the limit for percentages. */
  ceilingBytes?: number;
  /** The raw flag as written, e.g. "-Xmx2044m". */
  flag: string;
  /** Where it is set: an env var name, or "args". */
  source: string;
  /** For MaxRAMPercentage: the percentage. */
  percent?: number;
}

const JAVA_ENV = [
  'JAVA_TOOL_OPTIONS',
  'JAVA_OPTS',
  'JDK_JAVA_OPTIONS',
  '_JAVA_OPTIONS',
  'JVM_OPTS',
  'CATALINA_OPTS',
];

function parseJavaSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)$/.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const mult =
    unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : unit === 't' ? 2 ** 40 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** Go's GOMEMLIMIT syntax: a number with an optional B, KiB, MiB, GiB, TiB suffix. */
function parseGoSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB|TiB)?$/.exec(text.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
  return Math.round(Number(m[1]) * (mult[m[2] ?? 'B'] ?? 1));
}

function javaFlags(tokens: string[], source: string, limit: number | undefined): HeapSetting[] {
  const found: HeapSetting[] = [];
  for (const token of tokens) {
    const xmx = /^-Xmx(\S+)$/.exec(token) ?? /^-XX:MaxHeapSize=(\S+)$/.exec(token);
    if (xmx) {
      const bytes = parseJavaSize(xmx[1] ?? '');
      if (bytes !== undefined) found.push({ runtime: 'jvm', ceilingBytes: bytes, flag: token, source });
      continue;
    }
    const pct = /^-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)$/.exec(token);
    if (pct) {
      const percent = Number(pct[1]);
      found.push({
        runtime: 'jvm',
        percent,
        ceilingBytes: limit === undefined ? undefined : Math.round((limit * percent) / 100),
        flag: token,
        source,
      });
    }
  }
  return found;
}

function nodeFlags(tokens: string[], source: string): HeapSetting[] {
  const found: HeapSetting[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const m = /^--max-old-space-size(?:=(\d+))?$/.exec(token);
    if (!m) continue;
    const mb = m[1] ?? tokens[i + 1];
    if (mb !== undefined && /^\d+$/.test(mb)) {
      found.push({
        runtime: 'node',
        ceilingBytes: Number(mb) * 2 ** 20,
        flag: `--max-old-space-size=${mb}`,
        source,
      });
    }
  }
  return found;
}

function split(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** All heap settings of a container; the last one a runtime reads wins, so the last is listed last. */
export function findHeapSettings(container: ContainerSpec): HeapSetting[] {
  const limit = container.limitBytes;
  const settings: HeapSetting[] = [];
  for (const name of JAVA_ENV) {
    const value = container.env[name];
    if (value) settings.push(...javaFlags(split(value), name, limit));
  }
  const argv = [...container.command, ...container.args].flatMap(split);
  settings.push(...javaFlags(argv, 'args', limit));
  if (container.env.NODE_OPTIONS)
    settings.push(...nodeFlags(split(container.env.NODE_OPTIONS), 'NODE_OPTIONS'));
  settings.push(...nodeFlags(argv, 'args'));
  const goLimit = container.env.GOMEMLIMIT;
  if (goLimit && goLimit !== 'off') {
    settings.push({
      runtime: 'go',
      ceilingBytes: parseGoSize(goLimit),
      flag: `GOMEMLIMIT=${goLimit}`,
      source: 'GOMEMLIMIT',
    });
  }
  return settings;
}

/** The runtime a container most likely runs, from its heap flags or its image name. */
export function detectRuntime(container: ContainerSpec, settings: HeapSetting[]): Runtime | undefined {
  const fromFlags = settings[settings.length - 1]?.runtime;
  if (fromFlags) return fromFlags;
  const image = container.image.toLowerCase();
  if (/(openjdk|temurin|jre|jdk|java|corretto|spring|zulu)/.test(image)) return 'jvm';
  if (/(^|\/)node[:@-]|nodejs/.test(image)) return 'node';
  if (/golang|distroless\/static/.test(image)) return 'go';
  return undefined;
}

/** Share of the limit a runtime's non-heap memory needs: threads, metaspace, buffers, code. */
export const NON_HEAP_SHARE: Record<Runtime, number> = { jvm: 0.15, node: 0.12, go: 0.05 };

/** The setting to advise: about 75% of the limit for JVM and Node, 90% for Go's soft limit. */
export function adviseHeapFlag(runtime: Runtime, limitBytes: number): string {
  const mi = Math.floor((limitBytes * (runtime === 'go' ? 0.9 : 0.75)) / 2 ** 20);
  if (runtime === 'jvm') return `-Xmx${mi}m`;
  if (runtime === 'node') return `--max-old-space-size=${mi}`;
  return `GOMEMLIMIT=${mi}MiB`;
}

/** The ceiling the runtime reads last: the heap it could hold at most. */
export function effectiveCeiling(settings: HeapSetting[]): HeapSetting | undefined {
  return settings.filter((h) => h.ceilingBytes !== undefined).at(-1);
}

/**
 * The most a healthy runtime with this heap ceiling occupies: the heap plus its usual non-heap
 * memory (threads, metaspace, code, buffers), a share of the limit with a fixed floor.
 */
export function plausibleFootprint(setting: HeapSetting, limitBytes: number): number {
  const nonHeap = Math.max(NON_HEAP_SHARE[setting.runtime] * limitBytes, 96 * 2 ** 20);
  return (setting.ceilingBytes as number) + nonHeap;
}

/** The flags that bound a runtime's memory outside its heap, each with what it caps. */
export function adviseNativeFlags(runtime: Runtime, limitBytes: number, heapBytes: number): string[] {
  const spare = Math.max(64 * 2 ** 20, limitBytes - heapBytes - NON_HEAP_SHARE[runtime] * limitBytes);
  const directMi = Math.max(64, Math.floor((spare * 0.5) / 2 ** 20));
  if (runtime === 'jvm')
    return [
      `-XX:MaxDirectMemorySize=${directMi}m (caps NIO direct buffers; by default they may grow as large as the heap)`,
      '-XX:MaxMetaspaceSize=256m and -Xss512k (bound metaspace and thread stacks)',
      'MALLOC_ARENA_MAX=2 (glibc keeps one malloc arena per core otherwise)',
      '-XX:NativeMemoryTracking=summary to see which area grows (jcmd 1 VM.native_memory summary)',
    ];
  if (runtime === 'node')
    return [
      'Buffers and ArrayBuffers live outside the V8 heap: check process.memoryUsage().external and arrayBuffers',
      'MALLOC_ARENA_MAX=2 (glibc arenas for native add-ons and libuv threads)',
    ];
  return [
    'cgo and mmap memory is outside GOMEMLIMIT: check /sys/fs/cgroup/memory.stat anon against the Go heap',
    'MALLOC_ARENA_MAX=2 for cgo allocations',
  ];
}
