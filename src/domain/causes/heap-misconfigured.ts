/** heap_misconfigured: the runtime's own heap ceiling leaves no room for its non-heap memory under the limit. */
import type { Features } from '../feature-types.ts';
import { bytes, pct } from '../format.ts';
import { NON_HEAP_SHARE } from '../heap.ts';
import type { CauseAssessment } from '../types.ts';

export function assessHeapMisconfigured(f: Features): CauseAssessment {
  const limit = f.limitBytes;
  const setting = f.heap.filter((h) => h.ceilingBytes !== undefined).at(-1);
  if (!setting || !limit) {
    const reason = !limit
      ? 'the container has no memory limit to compare with'
      : f.runtime
        ? `no heap ceiling set for the ${f.runtime} runtime (its default sizes itself from the limit)`
        : 'no runtime heap setting (-Xmx, MaxRAMPercentage, --max-old-space-size, GOMEMLIMIT) in env or args';
    return { cause: 'heap_misconfigured', score: 0, evidence: [], reason };
  }
  const ceiling = setting.ceilingBytes as number;
  const share = ceiling / limit;
  const room = 1 - NON_HEAP_SHARE[setting.runtime];
  const line = `${setting.source}: ${setting.flag} sets a ${bytes(ceiling)} heap ceiling, ${pct(share)} of the ${bytes(limit)} limit`;
  if (share < room) {
    return {
      cause: 'heap_misconfigured',
      score: 0,
      evidence: [],
      reason: `${setting.flag} is ${pct(share)} of the limit: room is left for non-heap memory`,
    };
  }
  const kills = f.oomKills.length;
  let score = share >= 1 ? 0.95 : share >= room + 0.05 ? 0.85 : 0.6;
  const evidence = [line];
  if (share >= 1)
    evidence.push(
      'the runtime is allowed more heap than the container may use: the kernel kills it before the runtime collects',
    );
  else
    evidence.push(
      `non-heap memory (threads, metaspace, buffers: about ${pct(NON_HEAP_SHARE[setting.runtime])} of the limit) does not fit beside it`,
    );
  if (kills === 0) score *= 0.3;
  else if (f.usageAtKillShare !== undefined)
    evidence.push(`working set at the kills: ${pct(f.usageAtKillShare)} of the limit`);
  return {
    cause: 'heap_misconfigured',
    score,
    evidence,
    reason: kills === 0 ? 'no OOM kills yet, but the setting is unsafe' : '',
  };
}
