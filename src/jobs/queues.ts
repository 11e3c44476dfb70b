/** BullMQ queue names, job payloads and the job-id rule that makes identical requests share one job. */
import { createHash } from 'node:crypto';
import { type ConnectionOptions, Queue } from 'bullmq';

export const DIAGNOSE_QUEUE = 'diagnose';

export interface ReplyTo {
  channel: string;
  /** Post into this thread instead of opening a new one. */
  threadTs?: string;
  /** Slash-command response URL for ephemeral answers. */
  responseUrl?: string;
  userId?: string;
}

export interface DiagnoseJobData {
  request: { name: string; namespace?: string; cluster?: string };
  reply: ReplyTo;
  trigger: 'slash_command' | 'alert' | 'button';
  requestedAt: number;
  /** Progress saved after each Slack post, so a retried job never posts twice. */
  posted?: { rootTs?: string; threadCount?: number; chart?: boolean; failed?: boolean };
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
