/**
 * What the diagnose job does differently for an alert incident, behind one small interface:
 * skip a diagnosis that is a duplicate, superseded, or would put a second plan next to one still
 * awaiting approval; remember where the incident's root message is; render its counters and
 * status; leave what later root updates need; and find the open incident thread a `/oom` answer
 * belongs in.
 */

import { incidentKeyOf } from '../alert-labels/target.ts';
import type {
  AlertIncidentStore,
  OpenThread,
  RootSnapshot,
  UpdateRef,
} from '../contracts/alert-incident-types.ts';
import type { Target } from '../domain/types.ts';
import type { Logger } from '../logger.ts';
import type { AlertJobInfo, ReplyTo } from '../queues/payloads.ts';
import { incidentCounters, incidentStatus, renderAlertProblemRoot } from '../render/blocks/incident.ts';
import type { SlackPoster } from '../slack/poster.ts';

export interface AlertDiagnosisHooks {
  /** Whether this alert diagnosis should run; when not, the reason was already told in the thread. */
  begin(alert: AlertJobInfo, reply: ReplyTo): Promise<{ proceed: boolean; reason?: string }>;
  /** The diagnosis posted the incident's top-level root message. */
  rootPosted(alert: AlertJobInfo, rootTs: string, incidentId: string): Promise<void>;
  /** Counters and status for the verdict root, and the incident version they show. */
  rootOptions(
    alert: AlertJobInfo,
  ): Promise<{ counters?: { alerts: number; lastSeenAt?: number }; status?: string; version: number }>;
  /** The diagnosis is over (verdict, failure or unresolvable target). */
  finish(
    alert: AlertJobInfo,
    result: { snapshot?: RootSnapshot; renderedVersion: number; planId?: string },
  ): Promise<void>;
  /**
   * The alert's target could not be resolved: post (once) a root saying so for a new incident,
   * or a note in the thread of a reopened one, and finish.
   */
  targetProblem(
    alert: AlertJobInfo,
    reply: ReplyTo,
    request: { name: string; namespace?: string },
    reason: string,
  ): Promise<void>;
  /** The thread of a node's incident (open or resolved, while kept), for a workload its pressure killed. */
  nodeThreadFor(node: string, cluster?: string): Promise<{ channel: string; threadTs: string } | undefined>;
  /** The open alert incident thread of a resolved target, if any, for `/oom`. */
  openThreadFor(
    target: Target,
    cluster?: string,
  ): Promise<(OpenThread & { approvalPending: boolean }) | undefined>;
}

interface AlertDiagnosisDeps {
  store: AlertIncidentStore;
  slack: SlackPoster;
  logger: Logger;
  enqueueUpdates(refs: UpdateRef[]): Promise<void>;
  /** Whether a remediation plan still awaits approval (unexpired, no write action used). */
  approvalPending(planId: string): Promise<boolean>;
  /** Epoch ms. */
  now(): number;
}

function refOf(alert: AlertJobInfo) {
  return { key: alert.key, openedAt: alert.openedAt, generation: alert.generation };
}

export function createAlertDiagnosisHooks(deps: AlertDiagnosisDeps): AlertDiagnosisHooks {
  const finish: AlertDiagnosisHooks['finish'] = async (alert, result) => {
    const next = await deps.store.finishDiagnosis(refOf(alert), result);
    if (next) await deps.enqueueUpdates([next]);
  };

  return {
    async begin(alert, reply) {
      const gate = await deps.store.beginDiagnosis(refOf(alert));
      if (!gate.proceed) return { proceed: false, reason: gate.reason };
      if (gate.planId && alert.generation > 1 && (await deps.approvalPending(gate.planId))) {
        if (reply.threadTs) {
          await deps.slack.post(
            reply.channel,
            {
              text: ':repeat: The alert fired again. The plan above still awaits approval, so there is no new diagnosis: approve it, or let it expire, first.',
              blocks: [],
            },
            reply.threadTs,
          );
        }
        await finish(alert, { renderedVersion: 0 });
        return { proceed: false, reason: 'approval_pending' };
      }
      return { proceed: true };
    },

    async rootPosted(alert, rootTs, incidentId) {
      await deps.store.rootPosted(refOf(alert), rootTs, incidentId);
    },

    async rootOptions(alert) {
      const state = await deps.store.get(alert.key);
      if (!state || state.openedAt !== alert.openedAt) return { version: 0 };
      return {
        counters: incidentCounters(state),
        status: incidentStatus(state, deps.now()),
        version: state.version,
      };
    },

    finish,

    async targetProblem(alert, reply, request, reason) {
      const where = `${request.namespace ? `${request.namespace}/` : ''}${request.name}`;
      const pod = alert.pod ? ` (pod ${alert.pod})` : '';
      const title = `${alert.alertname || 'alert'} for ${where}${pod}`;
      const message = renderAlertProblemRoot(title, reason);
      if (reply.threadTs) {
        await deps.slack.post(reply.channel, message, reply.threadTs);
        await finish(alert, { renderedVersion: 0 });
        return;
      }
      const state = await deps.store.get(alert.key);
      if (!state?.rootTs) {
        const ts = await deps.slack.post(reply.channel, message);
        await deps.store.rootPosted(refOf(alert), ts, '');
      }
      const text =
        (message.blocks[0] as { text?: { text?: string } } | undefined)?.text?.text ?? message.text;
      await finish(alert, { snapshot: { kind: 'problem', text }, renderedVersion: 0 });
    },

    async nodeThreadFor(node, cluster) {
      const state = await deps.store.get(incidentKeyOf({ kind: 'node', cluster: cluster ?? '', node }));
      return state?.rootTs ? { channel: state.channel, threadTs: state.rootTs } : undefined;
    },

    async openThreadFor(target, cluster) {
      const open = await deps.store.openThreadFor({
        namespace: target.namespace,
        workload: target.workload.name,
        ...(cluster !== undefined ? { cluster } : {}),
      });
      if (!open) return undefined;
      const approvalPending = open.planId ? await deps.approvalPending(open.planId) : false;
      return { ...open, approvalPending };
    },
  };
}
