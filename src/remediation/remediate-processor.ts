/**
 * The remediation job: runs one approved (already atomically consumed) button action against
 * the cluster and writes the audit trail in the incident's thread: the approval, the dry run,
 * the result, the rollout, and, after the verification window, whether the kills stopped.
 */

import { actionName } from '../contracts/remediation-actions.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RemediateJobData } from '../queues/payloads.ts';
import {
  renderApproved,
  renderFailure,
  renderStillOoming,
  renderVerified,
  utc,
} from '../render/blocks/remediation.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import { applyMemoryChange, killsSinceChange } from './apply.ts';
import { checkPlanJob, checkRollbackJob } from './execution-check.ts';
import { changeAnnotations } from './patch.ts';
import { type ClaimedThread, newRecordId } from './plan-store.ts';
import {
  apply,
  createObject,
  moveHpaWith,
  preview,
  type RemediateDeps,
  type RemediateResult,
  reportFailure,
  reportOutcome,
  watchAndReport,
} from './remediate-steps.ts';
import { rolloutUndo, undoRolloutUndo } from './rollout-undo.ts';
import { setVpaBounds, undoVpaBounds } from './vpa-policy.ts';

/** The part of a BullMQ job the processor uses: testable without Redis. */
interface RemediateJob {
  id?: string;
  data: RemediateJobData;
}

interface Thread {
  channel: string;
  threadTs: string;
}

export async function processRemediate(job: RemediateJob, deps: RemediateDeps): Promise<RemediateResult> {
  const { data } = job;
  const log = deps.logger.child({ jobId: job.id, action: data.action, recordId: data.recordId });
  if (data.kind === 'verify') return verify(data, deps, log);
  if (data.action === 'rollback') return rollback(data, deps, log);

  const loaded = await deps.plans.loadPlan(data.recordId);
  if (loaded.status === 'tampered') return refuseTampered(data, loaded.claimed, deps, log);
  if (loaded.status === 'missing') {
    log.warn('plan is gone; nothing done');
    return 'gone';
  }
  const plan = loaded.record;
  const thread: Thread = { channel: plan.channel, threadTs: plan.threadTs };
  const post = (m: SlackMessage) => deps.slack.post(thread.channel, m, thread.threadTs);

  // nothing from Redis is trusted as such: signatures, revocation, the policy, the namespaces
  const refusal = await checkPlanJob(plan, data.action, data.user, deps);
  if (refusal) return refuseJob(data, refusal, post, log);
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
      case 'rollout_undo':
        return await rolloutUndo(plan, data, cluster, deps, post);
      case 'vpa_policy':
        return await setVpaBounds(plan, data, cluster, deps, post);
    }
  } catch (error) {
    return reportFailure(error, data.action, plan.incidentId, post, log);
  }
}

/** Audit a refused job: one error log line and a note in the thread; nothing is applied. */
async function refuseJob(
  data: RemediateJobData,
  reason: string,
  post: (m: SlackMessage) => Promise<string>,
  log: Logger,
): Promise<RemediateResult> {
  log.error({ user: data.user, reason }, 'remediation job refused at execution; nothing applied');
  await post(renderFailure(data.action, `refused at execution: ${reason} Nothing was changed.`));
  return 'refused';
}

/** A record whose signature does not verify: audited where it claims its thread is, never run. */
async function refuseTampered(
  data: RemediateJobData,
  claimed: ClaimedThread,
  deps: RemediateDeps,
  log: Logger,
): Promise<RemediateResult> {
  const reason = `its ${data.action === 'rollback' ? 'change record' : 'plan'} in Redis fails signature verification (missing or wrong signature, or a field was altered); it was not written by oom-bot.`;
  log.error({ user: data.user, audit: 'record_tampered' }, `remediation job refused: ${reason}`);
  if (claimed.channel) {
    const note = renderFailure(data.action, `refused at execution: ${reason} Nothing was changed.`);
    await deps.slack.post(claimed.channel, note, claimed.threadTs).catch(() => undefined);
  }
  return 'refused';
}

async function rollback(data: RemediateJobData, deps: RemediateDeps, log: Logger): Promise<RemediateResult> {
  const loaded = await deps.plans.loadChange(data.recordId);
  if (loaded.status === 'tampered') return refuseTampered(data, loaded.claimed, deps, log);
  if (loaded.status === 'missing') {
    log.warn('change is gone; nothing done');
    return 'gone';
  }
  const original = loaded.record;
  const thread: Thread = { channel: original.channel, threadTs: original.threadTs };
  const post = (m: SlackMessage) => deps.slack.post(thread.channel, m, thread.threadTs);
  const refusal = await checkRollbackJob(original, data.user, deps);
  if (refusal) return refuseJob(data, refusal, post, log);
  if (original.template) return undoRolloutUndo(original, data, deps, post, log);
  if (original.vpaPolicy) return undoVpaBounds(original, data, deps, post, log);
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
    if (original.hpaMemoryTarget)
      await moveHpaWith(result, original.hpaMemoryTarget, 'back', cluster, deps, post);
    await watchAndReport(result, cluster, deps, post, false);
    return 'rolled_back';
  } catch (error) {
    return reportFailure(error, 'rollback', original.incidentId, post, log);
  }
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
