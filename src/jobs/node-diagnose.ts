/**
 * The node diagnosis job of a node incident: once the incident's root is posted, diagnose the node
 * (the pods that filled it, the requests to raise, the workloads to spread) and post it in the
 * root's thread, each post recorded so a retried job never posts twice. A node that no longer
 * exists, or a cluster the bot does not know, is said once in the thread.
 */
import { describeError, OomBotError } from '../errors.ts';
import { diagnoseNodeByName } from '../node-diagnosis-service.ts';
import { isNodeName } from '../node-evidence.ts';
import type { NodeJobInfo } from '../queues/payloads.ts';
import { renderNodeThread } from '../render/blocks/node-diagnosis.ts';
import { escapeMrkdwn } from '../render/mrkdwn.ts';
import { type DiagnoseDeps, type DiagnoseJob, isLastAttempt, record } from './diagnose-job.ts';

async function sayOnce(job: DiagnoseJob, deps: DiagnoseDeps, fence: () => Promise<void>, text: string) {
  if (job.data.posted?.failed) return;
  await fence();
  await deps.slack.post(job.data.reply.channel, { text, blocks: [] }, job.data.reply.threadTs);
  await record(job, { failed: true });
}

/** Diagnose the node and post the diagnosis in the incident's thread. */
export async function processNodeDiagnose(
  job: DiagnoseJob,
  deps: DiagnoseDeps,
  fence: () => Promise<void> = async () => undefined,
): Promise<{ cause: string } | undefined> {
  const node = job.data.node as NodeJobInfo;
  const { reply, request } = job.data;
  const log = deps.logger.child({ jobId: job.id, node: node.name, incident: node.key });
  if (!isNodeName(node.name)) {
    await sayOnce(
      job,
      deps,
      fence,
      ":mag: No node diagnosis: the alert's node label is not a Kubernetes node name.",
    );
    return undefined;
  }
  let result: Awaited<ReturnType<typeof diagnoseNodeByName>>;
  try {
    const sources = deps.sourcesFor(request.cluster, { lenient: true });
    result = await diagnoseNodeByName(
      sources,
      { node: node.name, at: deps.now() },
      { timeoutMs: deps.timeoutMs },
    );
  } catch (error) {
    const final =
      error instanceof OomBotError &&
      (error.code === 'target_not_found' ||
        error.code === 'config_invalid' ||
        error.code === 'unknown_context');
    if (final || isLastAttempt(job)) {
      log.info({ err: describeError(error) }, 'node not diagnosed');
      await sayOnce(job, deps, fence, `:mag: No node diagnosis: ${escapeMrkdwn(describeError(error))}`);
      return undefined;
    }
    throw error;
  }
  const thread = renderNodeThread(result.diagnosis, result.missing);
  for (let i = job.data.posted?.threadCount ?? 0; i < thread.length; i++) {
    await fence();
    await deps.slack.post(reply.channel, thread[i] as (typeof thread)[number], reply.threadTs);
    await record(job, { threadCount: i + 1 });
  }
  log.info(
    { pods: result.diagnosis.pods.length, evictions: result.diagnosis.evictions.length },
    'node diagnosis posted',
  );
  return { cause: 'node_pressure' };
}
