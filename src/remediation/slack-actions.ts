/**
 * The remediation buttons on the Bolt app: Apply, Preview, Create VPA, Scale out and Rollback.
 * Each click is acknowledged at once, then checked in order: the value is an id the bot issued,
 * on this very message; the button has not expired; the approval policy allows this clicker;
 * and the approval is consumed atomically (one click, one job). Only then is a remediation job
 * enqueued. A refusal is explained to the clicker (ephemeral) and recorded in the thread.
 */
import type { App as BoltApp, webApi } from '@slack/bolt';
import { parseQuantity } from '../domain/quantity.ts';
import { describeError } from '../errors.ts';
import type { RemediateJobData } from '../jobs/payloads.ts';
import type { Logger } from '../logger.ts';
import { ACTION_IDS } from '../slack/action-ids.ts';
import { renderRefusalAudit, renderRefusalEphemeral, utc } from '../slack/blocks/remediation.ts';
import type { SlackMessage } from '../slack/blocks/types.ts';
import { withTimeout } from '../timeout.ts';
import { planOffers } from './plan.ts';
import { KEEP_AFTER_EXPIRY_SECONDS, type PlanStore, RECORD_ID } from './plan-store.ts';
import type { ChangeRecord, RemediationPlan } from './plan-types.ts';
import { type ApprovalPolicy, actionName, decide, type RemediationAction, WRITE_ACTIONS } from './policy.ts';

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
  /** Enqueue timeout; default 2 s. */
  enqueueTimeoutMs?: number;
}

export const REMEDIATION_ACTION_IDS: Readonly<Record<string, RemediationAction>> = Object.freeze({
  [ACTION_IDS.apply]: 'apply',
  [ACTION_IDS.preview]: 'preview',
  [ACTION_IDS.createVpa]: 'create_vpa',
  [ACTION_IDS.scaleOut]: 'scale_out',
  [ACTION_IDS.rollback]: 'rollback',
  [ACTION_IDS.rolloutUndo]: 'rollout_undo',
});

export const QUEUE_DOWN_TEXT =
  'oom-bot cannot start this right now (its queue does not answer). Nothing was changed and the button still works: try again in a minute.';

/** Where a click came from, as Slack says. */
export interface Click {
  action: RemediationAction;
  value: string;
  user: string;
  channel: string;
  messageTs: string;
  /** The thread the message is in (or its own ts). */
  threadTs: string;
  at: number;
}

export type GateResult =
  | { ok: true; job: RemediateJobData; consumed: boolean; summary: string }
  | { ok: false; reason: string; incidentId?: string };

const days = Math.round(KEEP_AFTER_EXPIRY_SECONDS / 86_400);

function groupResolver(ttlMs = 60_000) {
  const cache = new Map<string, { at: number; users: Set<string> }>();
  return async (client: WebClient, user: string, group: string): Promise<boolean> => {
    const hit = cache.get(group);
    if (hit && Date.now() - hit.at < ttlMs) return hit.users.has(user);
    const answer = await client.usergroups.users.list({ usergroup: group });
    const users = new Set((answer.users ?? []) as string[]);
    cache.set(group, { at: Date.now(), users });
    return users.has(user);
  };
}

/**
 * Every check of a click, in order; consumes the approval of a write action. Pure of Slack:
 * `inGroup` answers group membership.
 */
export async function gateClick(
  click: Click,
  deps: Pick<RemediationActionDeps, 'plans' | 'policy'>,
  inGroup: (user: string, group: string) => Promise<boolean>,
): Promise<GateResult> {
  const name = actionName(click.action);
  if (!RECORD_ID.test(click.value)) {
    return { ok: false, reason: `this button's value is not one oom-bot issued (it was altered).` };
  }
  const isRollback = click.action === 'rollback';
  const record: RemediationPlan | ChangeRecord | undefined = isRollback
    ? await deps.plans.getChange(click.value)
    : await deps.plans.getPlan(click.value);
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
  const newLimit = plan?.memory?.to.limit ?? change?.previous.limit;
  const decision = await decide(deps.policy, {
    action: click.action,
    namespace: record.target.namespace,
    user: click.user,
    requester: plan?.requester,
    cause: plan?.cause ?? 'unknown',
    ...(newLimit !== undefined && (click.action === 'apply' || isRollback)
      ? { newLimitBytes: parseQuantity(newLimit) }
      : {}),
    inGroup,
  });
  if (!decision.allowed) return { ok: false, reason: decision.reason };

  let consumed = false;
  if (WRITE_ACTIONS.has(click.action)) {
    const kind = isRollback ? 'change' : 'plan';
    const result = await deps.plans.consume(kind, record.id, click.action, click.user, click.at);
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
    summary: `${name} on ${record.target.kind.toLowerCase()}/${record.target.name} in ${record.target.namespace}`,
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
