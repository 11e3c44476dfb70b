/**
 * deploy_regression: the kills began with a rollout whose new ReplicaSet needs more memory than
 * the old one at the same traffic, and the rollout changed the container's image or config.
 * Told apart from a traffic surge that came with the rollout (the footprint follows load), and
 * from a rollout that only lowered the limit (that is limit_too_low, the old limit named).
 */

import type { Action, RollbackTarget } from '../action-types.ts';
import { renderMemoryPatch, renderRollback, renderVerifyCommands } from '../commands.ts';
import type { Features } from '../feature-types.ts';
import { bytes, clock, pct, rate, ratio } from '../format.ts';
import { roundUpToTidy, toQuantity } from '../quantity.ts';
import { analyseRollout, onlyLoweredLimit, type RolloutAnalysis } from '../rollout.ts';
import type { CauseAssessment, Evidence, Revision, Target } from '../types.ts';

/** A step in the footprint below this is noise, not a regression. */
const MIN_STEP = 1.2;
/** Traffic this much higher after the rollout makes an unmatched comparison meaningless. */
const TRAFFIC_CHANGED = 1.3;

function low(score: number, reason: string): CauseAssessment {
  return { cause: 'deploy_regression', score, evidence: [], reason };
}

function describeRevision(rev: Revision, container: string): string {
  const image = rev.containers?.find((c) => c.name === container)?.image;
  return `revision ${rev.revision} (${rev.name}${image ? `, ${image}` : ''})`;
}

function describeChange(r: RolloutAnalysis, e: Evidence, container: string): string {
  return `rollout at ${clock(r.at, e.at)}: ${describeRevision(r.previous, container)} → ${describeRevision(r.current, container)}`;
}

function describeFootprint(r: RolloutAnalysis, container: string): string | undefined {
  const fp = r.footprint;
  if (!fp) return undefined;
  const band = fp.trafficBand;
  const where = band
    ? `at matched traffic (${rate(band.lo) === rate(band.hi) ? rate(band.lo) : `${rate(band.lo)}–${rate(band.hi)}`})`
    : r.trafficRatio === undefined
      ? '(no request rate to match traffic on)'
      : `(traffic ${ratio(r.trafficRatio)} of before, not matched)`;
  const sign = fp.step >= 1 ? '+' : '';
  return `settled footprint of ${container} ${where}: ${bytes(fp.beforeBytes)} in revision ${r.previous.revision}, ${bytes(fp.afterBytes)} in revision ${r.current.revision} (${sign}${pct(fp.step - 1)})`;
}

function describeWhatChanged(r: RolloutAnalysis, container: string): string {
  const parts: string[] = [];
  if (r.imageChanged) parts.push(`image of ${container}`);
  if (r.configChanged) parts.push(`env/args of ${container}`);
  if (r.otherImagesChanged.length > 0) parts.push(`image of ${r.otherImagesChanged.join(', ')}`);
  if (r.limitBefore !== r.limitAfter && r.limitBefore !== undefined && r.limitAfter !== undefined)
    parts.push(`limit ${bytes(r.limitBefore)} → ${bytes(r.limitAfter)}`);
  return parts.length > 0
    ? `the rollout changed: ${parts.join('; ')}`
    : 'the rollout changed nothing in the container';
}

/** How strongly the footprint step is the rollout's doing, 0..1. */
function measureStep(r: RolloutAnalysis): number {
  const fp = r.footprint;
  if (!fp || fp.step < MIN_STEP) return 0;
  return Math.min(1, (fp.step - 1.1) / 0.3);
}

