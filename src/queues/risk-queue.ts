/**
 * The forecast's queue: `/oom risks` asks enqueue a scan, and RISK_SCAN_CRON registers one job
 * scheduler (BullMQ keeps one per id), so however many workers run, each tick scans once.
 */
import { type ConnectionOptions, Queue } from 'bullmq';
import type { RisksJobData } from './payloads.ts';

export const RISKS_QUEUE = 'risks';
const RISK_SCHEDULER_ID = 'risk-scan';

export function createRisksQueue(connection: ConnectionOptions, prefix: string): Queue<RisksJobData> {
  return new Queue<RisksJobData>(RISKS_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  });
}

/** Register (or update) the scheduled scan; without a pattern, remove it. */
export async function scheduleRiskScan(
  queue: Queue<RisksJobData>,
  pattern: string | undefined,
): Promise<void> {
  if (!pattern) {
    await queue.removeJobScheduler(RISK_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    RISK_SCHEDULER_ID,
    { pattern },
    { name: 'scheduled-scan', data: { kind: 'scheduled', requestedAt: 0 } },
  );
}

export async function enqueueRisksAsk(queue: Queue<RisksJobData>, data: RisksJobData): Promise<string> {
  const job = await queue.add('ask', data);
  return job.id ?? '';
}
