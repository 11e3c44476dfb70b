/**
 * Orders risks by urgency: the expected seconds to the next kill, and for risks without a
 * trend a nominal time that says how soon such a risk usually bites.
 */
import type { Risk, RiskKind } from './types.ts';

/** Without a trend: recent kills come back within hours; a heap over the limit at the next load peak. */
const NOMINAL_SECONDS: Record<RiskKind, number> = {
  recent_kills: 3600,
  heap_above_limit: 6 * 3600,
  leak: 24 * 3600,
  near_limit: 24 * 3600,
  request_far_below_usage: 48 * 3600,
};

const ORDER: RiskKind[] = [
  'recent_kills',
  'heap_above_limit',
  'leak',
  'near_limit',
  'request_far_below_usage',
];

export function urgencySeconds(r: Risk): number {
  return r.etaSeconds ?? NOMINAL_SECONDS[r.risk];
}

function nameOf(r: Risk): string {
  const t = r.target;
  return `${t.cluster ?? ''}/${t.namespace}/${t.workload.kind}/${t.workload.name}/${t.container}`;
}

/** Most urgent first; ties by kind, then by name so the order is stable. */
export function rankRisks(risks: Risk[]): Risk[] {
  return [...risks].sort(
    (a, b) =>
      urgencySeconds(a) - urgencySeconds(b) ||
      ORDER.indexOf(a.risk) - ORDER.indexOf(b.risk) ||
      nameOf(a).localeCompare(nameOf(b)),
  );
}
