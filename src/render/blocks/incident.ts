/**
 * Pure renderers for alert incidents: the counters and status line folded into a diagnosis root
 * message, and the root messages of incidents without a verdict (a node under memory pressure,
 * a target the bot could not resolve, a diagnosis that failed).
 */

import type { KnownBlock } from '@slack/types';
import type { AlertIncidentState, RootSnapshot } from '../../contracts/alert-incident-types.ts';
import { clock } from '../../domain/format.ts';
import type { Target } from '../../domain/types.ts';
import { fitMessage } from '../limits.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { renderRoot } from './diagnosis.ts';
import { renderProgress } from './progress.ts';
import type { SlackMessage } from './types.ts';

/** The incident fields the renderers read (times in epoch ms, as stored). */
type IncidentView = Pick<
  AlertIncidentState,
  | 'kind'
  | 'cluster'
  | 'namespace'
  | 'workload'
  | 'container'
  | 'node'
  | 'state'
  | 'openedAt'
  | 'resolvedAt'
  | 'refiredAt'
  | 'lastSeenAt'
  | 'alerts'
  | 'active'
  | 'pods'
  | 'reopens'
> & { truncated?: number };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const seconds = (ms: number) => ms / 1000;

/** For renderRoot's `counters`: alerts folded in, and when the latest started. */
export function incidentCounters(v: IncidentView): { alerts: number; lastSeenAt?: number } {
  return {
    alerts: v.alerts,
    ...(v.lastSeenAt !== undefined ? { lastSeenAt: seconds(v.lastSeenAt) } : {}),
  };
}

/** One status line (renderRoot prefixes its icon): firing (how many active, pods, since when, re-fires) or resolved and when. */
export function incidentStatus(v: IncidentView, nowMs: number): string {
  const at = seconds(nowMs);
  if (v.state === 'resolved' && v.resolvedAt !== undefined) {
    return `Resolved at ${clock(seconds(v.resolvedAt), at)}: all ${plural(v.alerts, 'alert')} of this incident resolved`;
  }
  const parts = [`Firing: ${v.active} of ${plural(v.alerts, 'alert')} active`];
  if (v.pods > 0) parts.push(plural(v.pods, 'pod'));
  parts.push(`since ${clock(seconds(v.openedAt), at)}`);
  if (v.reopens > 0 && v.refiredAt !== undefined) {
    parts.push(`re-fired ${clock(seconds(v.refiredAt), at)} (${plural(v.reopens, 'reopen')})`);
  }
  if (v.truncated) parts.push(truncationNote(v.truncated));
  return parts.join(' · ');
}

/** Alerts Alertmanager cut from its notifications are never diagnosed: say so, and the fix. */
function truncationNote(n: number): string {
  return `${plural(n, 'alert')} not delivered by Alertmanager: raise max_alerts`;
}

/** "prod/auth-service (container auth)" or "node worker-3", escaped. */
function incidentTitle(v: IncidentView): string {
  const cluster = v.cluster ? ` on ${v.cluster}` : '';
  if (v.kind === 'node') return escapeMrkdwn(`node ${v.node}${cluster}`);
  const container = v.container ? ` (container ${v.container})` : '';
  return escapeMrkdwn(`${v.namespace}/${v.workload}${container}${cluster}`);
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, 3000) }] };
}

function counterLine(v: IncidentView, nowMs: number): string {
  const last = v.lastSeenAt !== undefined ? ` · last ${clock(seconds(v.lastSeenAt), seconds(nowMs))}` : '';
  return `:repeat: ${plural(v.alerts, 'alert')} folded into this incident${last}`;
}

/** Adds the counter and status lines before a message's action buttons. */
function withIncidentLines(message: SlackMessage, v: IncidentView, nowMs: number): SlackMessage {
  const blocks = [...message.blocks];
  const actionsAt = blocks.findIndex((b) => b.type === 'actions');
  const lines = [
    context(counterLine(v, nowMs)),
    context(`:information_source: ${escapeMrkdwn(incidentStatus(v, nowMs))}`),
  ];
  blocks.splice(actionsAt < 0 ? blocks.length : actionsAt, 0, ...lines);
  return { text: message.text, blocks: fitMessage(blocks) };
}

/** The root of a node incident: no workload to diagnose, the condition and its counters. */
export function renderNodeIncidentRoot(v: IncidentView, nowMs: number): SlackMessage {
  const resolved = v.state === 'resolved';
  const emoji = resolved ? ':white_check_mark:' : ':desktop_computer:';
  const text = `${emoji} *${incidentTitle(v)}* · node memory pressure${resolved ? ' (resolved)' : ''}`;
  const help =
    'The kubelet evicts pods and the kernel may OOM-kill containers on this node. ' +
    'Run `/oom <service>` for a workload on it to see whether its requests are too low.';
  return withIncidentLines(
    {
      // the notification text is mrkdwn too: a label value is escaped there as in the blocks
      text: `${resolved ? 'Resolved: ' : ''}node ${escapeMrkdwn(v.node)} under memory pressure`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text } },
        { type: 'section', text: { type: 'mrkdwn', text: help } },
      ],
    },
    v,
    nowMs,
  );
}

/** The first root of an alert whose target the bot could not resolve. */
export function renderAlertProblemRoot(title: string, reason: string): SlackMessage {
  const text = `:mag: Alert for *${escapeMrkdwn(title)}*: ${escapeMrkdwn(reason)}`;
  return {
    text: truncate(escapeMrkdwn(`Alert for ${title}: ${reason}`), 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } }],
  };
}

/** The root message of an incident as it stands now, from its state and what the diagnosis left. */
export function renderIncidentRoot(
  v: IncidentView,
  snapshot: RootSnapshot | undefined,
  nowMs: number,
): SlackMessage | undefined {
  if (v.kind === 'node') return renderNodeIncidentRoot(v, nowMs);
  if (!snapshot) return undefined;
  switch (snapshot.kind) {
    case 'verdict':
      return renderRoot(snapshot.diagnosis, {
        incidentId: snapshot.incidentId,
        ...(snapshot.planId ? { planId: snapshot.planId } : {}),
        counters: incidentCounters(v),
        status: incidentStatus(v, nowMs),
      });
    case 'failed':
      return withIncidentLines(
        renderProgress(snapshot.target as Target, 'failed', snapshot.detail, {
          incidentId: snapshot.incidentId,
        }),
        v,
        nowMs,
      );
    case 'problem':
      return withIncidentLines(
        {
          text: snapshot.text,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(snapshot.text, 3000) } }],
        },
        v,
        nowMs,
      );
  }
}
