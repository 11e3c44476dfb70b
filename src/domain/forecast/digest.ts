/**
 * What a scheduled scan has to say: the risks that are new or got worse since the last scan.
 * A risk got worse when its kind is more urgent than before, or when its next kill is now
 * expected much sooner than the last scan's time, run down by the time since, predicted. Pure.
 */
import { urgencySeconds } from './rank.ts';
import type { Risk, RiskKind, RiskTarget } from './types.ts';

/** What the last scan saw of one container. */
export interface SeenRisk {
  risk: RiskKind;
  etaSeconds: number | null;
  at: number;
}

export type SeenRisks = Map<string, SeenRisk>;

/** More urgent kinds first (the order a kind change counts as worse). */
const SEVERITY: RiskKind[] = [
  'recent_kills',
  'heap_above_limit',
  'leak',
  'near_limit',
  'request_far_below_usage',
];

/** The next kill is this much sooner than expected: worse, not noise in the estimate. */
const SOONER_SHARE = 0.5;

export function riskKey(t: RiskTarget): string {
  return `${t.cluster ?? ''}/${t.namespace}/${t.workload.kind}/${t.workload.name}/${t.container}`;
}

function hasWorsened(seen: SeenRisk, now: Risk, at: number): boolean {
  if (SEVERITY.indexOf(now.risk) < SEVERITY.indexOf(seen.risk)) return true;
  if (now.risk !== seen.risk) return false;
  if (now.etaSeconds === null || seen.etaSeconds === null) return false;
  const expected = Math.max(0, seen.etaSeconds - (at - seen.at));
  return urgencySeconds(now) < SOONER_SHARE * expected;
}

interface DigestDiff {
  /** New or worse, ranked as the scan ranked them. */
  fresh: Risk[];
  /** What to remember for the next scan: every risk seen now (gone ones are forgotten). */
  next: SeenRisks;
}

/**
 * Compare a scan with what the last one saw. A risk reported once is remembered as first
 * reported, so a slow slide never reaches "worse" by small steps without being compared to it;
 * a risk that got worse is remembered as it is now.
 */
export function diffRisks(previous: SeenRisks, risks: Risk[], at: number): DigestDiff {
  const fresh: Risk[] = [];
  const next: SeenRisks = new Map();
  for (const r of risks) {
    const key = riskKey(r.target);
    const seen = previous.get(key);
    if (!seen || hasWorsened(seen, r, at)) {
      fresh.push(r);
      next.set(key, { risk: r.risk, etaSeconds: r.etaSeconds, at });
    } else {
      next.set(key, seen);
    }
  }
  return { fresh, next };
}
