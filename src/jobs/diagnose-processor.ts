/**
 * The diagnose job: runs the diagnosis service, posting the root message once the target is
 * resolved, updating it in place and replying in its thread with the details and the chart. Each Slack post is recorded
 * in the job, so a retried or recovered job continues where it stopped and never posts twice.
 */
import { diagnoseWorkload } from '../diagnosis-service.ts';
import type { Target } from '../domain/types.ts';
import { describeError, OomBotError } from '../errors.ts';
import { newIncidentId } from '../incidents/store.ts';
import { renderProgress } from '../render/blocks/progress.ts';
import {
  type DiagnoseDeps,
  type DiagnoseJob,
  type DiagnoseRun,
  type DiagnoseSources,
  isLastAttempt,
  markStep,
  record,
} from './diagnose-job.ts';
import { postDiagnosis } from './diagnose-posts.ts';
import { postRootOnce } from './diagnose-root.ts';
import { processNodeDiagnose } from './node-diagnose.ts';

/** Tell the requester privately (slash command) or in the channel (alert) that the target is unclear. */
async function replyTargetProblem(job: DiagnoseJob, deps: DiagnoseDeps, message: string): Promise<void> {
  const { reply } = job.data;
  const text = `:mag: ${message}`;
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
  if (job.data.node) return processNodeDiagnose(job, deps, fence);
  const { request } = job.data;
  const log = deps.logger.child({
    jobId: job.id,
    requestId: job.data.requestId,
    target: request.name,
    namespace: request.namespace,
    cluster: request.cluster,
  });
  const run: DiagnoseRun = { job, deps, log, fence, reply: job.data.reply, startedAt: performance.now() };
  const sources = await openSources(run);
  if (!sources) return undefined;
  run.alert = deps.alerts ? job.data.alert : undefined;
  if (run.alert && deps.alerts) {
    const gate = await deps.alerts.begin(run.alert, run.reply);
    if (!gate.proceed) {
      log.info({ reason: gate.reason, incident: run.alert.key }, 'alert diagnosis not run');
      return undefined;
    }
  }

  let target: Target | undefined;
  let root: { rootTs: string; incidentId: string } | undefined;
  let result: Awaited<ReturnType<typeof diagnoseWorkload>>;
  try {
    result = await diagnoseWorkload(
      sources,
      {
        name: request.name,
        namespace: request.namespace,
        // an alert that named only its pod: the pod goes to the resolver as a pod
        ...(job.data.alert?.pod && job.data.alert.pod === request.name ? { pod: request.name } : {}),
        at: deps.now(),
        windowSeconds: deps.windowSeconds,
      },
      { timeoutMs: deps.timeoutMs, recommend: deps.recommend, cluster: request.cluster },
      {
        resolved: async (resolved) => {
          target = resolved;
          markStep(run, 'resolved');
          root = await postRoot(run, resolved);
          markStep(run, 'rootPosted');
          return root !== undefined;
        },
        // A routine update, not awaited: it waits for chat.update's budget, not this job, and the
        // verdict replaces it while it waits (the latest content of a message wins).
        collected: async () => {
          markStep(run, 'evidence');
          if (root && target) {
            deps.slack
              .update(run.reply.channel, root.rootTs, renderProgress(target, 'analysing'), { routine: true })
              .catch((error: unknown) => log.warn({ err: describeError(error) }, 'progress update failed'));
          }
        },
      },
    );
  } catch (error) {
    if (!target) return reportUnresolved(run, error);
    if (root) await reportFailed(run, target, root, error);
    throw error;
  }
  if (!result || !root) return undefined;
  markStep(run, 'diagnosed');
  await postDiagnosis(run, result, root, sources);
  return { cause: result.diagnosis.cause };
}

/** The sources of the cluster asked for; undefined (after saying so once) when the name is unknown. */
async function openSources(run: DiagnoseRun): Promise<DiagnoseSources | undefined> {
  const { job, deps, log } = run;
  const { request } = job.data;
  try {
    return deps.sourcesFor(request.cluster, { lenient: job.data.trigger === 'alert' });
  } catch (error) {
    // an unknown --cluster or alert `cluster` label: say so once, retrying cannot help
    if (
      !(error instanceof OomBotError && (error.code === 'config_invalid' || error.code === 'unknown_context'))
    )
      throw error;
    log.info({ code: error.code, err: error.userMessage }, 'cluster not usable');
    await sayTargetProblem(run, error.userMessage, job.data.alert);
    return undefined;
  }
}

