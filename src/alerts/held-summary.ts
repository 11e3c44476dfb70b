/**
 * The one summary message per channel and window that lists the incidents held back by the cap
 * on new incidents (ALERT_MAX_NEW_INCIDENTS per ALERT_WINDOW_SECONDS): posted once, its count
 * kept current, and each held incident listed once in its thread. A job per new held incident
 * (deterministic ids from the window's seq); every step reads the held hash the intake's script
 * writes, so a retried job repeats nothing but the count.
 */
import { type Job, Queue, Worker } from 'bullmq';
import type { HeldRef } from '../contracts/alert-incident-types.ts';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import { escapeMrkdwn } from '../render/mrkdwn.ts';
import type { SlackPoster } from '../slack/poster.ts';

const HELD_SUMMARY_QUEUE = 'alert-held-summary';
/** Held incidents listed per thread reply. */
const LIST_LINES = 40;

interface HeldSummaryDeps {
  redis: RedisConnection;
  prefix: string;
  slack: SlackPoster;
  cap: { max: number; windowMs: number };
  logger: Logger;
}

/** The job id of a summary refresh (BullMQ ids may not contain `:`). */
function heldSummaryJobId(ref: HeldRef): string {
  return `held-${ref.channel}-${ref.bucket}-${ref.seq}`;
}

function summaryText(held: number, cap: { max: number; windowMs: number }): string {
  const minutes = Math.round(cap.windowMs / 60_000);
  return `:no_entry_sign: ${held} more OOM incident${held === 1 ? '' : 's'} held back: this channel already opened ${cap.max} in this ${minutes}-minute window. They are listed in this thread and were not diagnosed; run \`/oom <service> -n <namespace>\` for any of them.`;
}

/** A plain-text message as one section (label values are shown as text, never as markup). */
function textMessage(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Post or refresh the window's summary, and list the held incidents not yet listed. */
async function processHeldSummary(ref: HeldRef, deps: HeldSummaryDeps): Promise<void> {
  const base = `${deps.prefix}:alert-cap:${ref.channel}:${ref.bucket}`;
  const held = await deps.redis.hgetall(`${base}:held`);
  const keys = Object.keys(held).sort();
  if (keys.length === 0) return;
  const message = textMessage(summaryText(keys.length, deps.cap));
  let ts = await deps.redis.get(`${base}:summary`);
  if (ts) {
    await deps.slack.update(ref.channel, ts, message, { routine: true });
  } else {
    ts = await deps.slack.post(ref.channel, message);
    await deps.redis.set(`${base}:summary`, ts, 'EX', Math.ceil(deps.cap.windowMs / 1000) * 2);
  }
  const listed = new Set(await deps.redis.smembers(`${base}:listed`));
  const fresh = keys.filter((k) => !listed.has(k));
  for (let i = 0; i < fresh.length; i += LIST_LINES) {
    const part = fresh.slice(i, i + LIST_LINES);
    await deps.slack.post(ref.channel, textMessage(part.map((k) => `• ${escapeMrkdwn(k)}`).join('\n')), ts);
    await deps.redis.sadd(`${base}:listed`, ...part);
    await deps.redis.expire(`${base}:listed`, Math.ceil(deps.cap.windowMs / 1000) * 2);
  }
  deps.logger.info(
    { channel: ref.channel, held: keys.length, listed: fresh.length },
    'held incidents summarised',
  );
}

export function createHeldSummaryQueue(connection: RedisConnection, prefix: string): Queue<HeldRef> {
  return new Queue<HeldRef>(HELD_SUMMARY_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: 1000 },
  });
}

export async function addHeldSummaries(queue: Queue<HeldRef>, refs: readonly HeldRef[]): Promise<void> {
  if (refs.length === 0) return;
  await queue.addBulk(refs.map((data) => ({ name: 'held', data, opts: { jobId: heldSummaryJobId(data) } })));
}

/** One worker (concurrency 1: a channel's summary is posted once). */
export function startHeldSummaryWorker(connection: RedisConnection, deps: HeldSummaryDeps): Worker<HeldRef> {
  return new Worker<HeldRef>(HELD_SUMMARY_QUEUE, (job: Job<HeldRef>) => processHeldSummary(job.data, deps), {
    connection,
    prefix: deps.prefix,
    concurrency: 1,
  });
}
