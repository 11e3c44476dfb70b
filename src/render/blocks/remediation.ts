/**
 * Pure renderers for the remediation workflow: the audit lines in the thread (who, what, when),
 * refusals, previews, the applied change with its Rollback button, GitOps patches, drift,
 * rollout and verification results. Every string from the cluster is escaped.
 */

import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { DiffLine, GitOpsOwner } from '../../contracts/object-diff.ts';
import { formatDiff } from '../../contracts/object-diff.ts';
import type { ChangeRecord, MemoryValues, PlanTarget, RemediationPlan } from '../../contracts/plan-types.ts';
import { actionName, type RemediationAction } from '../../contracts/remediation-actions.ts';
import { duration } from '../../domain/format.ts';
import { ACTION_IDS } from '../action-ids.ts';
import { fitMessage, LIMITS } from '../limits.ts';
import { codeBlock, escapeKeepingUserMentions, escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { button, section } from './builders.ts';
import type { SlackMessage } from './types.ts';

/** "2026-11-24 09:12:05 UTC" */
export function utc(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function message(text: string, blocks: KnownBlock[]): SlackMessage {
  // the notification text is mrkdwn too: reasons quote the cluster's answers
  return { text: truncate(escapeKeepingUserMentions(text), 3000), blocks: fitMessage(blocks) };
}

function rediagnoseBlock(incidentId: string): ActionsBlock {
  return { type: 'actions', elements: [button('Re-diagnose', ACTION_IDS.rediagnose, incidentId, 'primary')] };
}

export function workloadText(t: PlanTarget): string {
  return escapeMrkdwn(`${t.kind.toLowerCase()}/${t.name} in ${t.namespace}`);
}

function change(from: string | undefined, to: string | undefined): string {
  return `${from ?? 'unset'} → ${to ?? 'unset'}`;
}

function memoryChangeText(from: MemoryValues, to: MemoryValues): string {
  return `memory limit ${escapeMrkdwn(change(from.limit, to.limit))}, request ${escapeMrkdwn(change(from.request, to.request))}`;
}

/** "; HPA api's memory target 80% → 40%" when the Apply moves it with the request. */
function hpaTargetText(plan: RemediationPlan): string {
  const h = plan.hpaMemoryTarget;
  return h ? `; HPA ${escapeMrkdwn(h.hpaName)}'s memory target ${h.fromPercent}% → ${h.toPercent}%` : '';
}

/** What a button of this plan does, in one line. */
function describePlanAction(plan: RemediationPlan, action: RemediationAction): string {
  // approval messages name the cluster a change targets
  const where = `${workloadText(plan.target)}${plan.cluster ? ` on cluster ${escapeMrkdwn(plan.cluster)}` : ''}`;
  switch (action) {
    case 'apply':
    case 'preview':
      return plan.memory
        ? `container \`${escapeMrkdwn(plan.container)}\` of ${where}: ${memoryChangeText(plan.memory.from, plan.memory.to)}${hpaTargetText(plan)}`
        : where;
    case 'create_vpa': {
      // biome-ignore lint/suspicious/noExplicitAny: manifest JSON
      const mode = (plan.vpa as any)?.spec?.updatePolicy?.updateMode ?? 'Off';
      return `a VPA in ${escapeMrkdwn(String(mode))} mode for ${where}`;
    }
    case 'scale_out':
      return plan.hpa
        ? `an HPA for ${where}: ${plan.hpa.minReplicas}–${plan.hpa.maxReplicas} replicas at ${plan.hpa.cpuPercent}% CPU`
        : where;
    case 'rollback':
      return where;
    case 'rollout_undo':
      return plan.rollout
        ? `${where} back to revision ${plan.rollout.revision} (ReplicaSet ${escapeMrkdwn(plan.rollout.replicaSet)})`
        : where;
    case 'vpa_policy': {
      const p = plan.vpaPolicy;
      if (!p) return where;
      const from = `minAllowed ${p.from.minAllowed ?? 'unset'}, maxAllowed ${p.from.maxAllowed ?? 'unset'}`;
      const to = `minAllowed ${p.to.minAllowed ?? 'unset'}, maxAllowed ${p.to.maxAllowed ?? 'unset'}`;
      return `the memory bounds of container \`${escapeMrkdwn(p.container)}\` in verticalpodautoscaler/${escapeMrkdwn(p.vpa)} of ${where}: ${escapeMrkdwn(`${from} → ${to}`)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decisions

interface Refusal {
  action: RemediationAction;
  user: string;
  at: number;
  /** Why, in words for the clicker; may carry user mentions. */
  reason: string;
  /** Offer Re-diagnose (expired buttons, drift). */
  incidentId?: string;
}

/** The ephemeral answer to the clicker. */
export function renderRefusalEphemeral(r: Refusal): SlackMessage {
  const text = `:no_entry: *${actionName(r.action)}* was refused: ${escapeKeepingUserMentions(r.reason)} Nothing was changed.`;
  const blocks: KnownBlock[] = [section(text)];
  if (r.incidentId) blocks.push(rediagnoseBlock(r.incidentId));
  return message(`${actionName(r.action)} was refused: ${r.reason}`, blocks);
}

/** The audit line of a refusal in the thread. */
export function renderRefusalAudit(r: Refusal): SlackMessage {
  const text = `:no_entry: <@${r.user}> clicked *${actionName(r.action)}* at ${utc(r.at)}: refused, ${escapeKeepingUserMentions(r.reason)}`;
  return message(`${actionName(r.action)} by <@${r.user}> refused at ${utc(r.at)}`, [section(text)]);
}

/** The audit line of an approval in the thread. */
export function renderApproved(
  plan: RemediationPlan,
  action: RemediationAction,
  user: string,
  at: number,
  dryRunOnly: boolean,
): SlackMessage {
  const verb = action === 'preview' ? 'asked for a *Preview*' : `approved *${actionName(action)}*`;
  const mode = dryRunOnly && action !== 'preview' ? ' (dry-run mode: nothing will be written)' : '';
  const text = `:white_check_mark: <@${user}> ${verb} at ${utc(at)}${mode}: ${describePlanAction(plan, action)} · incident ${escapeMrkdwn(plan.incidentId)}`;
  return message(`${actionName(action)} approved by <@${user}> at ${utc(at)}`, [section(text)]);
}

// ---------------------------------------------------------------------------------------------
// Results

function diffBlock(diff: readonly DiffLine[]): KnownBlock {
  const text = formatDiff(diff) || '(no change)';
  return section(codeBlock(text, LIMITS.sectionText));
}

export function renderPreview(plan: RemediationPlan, user: string, diff: readonly DiffLine[]): SlackMessage {
  return message(`Preview of ${plan.target.kind}/${plan.target.name}: ${diff.length} field(s) would change`, [
    section(
      `:mag: *Preview* for <@${user}>: the server-side dry run (dryRun=All) of the patch to ${describePlanAction(plan, 'apply')}. Nothing was persisted; only these fields would change:`,
    ),
    diffBlock(diff),
  ]);
}

export function renderDryRunOnly(
  what: string,
  diff: readonly DiffLine[] | undefined,
  yaml?: string,
): SlackMessage {
  const blocks: KnownBlock[] = [
    section(
      `:test_tube: *Dry-run mode* (DRY_RUN_ONLY): the server-side dry run of ${what} passed, and nothing was written.`,
    ),
  ];
  if (diff) blocks.push(diffBlock(diff));
  if (yaml) blocks.push(section(codeBlock(yaml, LIMITS.sectionText)));
  return message(`Dry-run mode: ${what} was not written`, blocks);
}

export function renderApplied(
  c: ChangeRecord,
  diff: readonly DiffLine[],
  options: { rolloutTimeoutMs: number },
): SlackMessage {
  const verb = c.rollbackOf ? 'Rolled back' : 'Applied';
  const text = [
    `:wrench: *${verb}* by <@${c.approver}> at ${utc(c.appliedAt)}: container \`${escapeMrkdwn(c.container)}\` of ${workloadText(c.target)}, ${memoryChangeText(c.previous, c.applied)}.`,
    `Only that container's resources changed; its previous values are in the \`oom-bot/previous-memory\` annotation. Watching the rollout (up to ${duration(options.rolloutTimeoutMs / 1000)}).`,
  ].join('\n');
  const blocks: KnownBlock[] = [section(text), diffBlock(diff)];
  if (!c.rollbackOf) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          ...button('Rollback', ACTION_IDS.rollback, c.id, 'danger'),
          confirm: {
            title: { type: 'plain_text', text: 'Roll back this change?' },
            text: {
              type: 'plain_text',
              text: truncate(
                `Restore container ${c.container} of ${c.target.kind.toLowerCase()}/${c.target.name} to memory limit ${c.previous.limit ?? 'unset'}, request ${c.previous.request ?? 'unset'}. A dry run goes first.`,
                LIMITS.confirmText,
              ),
            },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  }
  return message(`${verb} ${c.target.kind}/${c.target.name}: ${c.container} memory`, blocks);
}

export function renderCreated(
  what: 'VPA' | 'HPA',
  user: string,
  yaml: string,
  target: PlanTarget,
): SlackMessage {
  return message(`${what} created for ${target.kind}/${target.name}`, [
    section(`:sparkles: *${what} created* for ${workloadText(target)} after <@${user}>'s approval:`),
    section(codeBlock(yaml, LIMITS.sectionText)),
  ]);
}

export function renderGitOps(owner: GitOpsOwner, target: PlanTarget, yaml: string): SlackMessage {
  return message(`${target.kind}/${target.name} is managed by ${owner.tool}: commit the patch instead`, [
    section(
      `:octopus: ${workloadText(target)} is managed by *${owner.tool}* (${escapeMrkdwn(owner.evidence)}), so the bot does not patch it behind ${owner.tool}'s back: ${owner.tool} would revert it. Nothing was changed. Commit this strategic-merge patch to the workload's source instead:`,
    ),
    section(codeBlock(yaml, LIMITS.sectionText)),
  ]);
}

export function renderDrift(
  target: PlanTarget,
  reasons: readonly string[],
  incidentId: string,
): SlackMessage {
  const list = reasons.map((r) => `• ${escapeMrkdwn(r)}`).join('\n');
  return message(`Not applied: ${target.kind}/${target.name} changed since the diagnosis`, [
    section(
      `:warning: *Not applied*: ${workloadText(target)} changed since the diagnosis, so the plan no longer fits it:\n${list}\nNothing was changed. Re-diagnose for a fresh plan.`,
    ),
    rediagnoseBlock(incidentId),
  ]);
}

export function renderConflict(text: string, incidentId: string): SlackMessage {
  return message(`Not applied: ${text}`, [
    section(`:warning: *Not applied*: ${escapeMrkdwn(text)}. Re-diagnose for a fresh plan.`),
    rediagnoseBlock(incidentId),
  ]);
}

/** `what`: an action, or a step such as "Verification". */
export function renderFailure(what: RemediationAction | 'Verification', reason: string): SlackMessage {
  const name = what === 'Verification' ? what : actionName(what);
  return message(`${name} failed: ${reason}`, [section(`:x: *${name} failed*: ${escapeMrkdwn(reason)}`)]);
}

export function renderRollout(
  target: PlanTarget,
  state: { done: boolean; failed?: boolean; message: string; waitedMs: number },
  verifySeconds?: number,
): SlackMessage {
  if (state.done) {
    const verify =
      verifySeconds !== undefined
        ? ` Watching for OOM kills for ${duration(verifySeconds)} before calling it verified.`
        : '';
    return message(`Rolled out: ${target.kind}/${target.name}`, [
      section(
        `:white_check_mark: *Rolled out*: ${workloadText(target)}, ${escapeMrkdwn(state.message)} (after ${duration(Math.round(state.waitedMs / 1000))}).${verify}`,
      ),
    ]);
  }
  const ns = target.namespace;
  const cmd = `kubectl -n ${ns} rollout status ${target.kind.toLowerCase()}/${target.name}`;
  return message(`Rollout stuck: ${target.kind}/${target.name}`, [
    section(
      `:hourglass: *Rollout stuck*: ${workloadText(target)} after ${duration(Math.round(state.waitedMs / 1000))}: ${escapeMrkdwn(state.message)}. Check \`${escapeMrkdwn(cmd)}\` and the pods' events; the Rollback button above still works.`,
    ),
  ]);
}

export function renderVerified(c: ChangeRecord, windowSeconds: number): SlackMessage {
  return message(`Verified: no OOM kill of ${c.container} since the change`, [
    section(
      `:large_green_circle: *Verified*: no OOM kill of container \`${escapeMrkdwn(c.container)}\` of ${workloadText(c.target)} in the ${duration(windowSeconds)} since the change at ${utc(c.appliedAt)}.`,
    ),
  ]);
}

export function renderStillOoming(
  c: ChangeRecord,
  kills: ReadonlyArray<{ pod: string; at: number }>,
): SlackMessage {
  const list = kills
    .slice(0, 5)
    .map((k) => `${escapeMrkdwn(k.pod)} at ${utc(k.at)}`)
    .join(', ');
  return message(`Still OOMing: ${kills.length} kill(s) of ${c.container} since the change`, [
    section(
      `:rotating_light: *Still OOMing*: ${kills.length} OOM kill(s) of container \`${escapeMrkdwn(c.container)}\` since the change at ${utc(c.appliedAt)} (${list}${kills.length > 5 ? ', …' : ''}). A fresh diagnosis follows in this thread.`,
    ),
  ]);
}
