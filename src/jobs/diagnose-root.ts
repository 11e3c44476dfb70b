/**
 * The root message of a diagnosis, posted once across workers. A run claims the root in Redis
 * (SET NX, keyed by the job) before posting it with Slack message metadata naming the job. A run
 * that finds the claim taken but no recorded ts (its predecessor died between Slack's answer and
 * the Redis write that records it) looks the message up in the channel before posting again.
 */
import type { Redis } from 'ioredis';
import { describeError } from '../errors.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import type { DiagnoseJob, DiagnoseRun, RootClaims } from './diagnose-job.ts';

/** The metadata event type of a root message. */
export const ROOT_EVENT = 'oom_bot_root';

/** How long a claim is kept: longer than any job's retries and stalls. */
const CLAIM_TTL_SECONDS = 24 * 3600;

export function createRootClaims(redis: Pick<Redis, 'set'>, prefix: string): RootClaims {
  return {
    async claim(key) {
      const set = await redis.set(`${prefix}:root-claim:${key}`, '1', 'EX', CLAIM_TTL_SECONDS, 'NX');
      return set === 'OK';
    },
  };
}

/**
 * A job id is reused once its job completed (identical requests share one), so the claim is of the
 * job id and the time it was requested; the lookup only reads messages posted since then.
 */
export function rootClaimKey(job: Pick<DiagnoseJob, 'id' | 'data'>): string {
  return `${job.id ?? ''}:${job.data.requestedAt}`;
}

/** Post the root, or find the one an earlier run posted without recording it; its ts. */
export async function postRootOnce(run: DiagnoseRun, message: SlackMessage): Promise<string> {
  const { job, deps, reply, log } = run;
  const jobId = job.id ?? '';
  const metadata = { event_type: ROOT_EVENT, event_payload: { job: jobId } };
  if (deps.rootClaims && !(await deps.rootClaims.claim(rootClaimKey(job)))) {
    const found = await findPostedRoot(run, jobId);
    if (found) {
      log.info({ rootTs: found }, 'root message found, posted by an earlier run');
      return found;
    }
    log.info('root claimed by an earlier run but not in the channel: posting it');
  }
  return deps.slack.post(reply.channel, message, reply.threadTs, { metadata });
}

/** The root an earlier run posted, looked up by its metadata since the job was requested. */
async function findPostedRoot(run: DiagnoseRun, jobId: string): Promise<string | undefined> {
  const { job, deps, reply, log } = run;
  if (!deps.slack.findMessage) return undefined;
  try {
    return await deps.slack.findMessage({
      channel: reply.channel,
      ...(reply.threadTs ? { threadTs: reply.threadTs } : {}),
      eventType: ROOT_EVENT,
      payload: { job: jobId },
      oldest: Math.floor(job.data.requestedAt),
    });
  } catch (error) {
    // at-least-once: a root that cannot be looked up is posted again rather than lost
    log.warn({ err: describeError(error) }, 'root lookup failed; posting it again');
    return undefined;
  }
}
