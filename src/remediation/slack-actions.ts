/**
 * The remediation buttons on the Bolt app: Apply, Preview, Create VPA, Scale out and Rollback.
 * Each click is acknowledged at once, then checked in order: the value is an id the bot issued,
 * on this very message; the button has not expired; the approval policy allows this clicker;
 * and the approval is consumed atomically (one click, one job). Only then is a remediation job
 * enqueued. A refusal is explained to the clicker (ephemeral) and recorded in the thread.
 */
import type { App as BoltApp, webApi } from '@slack/bolt';
import type { ChangeRecord, RemediationPlan } from '../contracts/plan-types.ts';
import { actionName, type RemediationAction, WRITE_ACTIONS } from '../contracts/remediation-actions.ts';
import { parseQuantity } from '../domain/quantity.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RemediateJobData } from '../queues/payloads.ts';
import { ACTION_IDS } from '../render/action-ids.ts';
import { renderRefusalAudit, renderRefusalEphemeral, utc } from '../render/blocks/remediation.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import { withTimeout } from '../timeout.ts';
import { groupResolver } from './groups.ts';
import { planOffers, vpaBoundLimit } from './plan.ts';
import { KEEP_AFTER_EXPIRY_SECONDS, type PlanStore, RECORD_ID } from './plan-store.ts';
import { type ApprovalPolicy, approvalsRequired, DEFAULT_CLUSTER, decide, whereText } from './policy.ts';

type WebClient = webApi.WebClient;

export interface RemediationActionDeps {
  plans: PlanStore;
  policy: ApprovalPolicy;
  enqueue(data: RemediateJobData): Promise<string>;
  logger: Logger;
  /** Wall-clock epoch seconds (tests move it to expire buttons). */
  now?: () => number;
  /** Whether a user is in a Slack user group; default: usergroups.users.list, cached for a minute. */
  inGroup?: (client: WebClient, user: string, group: string) => Promise<boolean>;
  /** The context name of the default cluster, which a policy rule's `cluster` matches. */
  defaultCluster?: string;
  /** Enqueue timeout; default 2 s. */
  enqueueTimeoutMs?: number;
}

const REMEDIATION_ACTION_IDS: Readonly<Record<string, RemediationAction>> = Object.freeze({
  [ACTION_IDS.apply]: 'apply',
  [ACTION_IDS.preview]: 'preview',
  [ACTION_IDS.createVpa]: 'create_vpa',
  [ACTION_IDS.scaleOut]: 'scale_out',
  [ACTION_IDS.rollback]: 'rollback',
  [ACTION_IDS.rolloutUndo]: 'rollout_undo',
  [ACTION_IDS.vpaPolicy]: 'vpa_policy',
});

export const QUEUE_DOWN_TEXT =
  'oom-bot cannot start this right now (its queue does not answer). Nothing was changed and the button still works: try again in a minute.';

/** Where a click came from, as Slack says. */
interface Click {
  action: RemediationAction;
  value: string;
  user: string;
  channel: string;
  messageTs: string;
  /** The thread the message is in (or its own ts). */
  threadTs: string;
  at: number;
}

type GateResult =
  | { ok: true; job: RemediateJobData; consumed: boolean; summary: string }
  /** The first of two approvals was recorded: a second, different approver must click. */
  | { ok: 'pending'; summary: string }
  | { ok: false; reason: string; incidentId?: string };

const days = Math.round(KEEP_AFTER_EXPIRY_SECONDS / 86_400);

/**
 * Every check of a click, in order; consumes the approval of a write action. Pure of Slack:
 * `inGroup` answers group membership.
 */
