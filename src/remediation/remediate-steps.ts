/**
 * The steps of a remediation job, one per button: preview (dry run), apply of the memory change,
 * creation of the VPA or HPA, and what every change shares: posting its outcome, watching its
 * rollout, reporting a failure. The job shell (remediate-processor.ts) picks the step.
 */
import { stringify as toYaml } from 'yaml';
import type { DiffLine, GitOpsOwner } from '../contracts/object-diff.ts';
import type { ChangeRecord, MemoryValues, PlanTarget, RemediationPlan } from '../contracts/plan-types.ts';
import type { RemediationAction } from '../contracts/remediation-actions.ts';
import type { HpaMemoryTargetSpec } from '../domain/action-types.ts';
import { describeError, OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DiagnoseJobData, RemediateJobData } from '../queues/payloads.ts';
import { renderHpaTargetMoved } from '../render/blocks/autoscaler-changes.ts';
import {
  renderApplied,
  renderConflict,
  renderCreated,
  renderDrift,
  renderDryRunOnly,
  renderFailure,
  renderGitOps,
  renderPreview,
  renderRollout,
} from '../render/blocks/remediation.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import type { SlackPoster } from '../slack/poster.ts';
import {
  type ApplyOutcome,
  applyMemoryChange,
  type MemoryChange,
  previewMemoryChange,
  watchRollout,
} from './apply.ts';
import type { RemediationCluster } from './cluster.ts';
import type { ExecutionCheckDeps } from './execution-check.ts';
import { createHpa } from './hpa.ts';
import { hpaTargetDrift, moveHpaTarget } from './hpa-target.ts';
import { changeAnnotations } from './patch.ts';
import { newRecordId, type PlanStore } from './plan-store.ts';
import { createVpa } from './vpa.ts';

export interface RemediateDeps extends ExecutionCheckDeps {
  plans: PlanStore;
  clusterFor(cluster?: string): RemediationCluster;
  slack: SlackPoster;
  logger: Logger;
  /** Wall-clock epoch seconds. */
  now(): number;
  dryRunOnly: boolean;
  rolloutTimeoutMs: number;
  rolloutPollMs?: number;
  verifySeconds: number;
  /** How long a Rollback button works after the change. */
  buttonTtlSeconds: number;
  scheduleVerify(data: RemediateJobData, delayMs: number): Promise<void>;
  enqueueDiagnosis(data: DiagnoseJobData): Promise<string>;
}

export type RemediateResult =
  | 'previewed'
  | 'applied'
  | 'rolled_back'
  | 'created'
  | 'dry_run'
  | 'refused'
  | 'failed'
  | 'verified'
  | 'still_ooming'
  | 'gone';

/** Posts one message in the incident's thread; resolves to its ts. */
export type Post = (m: SlackMessage) => Promise<string>;

function objectYaml(obj: { metadata?: Record<string, unknown>; [key: string]: unknown }): string {
  const { status: _status, ...rest } = obj as Record<string, unknown>;
  const metadata = { ...((obj.metadata as Record<string, unknown> | undefined) ?? {}) };
  for (const k of ['managedFields', 'uid', 'resourceVersion', 'creationTimestamp', 'generation'])
    delete metadata[k];
  return toYaml({ ...rest, metadata });
}

function creationAnnotations(plan: RemediationPlan, user: string, at: number): Record<string, string> {
  return {
    'oom-bot/approved-by': user,
    'oom-bot/applied-at': new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'oom-bot/incident': plan.incidentId,
  };
}

export async function reportFailure(
  error: unknown,
  action: RemediationAction,
  incidentId: string,
  post: Post,
  log: Logger,
): Promise<RemediateResult> {
  log.warn({ err: describeError(error) }, `${action} failed`);
  if (error instanceof OomBotError && error.code === 'conflict' && error.details.conflict) {
    await post(renderConflict(error.userMessage, incidentId));
  } else {
    await post(renderFailure(action, describeError(error)));
  }
  return 'failed';
}

function memoryChangeOf(plan: RemediationPlan, annotations: Record<string, string>): MemoryChange {
  if (!plan.memory) throw new OomBotError('approval_refused', 'this plan has no memory change');
  return {
    target: plan.target,
    container: plan.container,
    expected: { generation: plan.snapshot.generation, memory: plan.snapshot.memory },
    to: plan.memory.to,
    annotations,
  };
}

export async function preview(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  post: Post,
): Promise<RemediateResult> {
  const outcome = await previewMemoryChange(cluster, memoryChangeOf(plan, {}));
  if (outcome.kind === 'drift') {
    await post(renderDrift(plan.target, outcome.reasons, plan.incidentId));
    return 'refused';
  }
  if (outcome.kind === 'dry_run_only') await post(renderPreview(plan, data.user, outcome.diff));
  return 'previewed';
}

