/** BullMQ queue names, queue creation and the job-id rule that makes identical requests share one job. */
import { createHash } from 'node:crypto';
import { type ConnectionOptions, Queue } from 'bullmq';
import type { DiagnoseJobData, RemediateJobData } from './payloads.ts';

export const DIAGNOSE_QUEUE = 'diagnose';

/** Identical in-flight requests (same target, same channel or thread) get the same job id. */
export function requestJobId(data: Pick<DiagnoseJobData, 'request' | 'reply'>): string {
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
