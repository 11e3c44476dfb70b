/**
 * The remediation job: runs one approved (already atomically consumed) button action against
 * the cluster and writes the audit trail in the incident's thread: the approval, the dry run,
 * the result, the rollout, and, after the verification window, whether the kills stopped.
 */
import { stringify as toYaml } from 'yaml';
import { describeError, OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  type ApplyOutcome,
  applyMemoryChange,
  killsSinceChange,
  type MemoryChange,
  previewMemoryChange,
  watchRollout,
} from '../remediation/apply.ts';
import type { RemediationCluster } from '../remediation/cluster.ts';
import { createHpa } from '../remediation/hpa.ts';
import { changeAnnotations } from '../remediation/patch.ts';
import type { ChangeRecord, MemoryValues, PlanTarget, RemediationPlan } from '../remediation/plan.ts';
import { newRecordId, type PlanStore } from '../remediation/plan-store.ts';
import { actionName, type RemediationAction } from '../remediation/policy.ts';
import { createVpa } from '../remediation/vpa.ts';
import {
  renderApplied,
  renderApproved,
  renderConflict,
  renderCreated,
  renderDrift,
  renderDryRunOnly,
  renderFailure,
  renderGitOps,
  renderPreview,
  renderRollout,
  renderStillOoming,
  renderVerified,
  utc,
} from '../slack/blocks/remediation.ts';
import type { SlackMessage } from '../slack/blocks/types.ts';
import type { SlackPoster } from '../slack/poster.ts';
import type { DiagnoseJobData, RemediateJobData } from './payloads.ts';

export interface RemediateDeps {
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

/** The part of a BullMQ job the processor uses: testable without Redis. */
export interface RemediateJob {
  id?: string;
  data: RemediateJobData;
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

interface Thread {
  channel: string;
  threadTs: string;
}

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

export async function processRemediate(job: RemediateJob, deps: RemediateDeps): Promise<RemediateResult> {
  const { data } = job;
  const log = deps.logger.child({ jobId: job.id, action: data.action, recordId: data.recordId });
  if (data.kind === 'verify') return verify(data, deps, log);
  if (data.action === 'rollback') return rollback(data, deps, log);

  const plan = await deps.plans.getPlan(data.recordId);
  if (!plan) {
    log.warn('plan is gone; nothing done');
    return 'gone';
  }
  const thread: Thread = { channel: plan.channel, threadTs: plan.threadTs };
  const post = (m: SlackMessage) => deps.slack.post(thread.channel, m, thread.threadTs);

  if (data.action !== 'preview') {
    // the web handler consumed the approval for this user; a job without one is refused
    const used = await deps.plans.consumption('plan', plan.id, data.action);
    if (used?.by !== data.user) {
      log.error({ used }, 'job without a matching consumed approval; refused');
      await post(
        renderFailure(data.action, 'no matching approval was recorded for this job; nothing was changed'),
      );
      return 'refused';
    }
  }
  await post(renderApproved(plan, data.action, data.user, data.clickedAt, deps.dryRunOnly));
  try {
    const cluster = deps.clusterFor(plan.cluster);
    switch (data.action) {
      case 'preview':
        return await preview(plan, data, cluster, post);
      case 'apply':
        return await apply(plan, data, cluster, deps, post);
      case 'create_vpa':
        return await createObject('VPA', plan, data, cluster, deps, post);
      case 'scale_out':
        return await createObject('HPA', plan, data, cluster, deps, post);
    }
  } catch (error) {
    return reportFailure(error, data.action, plan.incidentId, post, log);
  }
}

async function reportFailure(
  error: unknown,
  action: RemediationAction,
  incidentId: string,
  post: (m: SlackMessage) => Promise<string>,
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

async function preview(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  post: (m: SlackMessage) => Promise<string>,
): Promise<RemediateResult> {
  const outcome = await previewMemoryChange(cluster, memoryChangeOf(plan, {}));
  if (outcome.kind === 'drift') {
    await post(renderDrift(plan.target, outcome.reasons, plan.incidentId));
    return 'refused';
  }
  if (outcome.kind === 'dry_run_only') await post(renderPreview(plan, data.user, outcome.diff));
  return 'previewed';
}

/** Posts the outcome of an apply or a rollback; returns the change when one was written. */
async function reportOutcome(
  outcome: ApplyOutcome,
  c: Omit<ChangeRecord, 'previous' | 'applied' | 'generation'> & { to: MemoryValues },
  deps: RemediateDeps,
  post: (m: SlackMessage) => Promise<string>,
): Promise<ChangeRecord | RemediateResult> {
  switch (outcome.kind) {
    case 'drift':
      await post(renderDrift(c.target, outcome.reasons, c.incidentId));
      return 'refused';
    case 'gitops':
      await post(renderGitOps(outcome.owner, c.target, outcome.yaml));
      return 'refused';
    case 'dry_run_only':
      await post(
        renderDryRunOnly(
          `the patch of container \`${c.container}\` of ${c.target.kind.toLowerCase()}/${c.target.name}`,
          outcome.diff,
        ),
      );
      return 'dry_run';
    case 'applied': {
      const { to: _to, ...rest } = c;
      const change: ChangeRecord = {
        ...rest,
        previous: outcome.previous,
        applied: outcome.applied,
        ...(outcome.generation !== undefined ? { generation: outcome.generation } : {}),
      };
      await deps.plans.saveChange(change);
      const ts = await post(renderApplied(change, outcome.diff, { rolloutTimeoutMs: deps.rolloutTimeoutMs }));
      const posted = { ...change, messageTs: ts };
      await deps.plans.saveChange(posted);
      return posted;
    }
  }
}

async function watchAndReport(
  change: ChangeRecord,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: (m: SlackMessage) => Promise<string>,
  verify: boolean,
): Promise<boolean> {
  const state = await watchRollout(cluster, change.target, {
    timeoutMs: deps.rolloutTimeoutMs,
    intervalMs: deps.rolloutPollMs,
  });
  await post(renderRollout(change.target, state, verify && state.done ? deps.verifySeconds : undefined));
  return state.done;
}

async function apply(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: (m: SlackMessage) => Promise<string>,
): Promise<RemediateResult> {
  if (!plan.memory) throw new OomBotError('approval_refused', 'this plan has no memory change');
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
  if (await watchAndReport(result, cluster, deps, post, true)) {
    await deps.scheduleVerify(
      { kind: 'verify', action: 'apply', recordId: result.id, user: data.user, clickedAt: data.clickedAt },
      deps.verifySeconds * 1000,
    );
  }
  return 'applied';
}

async function rollback(data: RemediateJobData, deps: RemediateDeps, log: Logger): Promise<RemediateResult> {
  const original = await deps.plans.getChange(data.recordId);
  if (!original) {
    log.warn('change is gone; nothing done');
    return 'gone';
  }
  const thread: Thread = { channel: original.channel, threadTs: original.threadTs };
  const post = (m: SlackMessage) => deps.slack.post(thread.channel, m, thread.threadTs);
  const used = await deps.plans.consumption('change', original.id, 'rollback');
  if (used?.by !== data.user) {
    log.error({ used }, 'rollback job without a matching consumed approval; refused');
    await post(
      renderFailure('rollback', 'no matching approval was recorded for this job; nothing was changed'),
    );
    return 'refused';
  }
  await post({
    text: `Rollback approved by <@${data.user}> at ${utc(data.clickedAt)}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:white_check_mark: <@${data.user}> approved *${actionName('rollback')}* at ${utc(data.clickedAt)}${deps.dryRunOnly ? ' (dry-run mode: nothing will be written)' : ''}: restore container \`${original.container}\` of ${original.target.kind.toLowerCase()}/${original.target.name} in ${original.target.namespace} to memory limit ${original.previous.limit ?? 'unset'}, request ${original.previous.request ?? 'unset'} · incident ${original.incidentId}`,
        },
      },
    ],
  });
  try {
    const cluster = deps.clusterFor(original.cluster);
    const changeId = newRecordId();
    const at = Math.floor(deps.now());
    const annotations = changeAnnotations({
      changeId,
      action: 'rollback',
      container: original.container,
      previous: original.applied,
      applied: original.previous,
      approver: data.user,
      at,
      incidentId: original.incidentId,
    });
    const outcome = await applyMemoryChange(
      cluster,
      {
        target: original.target,
        container: original.container,
        expected: { generation: original.generation, memory: original.applied },
        to: original.previous,
        annotations,
      },
      { dryRunOnly: deps.dryRunOnly },
    );
    const result = await reportOutcome(
      outcome,
      {
        id: changeId,
        planId: original.planId,
        incidentId: original.incidentId,
        ...(original.cluster ? { cluster: original.cluster } : {}),
        channel: original.channel,
        threadTs: original.threadTs,
        target: original.target,
        container: original.container,
        to: original.previous,
        approver: data.user,
        appliedAt: at,
        expiresAt: at,
        rollbackOf: original.id,
      },
      deps,
      post,
    );
    if (typeof result === 'string') return result;
    await watchAndReport(result, cluster, deps, post, false);
    return 'rolled_back';
  } catch (error) {
    return reportFailure(error, 'rollback', original.incidentId, post, log);
  }
}

