/**
 * native_memory: the runtime's heap ceiling fits well under the limit, yet the container is
 * killed at the limit: the memory that killed it is outside the heap (JVM direct buffers,
 * metaspace, thread stacks; Node buffers outside V8; glibc malloc arenas).
 */
import type { Features } from '../feature-types.ts';
import { bytes, pct } from '../format.ts';
import { effectiveCeiling, type HeapSetting, NON_HEAP_SHARE, plausibleFootprint } from '../heap.ts';
import { median } from '../series.ts';
import type { CauseAssessment } from '../types.ts';

/** A ceiling at or below this share of the limit is "well under" it. */
const WELL_UNDER_SHARE = 0.45;
/** The working set must pass heap + usual non-heap by at least this share of the limit. */
const EXCESS_SHARE = 0.2;

interface NativeGap {
  setting: HeapSetting;
  ceilingBytes: number;
  /** Ceiling / limit. */
  share: number;
  /** Heap plus the runtime's usual non-heap memory. */
  plausibleBytes: number;
  /** Highest working set seen. */
  peakBytes: number;
  /** Working set beyond what heap + usual non-heap could hold, as a share of the limit. */
  excessShare: number;
  /** The ceiling is well under the limit and the working set sits far above it. */
  strong: boolean;
}

/** How far the working set sits above any heap the runtime could hold; undefined without a ceiling. */
export function measureNativeGap(f: Features): NativeGap | undefined {
  const limit = f.limitBytes;
  const setting = effectiveCeiling(f.heap);
  if (!limit || !setting || f.peakBytes === undefined) return undefined;
  const ceiling = setting.ceilingBytes as number;
  const share = ceiling / limit;
  if (share >= 1 - NON_HEAP_SHARE[setting.runtime]) return undefined;
  const plausible = plausibleFootprint(setting, limit);
  const excessShare = (f.peakBytes - plausible) / limit;
  const killedAtLimit = f.usageAtKillShare === undefined || f.usageAtKillShare >= 0.8;
  return {
    setting,
    ceilingBytes: ceiling,
    share,
    plausibleBytes: plausible,
    peakBytes: f.peakBytes,
    excessShare,
    strong:
      share <= WELL_UNDER_SHARE && excessShare >= EXCESS_SHARE && killedAtLimit && f.oomKills.length > 0,
  };
}

function describeGrowth(f: Features, ceilingBytes: number): string {
  const leaky = f.trends.filter((t) => t.leaky);
  if (leaky.length === 0) return 'the footprint outside the heap is steady, not climbing';
  const slope = median(leaky.map((t) => t.slopeBytesPerSecond));
  return `memory climbs ${bytes(slope * 3600)}/h in ${leaky.length} of ${f.trends.length} lifetime(s) past a heap that cannot grow beyond ${bytes(ceilingBytes)}: what grows is outside the heap`;
}

export function assessNativeMemory(f: Features): CauseAssessment {
  const gap = measureNativeGap(f);
  if (!gap) {
    const reason = !effectiveCeiling(f.heap)
      ? 'no heap ceiling set: the heap and native memory cannot be told apart'
      : 'the heap ceiling leaves no room under the limit (a heap setting problem, not native memory)';
    return { cause: 'native_memory', score: 0, evidence: [], reason };
  }
  const limit = f.limitBytes as number;
  if (f.oomKills.length === 0)
    return { cause: 'native_memory', score: 0, evidence: [], reason: 'no OOM kills in the window' };
  if (gap.excessShare < EXCESS_SHARE / 2) {
    return {
      cause: 'native_memory',
      score: 0.05,
      evidence: [],
      reason: `the working set (peak ${bytes(gap.peakBytes)}) stays within the ${bytes(gap.ceilingBytes)} heap plus usual non-heap memory`,
    };
  }
  let score = gap.strong ? 0.9 : gap.share <= 0.55 && gap.excessShare >= EXCESS_SHARE ? 0.45 : 0.15;
  if (gap.setting.runtime === 'go') score *= 0.8; // GOMEMLIMIT is soft: the Go heap may pass it
  const evidence = [
    `${gap.setting.source}: ${gap.setting.flag} caps the ${gap.setting.runtime} heap at ${bytes(gap.ceilingBytes)}, ${pct(gap.share)} of the ${bytes(limit)} limit: a gap of ${bytes(limit - gap.ceilingBytes)}`,
    `working set peaked at ${bytes(gap.peakBytes)}, ${bytes(gap.peakBytes - gap.ceilingBytes)} above the heap ceiling and ${bytes(gap.peakBytes - gap.plausibleBytes)} beyond heap plus usual non-heap memory (${bytes(gap.plausibleBytes)})`,
    describeGrowth(f, gap.ceilingBytes),
  ];
  if (f.usageAtKillShare !== undefined)
    evidence.push(
      `working set at the kills: ${pct(f.usageAtKillShare)} of the limit, with the heap at most ${pct(gap.share)}`,
    );
  const reason = gap.strong
    ? ''
    : `the heap ceiling is ${pct(gap.share)} of the limit: room enough that native memory is not clearly what fills it`;
  return { cause: 'native_memory', score, evidence, reason };
}
