/**
 * The diagnose job's results in Slack: the verdict, details and chart rendered and delivered (by the
 * sender, or by the job itself); and the note on the root of a job BullMQ gave up on.
 */

import { compactDiagnosis } from '../contracts/alert-incident-types.ts';
import type { DiagnosisRun } from '../diagnosis-service.ts';
import type { Diagnosis, Target } from '../domain/types.ts';
import { describeError } from '../errors.ts';
import type { DeliveryData } from '../queues/payloads.ts';
import { renderThread } from '../render/blocks/diagnosis.ts';
import { renderChartPng } from '../render/chart.ts';
import { escapeMrkdwn } from '../render/mrkdwn.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { deliverDiagnosis, renderVerdict, type VerdictData } from './deliver-diagnosis.ts';
import {
  type DiagnoseJob,
  type DiagnoseRun,
  type DiagnoseSources,
  markStep,
  record,
} from './diagnose-job.ts';

/**
 * The verdict on the root, the details and the chart in its thread: rendered here, then handed to
 * the per-channel sender when one is wired (the job ends without waiting for Slack's pace), else
 * delivered by this job, each post recorded once done.
 */
export async function postDiagnosis(
  run: DiagnoseRun,
  { target, diagnosis }: DiagnosisRun,
  { rootTs, incidentId }: { rootTs: string; incidentId: string },
  sources: DiagnoseSources,
): Promise<void> {
  const { job, deps, alert, reply } = run;
  await linkNodeIncident(run, diagnosis);
  const planId = await storePlan(run, diagnosis, { rootTs, incidentId }, sources);
  markStep(run, 'planStored');
  const verdict: VerdictData = {
    reply,
    incidentId,
    ...(planId ? { planId } : {}),
    ...(alert ? { alert } : {}),
    diagnosis: compactDiagnosis(diagnosis),
  };
  // the verdict first: drawing the chart holds the event loop for about a tenth of a second
  await withinHeadStart(showVerdict(run, rootTs, verdict));
  const delivery: DeliveryData = {
    ...verdict,
    request: job.data.request,
    rootTs,
    thread: renderThread(diagnosis),
    ...(diagnosis.chart.pods.length > 0 ? { chart: drawChart(run, target, diagnosis) } : {}),
    ...(job.data.requestId ? { requestId: job.data.requestId } : {}),
    ...(job.id ? { jobId: job.id } : {}),
    // what this job posted itself in an earlier attempt (before a handoff existed) is not posted again
    posted: { threadCount: job.data.posted?.threadCount ?? 0, chart: job.data.posted?.chart ?? false },
  };
  markStep(run, 'rendered');
  if (deps.handOff) {
    await run.fence();
    await deps.handOff(delivery);
    markStep(run, 'handedOff');
    run.log.info({ cause: diagnosis.cause, stepsMs: run.steps }, 'diagnosis handed to the sender');
    return;
  }
  await deliverDiagnosis(delivery, deps, {
    posted: () => job.data.posted ?? {},
    record: (patch) => record(job, patch),
    fence: run.fence,
  });
}

/**
 * How long a diagnose job waits for its verdict to be shown before it draws the thread and the
 * chart (synchronous work that would hold the request back). Past it, the job goes on: in a storm
 * the update waits for chat.update's budget, not in this job's slot.
 */
const VERDICT_HEAD_START_MS = 500;

/** Settles when `shown` does or after {@link VERDICT_HEAD_START_MS}, whichever is first. */
async function withinHeadStart(shown: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, VERDICT_HEAD_START_MS);
  });
  await Promise.race([shown, cap]);
  clearTimeout(timer);
}

/**
 * The verdict on the root at once, before the thread and the chart are drawn (about a third of the
 * time to the verdict). The delivery asks for the same update again: the poster then makes no
 * call, or makes it if this one failed. Settles when shown or failed; never rejects.
 */
