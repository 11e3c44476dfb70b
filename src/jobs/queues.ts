/** BullMQ queue names, job payloads and the job-id rule that makes identical requests share one job. */
import { createHash } from 'node:crypto';
import { type ConnectionOptions, Queue } from 'bullmq';
import type { RemediationAction } from '../remediation/policy.ts';

export const DIAGNOSE_QUEUE = 'diagnose';

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

export interface DiagnoseJobData {
  request: { name: string; namespace?: string; cluster?: string };
  reply: ReplyTo;
  trigger: 'slash_command' | 'alert' | 'button' | 'verification';
  requestedAt: number;
  /** The id of the request that asked (slash-command trigger_id, alert fingerprint…), for the logs. */
  requestId?: string;
  /** Set when an Alertmanager alert started it: the incident (src/incidents/alert-incidents.ts) and its generation. */
  alert?: AlertJobInfo;
  /** Progress saved after each Slack post, so a retried job never posts twice. */
  posted?: { rootTs?: string; threadCount?: number; chart?: boolean; failed?: boolean; planId?: string };
}

/** Identical in-flight requests (same target, same channel or thread) get the same job id. */
export function diagnoseJobId(data: Pick<DiagnoseJobData, 'request' | 'reply'>): string {
  const key = [
    data.request.cluster ?? '',
    data.request.namespace ?? '*',
    data.request.name,
    data.reply.channel,
    data.reply.threadTs ?? '',
  ].join('\u0000');
  return `diag-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export function createDiagnoseQueue(connection: ConnectionOptions, prefix: string): Queue<DiagnoseJobData> {
  return new Queue<DiagnoseJobData>(DIAGNOSE_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  });
}

/** Enqueue a diagnosis; resolves to the job id (an existing one when the same request is in flight). */
export async function enqueueDiagnosis(
  queue: Queue<DiagnoseJobData>,
  data: DiagnoseJobData,
): Promise<string> {
  const jobId = diagnoseJobId(data);
  const job = await queue.add('diagnose', data, { jobId });
  return job.id ?? jobId;
}

// ---------------------------------------------------------------------------------------------
// Remediation: approved button clicks and the verification that follows an applied change

export const REMEDIATE_QUEUE = 'remediate';

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

export function createRemediateQueue(connection: ConnectionOptions, prefix: string): Queue<RemediateJobData> {
  return new Queue<RemediateJobData>(REMEDIATE_QUEUE, {
    connection,
    prefix,
    // cluster writes are never retried blindly: a failure is reported in the thread instead
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 1000 } },
  });
}

/** Enqueue a remediation job; one job per consumed approval (previews: one per click). */
export async function enqueueRemediation(
  queue: Queue<RemediateJobData>,
  data: RemediateJobData,
  options: { delayMs?: number } = {},
): Promise<string> {
  const jobId =
    data.kind === 'verify'
      ? `verify-${data.recordId}`
      : data.action === 'preview'
        ? undefined
        : `rem-${data.recordId}-${data.action}`;
  const job = await queue.add(data.kind, data, {
    ...(jobId ? { jobId } : {}),
    ...(options.delayMs ? { delay: options.delayMs } : {}),
  });
  return job.id ?? jobId ?? '';
}
