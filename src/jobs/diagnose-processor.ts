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
import type { AlertDiagnosisHooks } from '../incidents/alert-diagnosis.ts';
import { stripChartSeries } from '../incidents/alert-incidents.ts';
import { type IncidentStore, newIncidentId } from '../incidents/store.ts';
import type { Logger } from '../logger.ts';
import type { CreatePlan } from '../remediation/planner.ts';
import { renderProgress, renderRoot, renderThread } from '../slack/blocks/diagnosis.ts';
import { renderChartPng } from '../slack/chart.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { resolveTarget } from '../sources/cluster.ts';
import type { DiagnoseJobData } from './queues.ts';

export interface DiagnoseDeps {
  /**
   * `lenient`: the name is an alert's `cluster` label (see createSourceFactory); `defaulted` in the
   * answer: it named no context and the bot's only cluster is used.
   */
  sourcesFor(cluster?: string, options?: { lenient?: boolean }): EvidenceSources & { defaulted?: boolean };
  /** "Now" for the diagnosis, epoch seconds (a scenario's `at` in scenario mode). */
  now(): number;
  slack: SlackPoster;
  incidents: IncidentStore;
  logger: Logger;
  windowSeconds?: number;
  timeoutMs?: number;
  recommend?: Partial<RecommendOptions>;
  /** Stores the remediation plan of a diagnosis; its id puts Apply/Preview/Create VPA/Scale out on the root. */
  createPlan?: CreatePlan;
  /** Alert incidents: counters on the root, reopened threads, `/oom` answered in an open incident's thread. */
  alerts?: AlertDiagnosisHooks;
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

/**
 * `fence`, called before each Slack post, throws once this run no longer owns the job: its lock
 * expired (Redis was away longer than JOB_LOCK_MS) and BullMQ handed the job to another run, which
 * continues from the recorded progress. Without it both runs would post the rest of the thread.
 */
export async function processDiagnose(
  job: DiagnoseJob,
  deps: DiagnoseDeps,
  fence: () => Promise<void> = async () => undefined,
): Promise<{ cause: string } | undefined> {
  const { request } = job.data;
  let { reply } = job.data;
  const log = deps.logger.child({
    jobId: job.id,
    requestId: job.data.requestId,
    target: request.name,
    namespace: request.namespace,
    cluster: request.cluster,
  });
  let sources: EvidenceSources & { defaulted?: boolean };
  try {
    sources = deps.sourcesFor(request.cluster, { lenient: job.data.trigger === 'alert' });
  } catch (error) {
    // an unknown --cluster or alert `cluster` label: say so once, retrying cannot help
    if (!(error instanceof OomBotError && error.code === 'config_invalid')) throw error;
    log.info({ code: error.code, err: error.userMessage }, 'cluster not usable');
    if (!job.data.posted?.failed) {
      await fence();
      if (job.data.alert && deps.alerts) {
        await deps.alerts.targetProblem(job.data.alert, reply, request, error.userMessage);
      } else await replyTargetProblem(job, deps, error);
      await record(job, { failed: true });
    }
    return undefined;
  }
  const alert = deps.alerts ? job.data.alert : undefined;
  if (alert && deps.alerts) {
    const gate = await deps.alerts.begin(alert, reply);
    if (!gate.proceed) {
      log.info({ reason: gate.reason, incident: alert.key }, 'alert diagnosis not run');
      return undefined;
    }
  }

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
        await fence();
        if (alert && deps.alerts) await deps.alerts.targetProblem(alert, reply, request, error.userMessage);
        else await replyTargetProblem(job, deps, error);
        await record(job, { failed: true });
      }
      return undefined;
    }
    if (alert && deps.alerts && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      // the last attempt: the incident still gets its thread, saying why there is no diagnosis
      await deps.alerts.targetProblem(alert, reply, request, describeError(error));
    }
    throw error;
  }
  if (request.cluster) target.cluster = request.cluster;
  if (!alert && deps.alerts && !job.data.posted?.rootTs) {
    // A workload with an open alert incident: never a second diagnosis while its plan awaits
    // approval; otherwise `/oom` answers in that incident's thread.
    const open = await deps.alerts.openThreadFor(target, request.cluster);
    if (open?.approvalPending) {
      const text = `:hourglass: ${target.namespace}/${target.workload.name} has an open alert incident whose plan still awaits approval in <#${open.channel}>; no new diagnosis until it is approved or expires.`;
      if (reply.responseUrl) await deps.slack.respond(reply.responseUrl, { text });
      else await deps.slack.post(open.channel, { text, blocks: [] }, open.rootTs);
      return undefined;
    }
    if (open && !reply.threadTs) {
      job.data = { ...job.data, reply: { ...reply, channel: open.channel, threadTs: open.rootTs } };
      await job.updateData(job.data);
      reply = job.data.reply;
      if (reply.responseUrl) {
        await deps.slack
          .respond(reply.responseUrl, {
            text: `:thread: Answering in the open alert incident's thread in <#${open.channel}>.`,
          })
          .catch((error: unknown) => log.warn({ err: describeError(error) }, 'response_url failed'));
      }
    }
  }

  const incidentId = job.data.posted?.incidentId ?? newIncidentId();
  let rootTs = job.data.posted?.rootTs;
  if (!rootTs) {
    await fence();
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
  if (alert && deps.alerts && !reply.threadTs) await deps.alerts.rootPosted(alert, rootTs, incidentId);

  let diagnosis: Diagnosis;
  try {
    const evidence = await collectEvidence(sources, target, {
      at: deps.now(),
      windowSeconds: deps.windowSeconds,
      timeoutMs: deps.timeoutMs,
    });
    // Updates of the root do not wait for Slack's posting pace, so this costs no interval.
    await deps.slack.update(reply.channel, rootTs, renderProgress(target, 'analysing'));
    diagnosis = diagnose(evidence, deps.recommend);
  } catch (error) {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    log.error({ err: describeError(error), last }, 'diagnosis failed');
    if (last) {
      await deps.slack.update(reply.channel, rootTs, renderProgress(target, 'failed', describeError(error)));
      if (alert && deps.alerts) {
        const detail = describeError(error);
        await deps.alerts.finish(alert, {
          renderedVersion: 0,
          ...(reply.threadTs ? {} : { snapshot: { kind: 'failed', incidentId, target, detail } }),
        });
      }
    }
    throw error;
  }

  let planId = job.data.posted?.planId;
  if (!planId && deps.createPlan) {
    try {
      planId = await deps.createPlan(diagnosis, {
        incidentId,
        channel: reply.channel,
        messageTs: rootTs,
        threadTs: reply.threadTs ?? rootTs,
        requester: reply.userId,
        // changes go to the context the evidence came from
        cluster: sources.defaulted ? undefined : request.cluster,
        lister: sources.cluster,
      });
      if (planId) await record(job, { planId });
    } catch (error) {
      log.warn({ err: describeError(error) }, 'remediation plan not stored; no remediation buttons');
    }
  }
  const extras = alert && deps.alerts && !reply.threadTs ? await deps.alerts.rootOptions(alert) : undefined;
  await deps.slack.update(
    reply.channel,
    rootTs,
    renderRoot(diagnosis, { incidentId, planId, counters: extras?.counters, status: extras?.status }),
  );
  const thread = renderThread(diagnosis);
  const threadTs = reply.threadTs ?? rootTs;
  for (let i = job.data.posted?.threadCount ?? 0; i < thread.length; i++) {
    await fence();
    await deps.slack.post(reply.channel, thread[i] as (typeof thread)[number], threadTs);
    await record(job, { threadCount: i + 1 });
  }
  if (!job.data.posted?.chart && diagnosis.chart.pods.length > 0) {
    const title = `${target.namespace}/${target.workload.name} · ${diagnosis.container} memory`;
    await fence();
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
  if (alert && deps.alerts) {
    await deps.alerts.finish(alert, {
      renderedVersion: extras?.version ?? 0,
      ...(planId ? { planId } : {}),
      ...(reply.threadTs
        ? {}
        : { snapshot: { kind: 'verdict', incidentId, planId, diagnosis: stripChartSeries(diagnosis) } }),
    });
  }
  log.info({ cause: diagnosis.cause, confidence: diagnosis.confidence }, 'diagnosis posted');
  return { cause: diagnosis.cause };
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
