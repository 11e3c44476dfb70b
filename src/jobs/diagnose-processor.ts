/**
 * The diagnose job: post the root message at once, gather evidence, diagnose, update the root
 * in place and reply in its thread with the details and the chart. Each Slack post is recorded
 * in the job, so a retried or recovered job continues where it stopped and never posts twice.
 */
import { diagnose } from '../domain/diagnose.ts';
import type { RecommendOptions } from '../domain/recommend.ts';
import type { Diagnosis, Target } from '../domain/types.ts';
import { describeError, OomBotError } from '../errors.ts';
import { collectEvidence, type EvidenceSources } from '../evidence.ts';
import { type IncidentStore, newIncidentId } from '../incidents/store.ts';
import type { Logger } from '../logger.ts';
import { renderProgress, renderRoot, renderThread } from '../slack/blocks/diagnosis.ts';
import { renderChartPng } from '../slack/chart.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { resolveTarget } from '../sources/cluster.ts';
import type { DiagnoseJobData } from './queues.ts';

export interface DiagnoseDeps {
  sourcesFor(cluster?: string): EvidenceSources;
  /** "Now" for the diagnosis, epoch seconds (a scenario's `at` in scenario mode). */
  now(): number;
  slack: SlackPoster;
  incidents: IncidentStore;
  logger: Logger;
  windowSeconds?: number;
  timeoutMs?: number;
  recommend?: Partial<RecommendOptions>;
}

/** The part of a BullMQ job the processor uses: testable without Redis. */
export interface DiagnoseJob {
  id?: string;
  data: DiagnoseJobData & { posted?: DiagnoseJobData['posted'] & { incidentId?: string } };
  attemptsMade: number;
  opts: { attempts?: number };
  updateData(data: DiagnoseJob['data']): Promise<void>;
}

async function record(job: DiagnoseJob, patch: NonNullable<DiagnoseJob['data']['posted']>): Promise<void> {
  job.data = { ...job.data, posted: { ...job.data.posted, ...patch } };
  await job.updateData(job.data);
}

/** Tell the requester privately (slash command) or in the channel (alert) that the target is unclear. */
async function replyTargetProblem(job: DiagnoseJob, deps: DiagnoseDeps, error: OomBotError): Promise<void> {
  const { reply } = job.data;
  const text = `:mag: ${error.userMessage}`;
  if (reply.responseUrl) {
    await deps.slack.respond(reply.responseUrl, { text });
    return;
  }
  await deps.slack.post(reply.channel, { text, blocks: [] }, reply.threadTs);
}

export async function processDiagnose(
  job: DiagnoseJob,
  deps: DiagnoseDeps,
): Promise<{ cause: string } | undefined> {
  const { request, reply } = job.data;
  const log = deps.logger.child({ jobId: job.id, target: request.name, namespace: request.namespace });
  const sources = deps.sourcesFor(request.cluster);

  let target: Target;
  try {
    target = await resolveTarget(sources.cluster, { name: request.name, namespace: request.namespace });
  } catch (error) {
    if (
      error instanceof OomBotError &&
      (error.code === 'target_not_found' || error.code === 'target_ambiguous')
    ) {
      log.info({ code: error.code }, 'target not resolved');
      if (!job.data.posted?.failed) {
        await replyTargetProblem(job, deps, error);
        await record(job, { failed: true });
      }
      return undefined;
    }
    throw error;
  }
  if (request.cluster) target.cluster = request.cluster;

  const incidentId = job.data.posted?.incidentId ?? newIncidentId();
  let rootTs = job.data.posted?.rootTs;
  if (!rootTs) {
    rootTs = await deps.slack.post(reply.channel, renderProgress(target, 'gathering'), reply.threadTs);
    await record(job, { rootTs, incidentId });
    await deps.incidents.save({
      id: incidentId,
      request,
      channel: reply.channel,
      rootTs,
      state: 'diagnosing',
      updatedAt: deps.now(),
    });
  }

  let diagnosis: Diagnosis;
  try {
    const evidence = await collectEvidence(sources, target, {
      at: deps.now(),
      windowSeconds: deps.windowSeconds,
      timeoutMs: deps.timeoutMs,
    });
    await deps.slack.update(reply.channel, rootTs, renderProgress(target, 'analysing'));
    diagnosis = diagnose(evidence, deps.recommend);
  } catch (error) {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    log.error({ err: describeError(error), last }, 'diagnosis failed');
    if (last)
      await deps.slack.update(reply.channel, rootTs, renderProgress(target, 'failed', describeError(error)));
    throw error;
  }

  await deps.slack.update(reply.channel, rootTs, renderRoot(diagnosis, { incidentId }));
  const thread = renderThread(diagnosis);
  const threadTs = reply.threadTs ?? rootTs;
  for (let i = job.data.posted?.threadCount ?? 0; i < thread.length; i++) {
    await deps.slack.post(reply.channel, thread[i] as (typeof thread)[number], threadTs);
    await record(job, { threadCount: i + 1 });
  }
  if (!job.data.posted?.chart && diagnosis.chart.pods.length > 0) {
    const title = `${target.namespace}/${target.workload.name} · ${diagnosis.container} memory`;
    try {
      const png = renderChartPng(diagnosis.chart, title);
      await deps.slack.uploadPng(reply.channel, threadTs, png, title, chartAltText(diagnosis));
    } catch (error) {
      log.warn({ err: describeError(error) }, 'chart upload failed');
      await deps.slack.post(
        reply.channel,
        { text: `The memory chart could not be uploaded: ${describeError(error)}`, blocks: [] },
        threadTs,
      );
    }
    await record(job, { chart: true });
  }
  await deps.incidents.save({
    id: incidentId,
    request,
    channel: reply.channel,
    rootTs,
    cause: diagnosis.cause,
    state: 'diagnosed',
    updatedAt: deps.now(),
  });
  log.info({ cause: diagnosis.cause, confidence: diagnosis.confidence }, 'diagnosis posted');
  return { cause: diagnosis.cause };
}

function chartAltText(d: Diagnosis): string {
  const limit = d.facts.limitBytes ? `limit ${d.facts.limitBytes} bytes` : 'no limit';
  return `Memory working set of ${d.container} per pod over the window with ${limit}, ${d.kills.oomKills} OOM kill markers${
    d.recommendation ? ` and the proposed limit ${d.recommendation.memoryLimit}` : ''
  }.`;
}
