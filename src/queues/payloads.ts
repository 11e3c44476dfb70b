/**
 * The payloads of the BullMQ jobs: plain data, shared by the producers (slash command, alert
 * intake, buttons) and the processors. A leaf module: it imports nothing but types from below.
 */
import type { RemediationAction } from '../contracts/remediation-actions.ts';
import type { Diagnosis } from '../domain/types.ts';
import type { SlackMessage } from '../render/blocks/types.ts';

export interface ReplyTo {
  channel: string;
  /** Post into this thread instead of opening a new one. */
  threadTs?: string;
  /** Slash-command response URL for ephemeral answers. */
  responseUrl?: string;
  userId?: string;
}

/** The alert incident behind an alert-triggered diagnosis. */
export interface AlertJobInfo {
  key: string;
  /** Epoch ms the incident was opened (with `generation`, identifies this diagnosis). */
  openedAt: number;
  generation: number;
  alertname: string;
  pod?: string;
  container?: string;
}

/** The node incident behind a node diagnosis. */
export interface NodeJobInfo {
  name: string;
  key: string;
  /** Epoch ms the incident (this incarnation) was opened. */
  openedAt: number;
}

export interface DiagnoseJobData {
  request: { name: string; namespace?: string; cluster?: string };
  reply: ReplyTo;
  trigger: 'slash_command' | 'alert' | 'button' | 'verification';
  requestedAt: number;
  /** The id of the request that asked (slash-command trigger_id, alert fingerprint…), for the logs. */
  requestId?: string;
  /** Set when an Alertmanager alert started it: the incident (src/incidents/alert-incidents.ts) and its generation. */
  alert?: AlertJobInfo;
  /** Set for a node incident's diagnosis: the node, and the incident whose thread it is posted in. */
  node?: NodeJobInfo;
  /** Progress saved after each Slack post, so a retried job never posts twice. */
  posted?: { rootTs?: string; threadCount?: number; chart?: boolean; failed?: boolean; planId?: string };
}

export interface RemediateJobData {
  /** `execute`: run an approved (already consumed) action; `verify`: end of the verification window. */
  kind: 'execute' | 'verify';
  action: RemediationAction;
  /** The plan (apply, preview, create_vpa, scale_out) or the change (rollback, verify). */
  recordId: string;
  /** Who clicked. */
  user: string;
  clickedAt: number;
}

export interface RisksJobData {
  /** `scheduled`: the digest of what is new or worse since the last scan; `ask`: every risk now, to `reply`. */
  kind: 'scheduled' | 'ask';
  namespace?: string;
  cluster?: string;
  reply?: ReplyTo;
  requestedAt: number;
  requestId?: string;
}

/** What a delivery has posted so far (a retry continues from there). */
export interface DeliveryProgress {
  threadCount?: number;
  chart?: boolean;
}

/**
 * A finished diagnosis, rendered, ready for Slack: the root's verdict (rendered when sent, with
 * the incident's counters of that moment), the thread's replies and the chart.
 */
export interface DeliveryData {
  request: DiagnoseJobData['request'];
  reply: ReplyTo;
  rootTs: string;
  incidentId: string;
  planId?: string;
  alert?: AlertJobInfo;
  /** The diagnosis without its chart series. */
  diagnosis: Diagnosis;
  thread: SlackMessage[];
  /** The chart as a base64 PNG, or why it could not be drawn; absent without pods to draw. */
  chart?: { png: string; title: string; altText: string } | { error: string };
  requestId?: string;
  /** The diagnose job that handed it over, for the logs. */
  jobId?: string;
  posted?: DeliveryProgress;
}
