/** BullMQ queue names, queue creation and the job-id rule that makes identical requests share one job. */
import { createHash } from 'node:crypto';
import { type ConnectionOptions, Queue } from 'bullmq';
import { ALERT_INCIDENT_TTL_SECONDS, keyDigest } from '../contracts/alert-incident-types.ts';
import type { DiagnoseJobData, NodeJobInfo, RemediateJobData } from './payloads.ts';

export const DIAGNOSE_QUEUE = 'diagnose';

/** Identical in-flight requests (same target, same channel or thread) get the same job id. */
function requestJobId(data: Pick<DiagnoseJobData, 'request' | 'reply'>): string {
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
  const jobId = requestJobId(data);
  const job = await queue.add('diagnose', data, { jobId });
  return job.id ?? jobId;
}

/** The job id of a node incident's diagnosis: one per incident incarnation. */
function nodeDiagnosisJobId(node: Pick<NodeJobInfo, 'key' | 'openedAt'>): string {
  return `node-${keyDigest(node.key)}-${node.openedAt}`;
}

/** The diagnose job of a node incident whose root is `rootTs` in `channel`. */
export function nodeDiagnosisJob(
  incident: { key: string; openedAt: number; node: string; cluster: string; channel: string; rootTs: string },
  nowMs: number,
): { jobId: string; data: DiagnoseJobData } {
  const node: NodeJobInfo = { name: incident.node, key: incident.key, openedAt: incident.openedAt };
  return {
    jobId: nodeDiagnosisJobId(node),
    data: {
      request: { name: incident.node, ...(incident.cluster ? { cluster: incident.cluster } : {}) },
      reply: { channel: incident.channel, threadTs: incident.rootTs },
      trigger: 'alert',
      requestedAt: nowMs / 1000,
      node,
    },
  };
}

/**
 * Queue the node diagnosis of a node incident with a root. The job is kept after it ran (for the
 * incident's lifetime), so the next update of the same incident adds nothing: one diagnosis per
 * incident incarnation.
 */
export async function addNodeDiagnosis(
  queue: Queue<DiagnoseJobData>,
  incident: Parameters<typeof nodeDiagnosisJob>[0],
  nowMs: number,
): Promise<void> {
  const { jobId, data } = nodeDiagnosisJob(incident, nowMs);
  const kept = { age: ALERT_INCIDENT_TTL_SECONDS };
  await queue.add('diagnose', data, { jobId, removeOnComplete: kept, removeOnFail: kept });
}

// ---------------------------------------------------------------------------------------------
// Remediation: approved button clicks and the verification that follows an applied change

export const REMEDIATE_QUEUE = 'remediate';

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