async function createObject(
  what: 'VPA' | 'HPA',
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: (m: SlackMessage) => Promise<string>,
): Promise<RemediateResult> {
  const annotations = creationAnnotations(plan, data.user, deps.now());
  const target: PlanTarget = plan.target;
  let created: Awaited<ReturnType<typeof createVpa>>;
  try {
    if (what === 'VPA') {
      if (!plan.vpa) throw new OomBotError('approval_refused', 'this plan has no VPA');
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

async function verify(data: RemediateJobData, deps: RemediateDeps, log: Logger): Promise<RemediateResult> {
  const change = await deps.plans.getChange(data.recordId);
  if (!change) {
    log.warn('change is gone; nothing to verify');
    return 'gone';
  }
  const post = (m: SlackMessage) => deps.slack.post(change.channel, m, change.threadTs);
  try {
    const kills = await killsSinceChange(
      deps.clusterFor(change.cluster),
      change.target,
      change.container,
      change.appliedAt,
    );
    if (kills.length === 0) {
      await post(renderVerified(change, Math.max(deps.verifySeconds, deps.now() - change.appliedAt)));
      return 'verified';
    }
    await post(renderStillOoming(change, kills));
    await deps.enqueueDiagnosis({
      request: {
        name: change.target.name,
        namespace: change.target.namespace,
        ...(change.cluster ? { cluster: change.cluster } : {}),
      },
      reply: { channel: change.channel, threadTs: change.threadTs },
      trigger: 'verification',
      requestedAt: deps.now(),
    });
    return 'still_ooming';
  } catch (error) {
    log.warn({ err: describeError(error) }, 'verification failed');
    await post(renderFailure('Verification', `could not read the pods: ${describeError(error)}`));
    return 'failed';
  }
}