export function assessDeployRegression(f: Features, e: Evidence): CauseAssessment {
  if (f.oomKills.length === 0) return low(0, 'no OOM kills in the window');
  const r = analyseRollout(f, e);
  if (!r) return low(0, 'no rollout with a known previous revision in the window');
  if (r.killsAfter === 0) return low(0.02, `every OOM kill came before the rollout at ${clock(r.at, e.at)}`);
  if (onlyLoweredLimit(r))
    return low(
      0.1,
      `the rollout at ${clock(r.at, e.at)} only lowered the limit from ${bytes(r.limitBefore ?? 0)} to ${bytes(r.limitAfter ?? 0)}`,
    );
  const changed = r.imageChanged || r.configChanged;
  if (!changed) return low(0.05, `${describeWhatChanged(r, f.container)} (a restart, not a new build)`);
  const fp = r.footprint;
  if (!fp) return low(0.15, 'too few samples on one side of the rollout to compare footprints');
  if (!fp.trafficBand && (r.trafficRatio ?? 1) >= TRAFFIC_CHANGED)
    return low(
      0.1,
      `traffic rose ${ratio(r.trafficRatio ?? 1)} with the rollout: the footprint follows load, not the new revision`,
    );
  const strength = measureStep(r);
  if (strength === 0)
    return low(
      0.1,
      `revision ${r.current.revision} settles at ${bytes(fp.afterBytes)} against ${bytes(fp.beforeBytes)} before (${ratio(fp.step)}): no step up`,
    );
  const timing = r.killsBefore === 0 ? 1 : r.killsAfter / (r.killsAfter + r.killsBefore) >= 0.8 ? 0.7 : 0.3;
  const score = Math.min(0.95, (0.6 + 0.35 * strength) * timing);
  const evidence = [
    describeChange(r, e, f.container),
    describeFootprint(r, f.container) as string,
    describeWhatChanged(r, f.container),
    `${r.killsAfter} of ${r.killsAfter + r.killsBefore} OOM kill(s) came after the rollout`,
  ];
  return { cause: 'deploy_regression', score, evidence, reason: '' };
}

/** For limit_too_low: name the old limit when the rollout lowered it. */
export function describeLoweredLimit(f: Features, e: Evidence): string[] {
  const r = analyseRollout(f, e);
  if (!r || !onlyLoweredLimit(r)) return [];
  return [
    `the rollout at ${clock(r.at, e.at)} lowered the limit of ${f.container} from ${bytes(r.limitBefore ?? 0)} to ${bytes(r.limitAfter ?? 0)}; the image and config did not change`,
  ];
}

/** What a rollback of the analysed rollout restores. */
export function toRollbackTarget(t: Target, r: RolloutAnalysis): RollbackTarget {
  return {
    workload: t.workload,
    rolloutAt: r.at,
    previous: {
      replicaSet: r.previous.name,
      revision: r.previous.revision,
      ...(r.previous.podTemplateHash ? { podTemplateHash: r.previous.podTemplateHash } : {}),
    },
    current: { replicaSet: r.current.name, revision: r.current.revision },
  };
}

/** Roll back first; a bigger limit only as a named stopgap. */
export function planRegressionActions(f: Features, e: Evidence): Action[] {
  const t = e.target;
  const r = analyseRollout(f, e);
  if (!r) return [];
  const rollbackTarget = toRollbackTarget(t, r);
  const image = r.before?.image;
  const actions: Action[] = [
    {
      kind: 'rollback_deploy',
      title: `Roll back to revision ${r.previous.revision}${image ? ` (${image})` : ''}`,
      detail: `revision ${r.current.revision} needs more memory at the same traffic; fix it before rolling forward`,
      command: `${renderRollback(t, rollbackTarget)} --to-revision=${r.previous.revision}\n${renderVerifyCommands(t)}`,
      rollbackTarget,
    },
  ];
  const after = Math.max(r.footprint?.afterBytes ?? 0, f.peakBytes ?? 0);
  if (after > 0 && f.limitBytes) {
    const limit = Math.max(roundUpToTidy(after * 1.3), f.limitBytes);
    const memoryPatch = {
      container: f.container,
      limitBytes: limit,
      requestBytes: Math.min(f.requestBytes ?? limit, limit),
    };
    actions.push({
      kind: 'patch_memory_limit',
      title: `Stopgap only, if a rollback is not possible: ${toQuantity(limit)} limit while revision ${r.current.revision} is fixed`,
      command: renderMemoryPatch(t, memoryPatch),
      memoryPatch,
    });
  }
  return actions;
}