/** The outcomes every write step shares, whatever it writes; `A` is its own "applied" outcome. */
type WriteOutcome<A extends { kind: 'applied'; diff: DiffLine[] }> =
  | A
  | { kind: 'dry_run_only'; diff: DiffLine[] }
  | { kind: 'gitops'; owner: GitOpsOwner; yaml: string }
  | { kind: 'drift'; reasons: string[] };

/** How one kind of change is reported: its target, its dry-run wording, its record and message. */
export interface OutcomeReport<A> {
  target: PlanTarget;
  incidentId: string;
  /** "the patch of container `app` of deployment/api", for the dry-run note. */
  what: string;
  /** The change record of a written outcome. */
  record(applied: A): ChangeRecord;
  /** The thread message of the written change (with its Rollback button). */
  render(change: ChangeRecord, diff: readonly DiffLine[]): SlackMessage;
}

/**
 * Posts the outcome of any write (drift, GitOps, dry run, or written); a written change is saved,
 * announced, and saved again with the ts of its message (its Rollback button's home).
 */
export async function reportWriteOutcome<A extends { kind: 'applied'; diff: DiffLine[] }>(
  outcome: WriteOutcome<A>,
  report: OutcomeReport<A>,
  deps: RemediateDeps,
  post: Post,
): Promise<ChangeRecord | RemediateResult> {
  switch (outcome.kind) {
    case 'drift':
      await post(renderDrift(report.target, outcome.reasons, report.incidentId));
      return 'refused';
    case 'gitops':
      await post(renderGitOps(outcome.owner, report.target, outcome.yaml));
      return 'refused';
    case 'dry_run_only':
      await post(renderDryRunOnly(report.what, outcome.diff));
      return 'dry_run';
    default: {
      const applied = outcome as A;
      const change = report.record(applied);
      await deps.plans.saveChange(change);
      const ts = await post(report.render(change, applied.diff));
      const posted = { ...change, messageTs: ts };
      await deps.plans.saveChange(posted);
      return posted;
    }
  }
}

/** Posts the outcome of an apply or a rollback; returns the change when one was written. */
export async function reportOutcome(
  outcome: ApplyOutcome,
  c: Omit<ChangeRecord, 'previous' | 'applied' | 'generation'> & { to: MemoryValues },
  deps: RemediateDeps,
  post: Post,
): Promise<ChangeRecord | RemediateResult> {
  const { to: _to, ...rest } = c;
  return reportWriteOutcome<Extract<ApplyOutcome, { kind: 'applied' }>>(
    outcome,
    {
      target: c.target,
      incidentId: c.incidentId,
      what: `the patch of container \`${c.container}\` of ${c.target.kind.toLowerCase()}/${c.target.name}`,
      record: (applied) => ({
        ...rest,
        previous: applied.previous,
        applied: applied.applied,
        ...(applied.generation !== undefined ? { generation: applied.generation } : {}),
      }),
      render: (change, diff) => renderApplied(change, diff, { rolloutTimeoutMs: deps.rolloutTimeoutMs }),
    },
    deps,
    post,
  );
}

export async function watchAndReport(
  change: ChangeRecord,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
  verify: boolean,
): Promise<boolean> {
  const state = await watchRollout(cluster, change.target, {
    timeoutMs: deps.rolloutTimeoutMs,
    intervalMs: deps.rolloutPollMs,
  });
  await post(renderRollout(change.target, state, verify && state.done ? deps.verifySeconds : undefined));
  return state.done;
}

