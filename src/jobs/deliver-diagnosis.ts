/**
 * The delivery of a finished diagnosis to Slack: the verdict on the root, the details and the chart
 * in its thread, then the incident records. Plain data in, so it runs either inside the diagnose
 * job or, handed off, in the per-channel sender's job (the diagnose worker's slot is then free
 * while Slack's pace is waited out). Each post is recorded once done: a retry never posts twice.
 */
import { describeError } from '../errors.ts';
import type { AlertDiagnosisHooks } from '../incidents/alert-diagnosis.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryData, DeliveryProgress } from '../queues/payloads.ts';
import { renderRoot } from '../render/blocks/diagnosis.ts';
import type { SlackMessage } from '../render/blocks/types.ts';
import type { SlackPoster } from '../slack/poster.ts';

export interface DeliverDeps {
  slack: SlackPoster;
  incidents: IncidentStore;
  logger: Logger;
  /** "Now" of the diagnosis, epoch seconds. */
  now(): number;
  alerts?: AlertDiagnosisHooks;
}

/** The fields of a delivery the root's verdict is drawn from. */
export type VerdictData = Pick<DeliveryData, 'reply' | 'alert' | 'diagnosis' | 'incidentId' | 'planId'>;

/**
 * The root message showing the verdict (with the alert incident's counters and status), and the
 * version of those counters it shows (0 without an alert incident).
 */
export async function renderVerdict(
  d: VerdictData,
  deps: Pick<DeliverDeps, 'alerts'>,
): Promise<{ message: SlackMessage; version: number }> {
  const extras =
    d.alert && deps.alerts && !d.reply.threadTs ? await deps.alerts.rootOptions(d.alert) : undefined;
  const message = renderRoot(d.diagnosis, {
    incidentId: d.incidentId,
    planId: d.planId,
    counters: extras?.counters,
    status: extras?.status,
  });
  return { message, version: extras?.version ?? 0 };
}

/** Where a delivery keeps its progress (the diagnose job's data, or the sender job's). */
export interface DeliveryRecorder {
  posted(): DeliveryProgress;
  record(patch: DeliveryProgress): Promise<void>;
  /** Before each post: throws once this run no longer owns the job. */
  fence(): Promise<void>;
}

export async function deliverDiagnosis(
  d: DeliveryData,
  deps: DeliverDeps,
  progress: DeliveryRecorder,
): Promise<void> {
  const { reply, rootTs, incidentId, planId, alert } = d;
  const log = deps.logger.child({
    jobId: d.jobId,
    requestId: d.requestId,
    incidentId,
    target: d.request.name,
    channel: reply.channel,
  });
  // the verdict waits for chat.update's budget, not for the thread: the replies go meanwhile (when
  // the diagnose job already showed this very content, the poster makes no second call)
  const shown = await renderVerdict(d, deps);
  const verdict = deps.slack.update(reply.channel, rootTs, shown.message);
  verdict.catch(() => undefined);
  const threadTs = reply.threadTs ?? rootTs;
  for (let i = progress.posted().threadCount ?? 0; i < d.thread.length; i++) {
    await progress.fence();
    await deps.slack.post(reply.channel, d.thread[i] as SlackMessage, threadTs);
    await progress.record({ threadCount: i + 1 });
  }
  if (d.chart && !progress.posted().chart) {
    await progress.fence();
    await uploadChart(d, deps, threadTs, log);
    await progress.record({ chart: true });
  }
  await verdict;
  await deps.incidents.save({
    id: incidentId,
    request: d.request,
    channel: reply.channel,
    rootTs,
    cause: d.diagnosis.cause,
    state: 'diagnosed',
    updatedAt: deps.now(),
  });
  if (alert && deps.alerts) {
    await deps.alerts.finish(alert, {
      renderedVersion: shown.version,
      ...(planId ? { planId } : {}),
      ...(reply.threadTs
        ? {}
        : { snapshot: { kind: 'verdict', incidentId, planId, diagnosis: d.diagnosis } }),
    });
  }
  log.info({ cause: d.diagnosis.cause, confidence: d.diagnosis.confidence }, 'diagnosis posted');
}

/** The chart drawn by the diagnosis, or a note saying why there is none. */
async function uploadChart(d: DeliveryData, deps: DeliverDeps, threadTs: string, log: Logger): Promise<void> {
  const chart = d.chart as NonNullable<DeliveryData['chart']>;
  let problem = 'error' in chart ? chart.error : undefined;
  if ('png' in chart) {
    try {
      const png = Buffer.from(chart.png, 'base64');
      await deps.slack.uploadPng(d.reply.channel, threadTs, png, chart.title, chart.altText);
      return;
    } catch (error) {
      problem = describeError(error);
    }
  }
  log.warn({ err: problem }, 'chart upload failed');
  await deps.slack.post(
    d.reply.channel,
    { text: `The memory chart could not be uploaded: ${problem}`, blocks: [] },
    threadTs,
  );
}
