/**
 * The diagnose job's results in Slack: the verdict on the root, the details and the chart in its
 * thread, each post recorded once done; and the note on the root of a job BullMQ gave up on.
 */

import { compactDiagnosis } from '../contracts/alert-incident-types.ts';
import type { DiagnosisRun } from '../diagnosis-service.ts';
import type { Diagnosis, Target } from '../domain/types.ts';
import { describeError } from '../errors.ts';
import { renderRoot, renderThread } from '../render/blocks/diagnosis.ts';
import { renderChartPng } from '../render/chart.ts';
import { escapeMrkdwn } from '../render/mrkdwn.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { type DiagnoseJob, type DiagnoseRun, type DiagnoseSources, record } from './diagnose-job.ts';

/** The verdict on the root, the details and the chart in its thread, each post recorded once done. */
export async function postDiagnosis(
  run: DiagnoseRun,
  { target, diagnosis }: DiagnosisRun,
  { rootTs, incidentId }: { rootTs: string; incidentId: string },
  sources: DiagnoseSources,
): Promise<void> {
  const { job, deps, log, alert, reply } = run;
  await linkNodeIncident(run, diagnosis);
  const planId = await storePlan(run, diagnosis, { rootTs, incidentId }, sources);
  const extras = alert && deps.alerts && !reply.threadTs ? await deps.alerts.rootOptions(alert) : undefined;
  await deps.slack.update(
    reply.channel,
    rootTs,
    renderRoot(diagnosis, { incidentId, planId, counters: extras?.counters, status: extras?.status }),
  );
  const thread = renderThread(diagnosis);
  const threadTs = reply.threadTs ?? rootTs;
  for (let i = job.data.posted?.threadCount ?? 0; i < thread.length; i++) {
    await run.fence();
    await deps.slack.post(reply.channel, thread[i] as (typeof thread)[number], threadTs);
    await record(job, { threadCount: i + 1 });
  }
  if (!job.data.posted?.chart && diagnosis.chart.pods.length > 0) {
    await run.fence();
    await uploadChart(run, target, diagnosis, threadTs);
    await record(job, { chart: true });
  }
  await deps.incidents.save({
    id: incidentId,
    request: job.data.request,
    channel: reply.channel,
    rootTs,
    cause: diagnosis.cause,
    state: 'diagnosed',
    updatedAt: deps.now(),
  });
  if (alert && deps.alerts) {
    await deps.alerts.finish(alert, {
      renderedVersion: extras?.version ?? 0,
      ...(planId ? { planId } : {}),
      ...(reply.threadTs
        ? {}
        : { snapshot: { kind: 'verdict', incidentId, planId, diagnosis: compactDiagnosis(diagnosis) } }),
    });
  }
  log.info({ cause: diagnosis.cause, confidence: diagnosis.confidence }, 'diagnosis posted');
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

async function uploadChart(
  run: DiagnoseRun,
  target: Target,
  diagnosis: Diagnosis,
  threadTs: string,
): Promise<void> {
  const { deps, reply } = run;
  const title = `${target.namespace}/${target.workload.name} · ${diagnosis.container} memory`;
  try {
    const png = renderChartPng(diagnosis.chart, title);
    await deps.slack.uploadPng(reply.channel, threadTs, png, title, chartAltText(diagnosis));
  } catch (error) {
    run.log.warn({ err: describeError(error) }, 'chart upload failed');
    await deps.slack.post(
      reply.channel,
      { text: `The memory chart could not be uploaded: ${describeError(error)}`, blocks: [] },
      threadTs,
    );
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
