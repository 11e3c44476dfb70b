/**
 * The queue of coalesced root-message updates of alert incidents (counters, resolved). One job
 * per burst of changes: the incident store hands out a job id only while no update is pending,
 * and the job waits `delayMs` so that the alerts of a burst land in one `chat.update`.
 */
import { type ConnectionOptions, Queue } from 'bullmq';
import { type UpdateRef, updateJobId } from '../contracts/alert-incident-types.ts';

export const ROOT_UPDATE_QUEUE = 'incident-updates';

/** How long an update waits for more alerts before rendering. */
export const DEFAULT_UPDATE_DELAY_MS = 2000;

export type RootUpdateJobData = UpdateRef;

export function createRootUpdateQueue(
  connection: ConnectionOptions,
  prefix: string,
): Queue<RootUpdateJobData> {
  return new Queue<RootUpdateJobData>(ROOT_UPDATE_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  });
}

/** Add updates with deterministic ids (an id already queued is not added again). */
export async function addRootUpdates(
  queue: Queue<RootUpdateJobData>,
  refs: readonly UpdateRef[],
  delayMs = DEFAULT_UPDATE_DELAY_MS,
): Promise<void> {
  if (refs.length === 0) return;
  await queue.addBulk(
    refs.map((ref) => ({ name: 'update', data: ref, opts: { jobId: updateJobId(ref), delay: delayMs } })),
  );
}