function showVerdict(run: DiagnoseRun, rootTs: string, verdict: VerdictData): Promise<void> {
  return renderVerdict(verdict, run.deps)
    .then(({ message }) => run.deps.slack.update(verdict.reply.channel, rootTs, message))
    .catch((error: unknown) =>
      run.log.warn({ err: describeError(error) }, 'verdict not shown early; the delivery shows it'),
    );
}

/** The chart as a base64 PNG, or why it could not be drawn. */
function drawChart(
  run: DiagnoseRun,
  target: Target,
  diagnosis: Diagnosis,
): NonNullable<DeliveryData['chart']> {
  const title = `${target.namespace}/${target.workload.name} · ${diagnosis.container} memory`;
  try {
    const png = renderChartPng(diagnosis.chart, title);
    return { png: Buffer.from(png).toString('base64'), title, altText: chartAltText(diagnosis) };
  } catch (error) {
    run.log.warn({ err: describeError(error) }, 'chart not drawn');
    return { error: describeError(error) };
  }
}

/** A workload killed by node pressure points at its node's incident thread, when there is one. */
async function linkNodeIncident(run: DiagnoseRun, diagnosis: Diagnosis): Promise<void> {
  const node = diagnosis.pressureNode;
  if (!node || !run.deps.alerts) return;
  try {
    const thread = await run.deps.alerts.nodeThreadFor(node.name, run.job.data.request.cluster);
    if (thread) diagnosis.pressureNode = { ...node, incident: thread };
  } catch (error) {
    // the link is a convenience: the diagnosis is posted without it
    run.log.warn({ err: describeError(error), node: node.name }, 'node incident lookup failed');
  }
}

/** The remediation plan of the diagnosis (recorded, so a retry reuses it); undefined without one. */
async function storePlan(
  run: DiagnoseRun,
  diagnosis: Diagnosis,
  { rootTs, incidentId }: { rootTs: string; incidentId: string },
  sources: DiagnoseSources,
): Promise<string | undefined> {
  const { job, deps, reply } = run;
  const recorded = job.data.posted?.planId;
  if (recorded || !deps.createPlan) return recorded;
  try {
    const planId = await deps.createPlan(diagnosis, {
      incidentId,
      channel: reply.channel,
      messageTs: rootTs,
      threadTs: reply.threadTs ?? rootTs,
      // only a slash command names who asked; Re-diagnose never makes the clicker the requester
      requester: job.data.trigger === 'slash_command' ? reply.userId : undefined,
      // changes go to the context the evidence came from
      cluster: sources.defaulted ? undefined : job.data.request.cluster,
      lister: sources.cluster,
    });
    if (planId) await record(job, { planId });
    return planId;
  } catch (error) {
    run.log.warn({ err: describeError(error) }, 'remediation plan not stored; no remediation buttons');
    return undefined;
  }
}

/**
 * A job BullMQ gave up on without running the processor (its workers died mid-job more often than
 * the stalled-job limit allows: a poison job): the root message, if one was posted, says the
 * diagnosis stopped, instead of showing its progress forever.
 */
export async function reportAbandoned(
  job: Pick<DiagnoseJob, 'data'>,
  slack: Pick<SlackPoster, 'update'>,
  reason: string,
): Promise<boolean> {
  const rootTs = job.data.posted?.rootTs;
  if (!rootTs) return false;
  const { request, reply } = job.data;
  const what = escapeMrkdwn(`${request.namespace ? `${request.namespace}/` : ''}${request.name}`);
  const text = `:x: *${what}* · diagnosis stopped: ${escapeMrkdwn(reason)}. Nothing was changed; run \`/oom ${escapeMrkdwn(request.name)}\` again.`;
  await slack.update(reply.channel, rootTs, {
    text: escapeMrkdwn(`The diagnosis of ${request.name} stopped: ${reason}`),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });
  return true;
}

function chartAltText(d: Diagnosis): string {
  const limit = d.facts.limitBytes ? `limit ${d.facts.limitBytes} bytes` : 'no limit';
  return `Memory working set of ${d.container} per pod over the window with ${limit}, ${d.kills.oomKills} OOM kill markers${
    d.recommendation ? ` and the proposed limit ${d.recommendation.memoryLimit}` : ''
  }.`;
}
