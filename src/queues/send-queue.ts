/**
 * The sender's queue: a diagnosis that is ready is handed over as one delivery job, so the diagnose
 * worker's slot is free at once; the sender worker posts it at Slack's pace, in order within the
 * thread (channels are paced by the poster). One job per incident, whatever the retries.
 */
import { type ConnectionOptions, Queue } from 'bullmq';
import type { DeliveryData } from './payloads.ts';

export const SEND_QUEUE = 'slack-send';

/** Deliveries waiting on Slack's pace cost a timer each, so many run at once. */
export const SENDER_CONCURRENCY = 64;

/** Completed deliveries are kept this long, so a diagnose job retried after its handoff adds nothing. */
const KEEP_DONE_SECONDS = 24 * 3600;

export function createSendQueue(connection: ConnectionOptions, prefix: string): Queue<DeliveryData> {
  return new Queue<DeliveryData>(SEND_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: KEEP_DONE_SECONDS },
      removeOnFail: { count: 1000 },
    },
  });
}

/** The delivery's job id: one per incident (a retried handoff finds the job already there). */
export function deliveryJobId(delivery: Pick<DeliveryData, 'incidentId'>): string {
  return `dlv-${delivery.incidentId}`;
}

export async function enqueueDelivery(queue: Queue<DeliveryData>, delivery: DeliveryData): Promise<void> {
  await queue.add('deliver', delivery, { jobId: deliveryJobId(delivery) });
}
