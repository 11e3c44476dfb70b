/**
 * The remediation job: runs one approved (already atomically consumed) button action against
 * the cluster and writes the audit trail in the incident's thread: the approval, the dry run,
 * the result, the rollout, and, after the verification window, whether the kills stopped.
 */
import { describeError } from '../errors.ts';
import type { RemediateJobData } from '../jobs/payloads.ts';
import type { Logger } from '../logger.ts';
import {
  renderApproved,
  renderFailure,
  renderStillOoming,
  renderVerified,
  utc,
} from '../slack/blocks/remediation.ts';
import type { SlackMessage } from '../slack/blocks/types.ts';
import { applyMemoryChange, killsSinceChange } from './apply.ts';
import { changeAnnotations } from './patch.ts';
import { newRecordId } from './plan-store.ts';
import { actionName } from './policy.ts';
import {
  apply,
  createObject,
  preview,
  type RemediateDeps,
  type RemediateResult,
  reportFailure,
  reportOutcome,
  watchAndReport,
} from './remediate-steps.ts';
import { rolloutUndo, undoRolloutUndo } from './rollout-undo.ts';

/** The part of a BullMQ job the processor uses: testable without Redis. */
export interface RemediateJob {
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
      case 'rollout_undo':
        return await rolloutUndo(plan, data, cluster, deps, post);
    }
  } catch (error) {
    return reportFailure(error, data.action, plan.incidentId, post, log);
  }
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
  if (original.template) return undoRolloutUndo(original, data, deps, post, log);
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