export async function apply(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
): Promise<RemediateResult> {
  if (!plan.memory) throw new OomBotError('approval_refused', 'this plan has no memory change');
  const hpaTarget = plan.hpaMemoryTarget;
  if (hpaTarget) {
    // the HPA's target moves with the request: checked and dry-run before anything is written
    const reasons = await hpaTargetDrift(cluster, plan.target.namespace, hpaTarget, hpaTarget.fromPercent);
    if (reasons.length > 0) {
      await post(renderDrift(plan.target, reasons, plan.incidentId));
      return 'refused';
    }
    const move = { from: hpaTarget.fromPercent, to: hpaTarget.toPercent };
    await moveHpaTarget(cluster, plan.target.namespace, hpaTarget, move, { dryRunOnly: true });
  }
  const changeId = newRecordId();
  const at = Math.floor(deps.now());
  const annotations = changeAnnotations({
    changeId,
    action: 'apply',
    container: plan.container,
    previous: plan.snapshot.memory,
    applied: plan.memory.to,
    approver: data.user,
    at,
    incidentId: plan.incidentId,
  });
  const outcome = await applyMemoryChange(cluster, memoryChangeOf(plan, annotations), {
    dryRunOnly: deps.dryRunOnly,
  });
  const result = await reportOutcome(
    outcome,
    {
      id: changeId,
      planId: plan.id,
      incidentId: plan.incidentId,
      ...(plan.cluster ? { cluster: plan.cluster } : {}),
      channel: plan.channel,
      threadTs: plan.threadTs,
      target: plan.target,
      container: plan.container,
      to: plan.memory.to,
      approver: data.user,
      appliedAt: at,
      expiresAt: at + deps.buttonTtlSeconds + deps.verifySeconds + deps.rolloutTimeoutMs / 1000,
    },
    deps,
    post,
  );
  if (typeof result === 'string') return result;
  const change = hpaTarget ? await moveHpaWith(result, hpaTarget, 'forward', cluster, deps, post) : result;
  if (await watchAndReport(change, cluster, deps, post, true)) {
    await deps.scheduleVerify(
      { kind: 'verify', action: 'apply', recordId: change.id, user: data.user, clickedAt: data.clickedAt },
      deps.verifySeconds * 1000,
    );
  }
  return 'applied';
}

/**
 * Moves an HPA's memory target with a written memory change (forward) or its rollback (back),
 * and records it on the change so its Rollback moves it back. A failure is said in the thread:
 * the memory change stays written, with its Rollback button.
 */
export async function moveHpaWith(
  change: ChangeRecord,
  spec: HpaMemoryTargetSpec,
  direction: 'forward' | 'back',
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
): Promise<ChangeRecord> {
  const move =
    direction === 'forward'
      ? { from: spec.fromPercent, to: spec.toPercent }
      : { from: spec.toPercent, to: spec.fromPercent };
  try {
    await moveHpaTarget(cluster, change.target.namespace, spec, move, { dryRunOnly: false });
  } catch (error) {
    await post(
      renderFailure(
        direction === 'forward' ? 'apply' : 'rollback',
        `the memory change is written, but HPA ${spec.hpaName}'s memory target stayed at ${move.from}%: ${describeError(error)}`,
      ),
    );
    return change;
  }
  const moved = direction === 'forward' ? { ...change, hpaMemoryTarget: spec } : change;
  if (moved !== change) await deps.plans.saveChange(moved);
  await post(renderHpaTargetMoved(moved, spec.hpaName, move));
  return moved;
}

/** Create VPA never adds a second VPA beside one that already targets the workload, whatever its name. */
async function refuseSecondVpa(cluster: RemediationCluster, target: PlanTarget): Promise<void> {
  const existing = (await cluster.listVpas?.(target.namespace)) ?? [];
  const other = existing.find(
    (v) => v.spec?.targetRef?.kind === target.kind && v.spec?.targetRef?.name === target.name,
  );
  if (other) {
    throw new OomBotError(
      'approval_refused',
      `verticalpodautoscaler/${other.metadata?.name} already controls ${target.kind.toLowerCase()}/${target.name}; the bot never adds a second VPA`,
    );
  }
}

export async function createObject(
  what: 'VPA' | 'HPA',
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
): Promise<RemediateResult> {
  const annotations = creationAnnotations(plan, data.user, deps.now());
  const target: PlanTarget = plan.target;
  let created: Awaited<ReturnType<typeof createVpa>>;
  try {
    if (what === 'VPA') {
      if (!plan.vpa) throw new OomBotError('approval_refused', 'this plan has no VPA');
      await refuseSecondVpa(cluster, target);
      created = await createVpa(cluster, plan.vpa, target, annotations, { dryRunOnly: deps.dryRunOnly });
    } else {
      if (!plan.hpa) throw new OomBotError('approval_refused', 'this plan has no HPA');
      created = await createHpa(cluster, target, plan.hpa, annotations, { dryRunOnly: deps.dryRunOnly });
    }
  } catch (error) {
    if (error instanceof OomBotError && error.code === 'conflict') {
      throw new OomBotError(
        'conflict',
        `${what === 'HPA' ? 'an' : 'a'} ${what} named ${target.name} already exists in ${target.namespace}; the bot does not replace it`,
        { cause: error },
      );
    }
    throw error;
  }
  const yaml = objectYaml(created.object as never);
  if (created.dryRun) {
    await post(
      renderDryRunOnly(`the ${what} for ${target.kind.toLowerCase()}/${target.name}`, undefined, yaml),
    );
    return 'dry_run';
  }
  await post(renderCreated(what, data.user, yaml, target));
  return 'created';
}