/** Say once why there is no diagnosis: in the incident's thread, privately, or in the channel. */
async function sayTargetProblem(run: DiagnoseRun, message: string, alert = run.alert): Promise<void> {
  const { job, deps } = run;
  if (job.data.posted?.failed) return;
  await run.fence();
  if (alert && deps.alerts) await deps.alerts.targetProblem(alert, run.reply, job.data.request, message);
  else await replyTargetProblem(job, deps, message);
  await record(job, { failed: true });
}

/** A target not found or ambiguous is answered once; other failures are retried. */
async function reportUnresolved(run: DiagnoseRun, error: unknown): Promise<undefined> {
  const { job, deps, alert } = run;
  if (
    error instanceof OomBotError &&
    (error.code === 'target_not_found' || error.code === 'target_ambiguous')
  ) {
    run.log.info({ code: error.code }, 'target not resolved');
    await sayTargetProblem(run, error.userMessage);
    return undefined;
  }
  if (alert && deps.alerts && isLastAttempt(job)) {
    // the last attempt: the incident still gets its thread, saying why there is no diagnosis
    await deps.alerts.targetProblem(alert, run.reply, job.data.request, describeError(error));
  }
  throw error;
}

/** Evidence or diagnosis failed: on the last attempt the root says so (and the incident records it). */
async function reportFailed(
  run: DiagnoseRun,
  target: Target,
  root: { rootTs: string; incidentId: string },
  error: unknown,
): Promise<void> {
  const { job, deps, alert, reply } = run;
  const last = isLastAttempt(job);
  const detail = describeError(error);
  run.log.error({ err: detail, last }, 'diagnosis failed');
  if (!last) return;
  await deps.slack.update(reply.channel, root.rootTs, renderProgress(target, 'failed', detail));
  if (alert && deps.alerts) {
    await deps.alerts.finish(alert, {
      renderedVersion: 0,
      ...(reply.threadTs
        ? {}
        : { snapshot: { kind: 'failed', incidentId: root.incidentId, target, detail } }),
    });
  }
}

/**
 * Post (or find the recorded) root message showing progress. Undefined when `/oom` must not run:
 * the workload's open alert incident still awaits approval of its plan.
 */
async function postRoot(
  run: DiagnoseRun,
  target: Target,
): Promise<{ rootTs: string; incidentId: string } | undefined> {
  const { job, deps, alert } = run;
  if (!alert && deps.alerts && !job.data.posted?.rootTs && !(await joinOpenIncident(run, target)))
    return undefined;
  const { reply } = run;
  const incidentId = job.data.posted?.incidentId ?? newIncidentId();
  let rootTs = job.data.posted?.rootTs;
  if (!rootTs) {
    await run.fence();
    rootTs = await postRootOnce(run, renderProgress(target, 'gathering'));
    await record(job, { rootTs, incidentId });
    await deps.incidents.save({
      id: incidentId,
      request: job.data.request,
      channel: reply.channel,
      rootTs,
      state: 'diagnosing',
      updatedAt: deps.now(),
    });
  }
  if (alert && deps.alerts && !reply.threadTs) await deps.alerts.rootPosted(alert, rootTs, incidentId);
  return { rootTs, incidentId };
}

/**
 * A workload with an open alert incident: never a second diagnosis while its plan awaits approval
 * (false); otherwise `/oom` answers in that incident's thread.
 */
async function joinOpenIncident(run: DiagnoseRun, target: Target): Promise<boolean> {
  const { job, deps, log } = run;
  const open = await deps.alerts?.openThreadFor(target, job.data.request.cluster);
  let { reply } = run;
  if (open?.approvalPending) {
    const text = `:hourglass: ${target.namespace}/${target.workload.name} has an open alert incident whose plan still awaits approval in <#${open.channel}>; no new diagnosis until it is approved or expires.`;
    if (reply.responseUrl) await deps.slack.respond(reply.responseUrl, { text });
    else await deps.slack.post(open.channel, { text, blocks: [] }, open.rootTs);
    return false;
  }
  if (open && !reply.threadTs) {
    job.data = { ...job.data, reply: { ...reply, channel: open.channel, threadTs: open.rootTs } };
    await job.updateData(job.data);
    reply = run.reply = job.data.reply;
    if (reply.responseUrl) {
      await deps.slack
        .respond(reply.responseUrl, {
          text: `:thread: Answering in the open alert incident's thread in <#${open.channel}>.`,
        })
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'response_url failed'));
    }
  }
  return true;
}