async function gateClick(
  click: Click,
  deps: Pick<RemediationActionDeps, 'plans' | 'policy' | 'defaultCluster'>,
  inGroup: (user: string, group: string) => Promise<boolean>,
): Promise<GateResult> {
  const name = actionName(click.action);
  if (!RECORD_ID.test(click.value)) {
    return { ok: false, reason: `this button's value is not one oom-bot issued (it was altered).` };
  }
  const isRollback = click.action === 'rollback';
  const loaded = isRollback
    ? await deps.plans.loadChange(click.value)
    : await deps.plans.loadPlan(click.value);
  if (loaded.status === 'tampered') {
    return {
      ok: false,
      reason: `the record behind this button fails signature verification; it was not written by oom-bot.`,
    };
  }
  const record: RemediationPlan | ChangeRecord | undefined =
    loaded.status === 'ok' ? loaded.record : undefined;
  if (!record) {
    return {
      ok: false,
      reason: `this button does not match anything oom-bot issued: its value was altered, or it is more than ${days} days old.`,
    };
  }
  const messageTs = 'messageTs' in record ? record.messageTs : undefined;
  if (record.channel !== click.channel || messageTs !== click.messageTs) {
    return {
      ok: false,
      reason: `this button's value belongs to another message: it was copied or altered.`,
    };
  }
  if (!isRollback && !planOffers(record as RemediationPlan, click.action)) {
    return { ok: false, reason: `this diagnosis has nothing for ${name} to do.` };
  }
  if (click.at >= record.expiresAt) {
    return {
      ok: false,
      reason: `this button expired at ${utc(record.expiresAt)}; buttons are valid for a limited time after they are posted. Re-diagnose for fresh ones.`,
      incidentId: record.incidentId,
    };
  }
  const plan = isRollback ? undefined : (record as RemediationPlan);
  const change = isRollback ? (record as ChangeRecord) : undefined;
  const newLimit =
    click.action === 'vpa_policy' ? vpaBoundLimit(plan) : (plan?.memory?.to.limit ?? change?.previous.limit);
  const cluster = record.cluster ?? deps.defaultCluster ?? DEFAULT_CLUSTER;
  const decision = await decide(deps.policy, {
    action: click.action,
    namespace: record.target.namespace,
    cluster,
    workload: `${record.target.kind.toLowerCase()}/${record.target.name}`,
    user: click.user,
    cause: plan?.cause ?? 'unknown',
    ...(newLimit !== undefined && (click.action === 'apply' || click.action === 'vpa_policy' || isRollback)
      ? { newLimitBytes: parseQuantity(newLimit) }
      : {}),
    ...(click.action === 'scale_out' && plan?.hpa ? { maxReplicas: plan.hpa.maxReplicas } : {}),
    inGroup,
  });
  if (!decision.allowed) return { ok: false, reason: decision.reason };
  const summary = `${name} on ${record.target.kind.toLowerCase()}/${record.target.name} in ${whereText(record.target.namespace, cluster)}`;

  let consumed = false;
  if (WRITE_ACTIONS.has(click.action)) {
    const kind = isRollback ? 'change' : 'plan';
    const required = approvalsRequired(decision.rule, click.action);
    const result = await deps.plans.consume(kind, record.id, click.action, click.user, click.at, required);
    if (result.status === 'first') return { ok: 'pending', summary };
    if (result.status === 'same') {
      return {
        ok: false,
        reason: `you already gave the first approval at ${utc(result.at)}; the two-person rule needs a second, different approver.`,
      };
    }
    if (result.status === 'revoked') {
      return {
        ok: false,
        reason: `the incident was dismissed by <@${result.by}> at ${utc(result.at)}, which revoked these buttons.`,
      };
    }
    if (result.status === 'tampered') {
      return { ok: false, reason: `the record behind this button fails signature verification.` };
    }
    if (result.status === 'used') {
      const who = result.by === click.user ? 'you' : `<@${result.by}>`;
      return {
        ok: false,
        reason: `it was already used: ${who} clicked ${name} at ${utc(result.at)}, and each approval runs once.`,
      };
    }
    if (result.status === 'expired') {
      return {
        ok: false,
        reason: `this button expired at ${utc(result.expiresAt)}. Re-diagnose for fresh ones.`,
        incidentId: record.incidentId,
      };
    }
    if (result.status === 'missing') {
      return { ok: false, reason: `this button does not match anything oom-bot issued.` };
    }
    consumed = true;
  }
  return {
    ok: true,
    consumed,
    summary,
    job: {
      kind: 'execute',
      action: click.action,
      recordId: record.id,
      user: click.user,
      clickedAt: click.at,
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: Bolt's block_actions body is loosely typed per action
type Body = any;

function clickOf(body: Body, action: RemediationAction, value: string, at: number): Click {
  const messageTs = String(body.container?.message_ts ?? body.message?.ts ?? '');
  return {
    action,
    value,
    user: String(body.user?.id ?? ''),
    channel: String(body.channel?.id ?? body.container?.channel_id ?? ''),
    messageTs,
    threadTs: String(body.message?.thread_ts ?? messageTs),
    at,
  };
}

/** The thread note of a first approval under the two-person rule: "1 of 2 approvals". */
function renderFirstApproval(click: Click, summary: string): SlackMessage {
  const text = `:hourglass_flowing_sand: 1 of 2 approvals: <@${click.user}> approved ${summary} at ${utc(click.at)}. The two-person rule applies: a second, different approver must click ${actionName(click.action)}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] as SlackMessage['blocks'] };
}

/** Register the remediation buttons' handlers on the Bolt app. */
export function registerRemediationActions(app: BoltApp, deps: RemediationActionDeps): void {
  const now = deps.now ?? (() => Date.now() / 1000);
  const inGroup = deps.inGroup ?? groupResolver();
  const log = deps.logger.child({ component: 'remediation-actions' });

  for (const [actionId, action] of Object.entries(REMEDIATION_ACTION_IDS)) {
    app.action(actionId, async ({ ack, body, action: element, client }) => {
      await ack();
      const value = String((element as { value?: unknown }).value ?? '');
      const click = clickOf(body, action, value, now());
      const tell = async (message: SlackMessage) => {
        await client.chat
          .postEphemeral({
            channel: click.channel,
            user: click.user,
            text: message.text,
            blocks: message.blocks as never,
          })
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'ephemeral reply failed'));
      };
      let result: GateResult;
      try {
        result = await gateClick(click, deps, (user, group) => inGroup(client, user, group));
      } catch (error) {
        log.error({ err: describeError(error), action }, 'click check failed');
        await tell({ text: `:x: ${QUEUE_DOWN_TEXT}`, blocks: [] });
        return;
      }
      if (result.ok === 'pending') {
        log.info({ action, user: click.user, recordId: click.value }, 'first of two approvals recorded');
        const note = renderFirstApproval(click, result.summary);
        await tell({ text: `${note.text} Another approver must click to run it.`, blocks: [] });
        await client.chat
          .postMessage({
            channel: click.channel,
            thread_ts: click.threadTs,
            text: note.text,
            blocks: note.blocks as never,
          })
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'approval note failed'));
        return;
      }
      if (!result.ok) {
        log.info({ action, user: click.user, reason: result.reason }, 'click refused');
        const refusal = {
          action,
          user: click.user,
          at: click.at,
          reason: result.reason,
          ...(result.incidentId ? { incidentId: result.incidentId } : {}),
        };
        await tell(renderRefusalEphemeral(refusal));
        // the thread records a user's refusals on one message once; the clicker is told every time
        const first = await deps.plans
          .firstRefusal(
            click.channel,
            RECORD_ID.test(click.value) ? click.value : click.messageTs,
            click.user,
          )
          .catch(() => true);
        if (!first) return;
        const audit = renderRefusalAudit(refusal);
        await client.chat
          .postMessage({
            channel: click.channel,
            thread_ts: click.threadTs,
            text: audit.text,
            blocks: audit.blocks as never,
          })
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'audit post failed'));
        return;
      }
      try {
        const ms = deps.enqueueTimeoutMs ?? 2000;
        await withTimeout(deps.enqueue(result.job), ms, () => new Error(`queue did not answer in ${ms} ms`));
        log.info({ action, user: click.user, recordId: result.job.recordId }, 'click approved');
      } catch (error) {
        log.error({ err: describeError(error) }, 'enqueue failed');
        if (result.consumed) {
          await deps.plans
            .release(action === 'rollback' ? 'change' : 'plan', result.job.recordId, action)
            .catch(() => undefined);
        }
        await tell({ text: `:x: ${QUEUE_DOWN_TEXT}`, blocks: [] });
      }
    });
  }
}
