/**
 * Runs a forecast job: a scheduled scan posts its digest (what is new or worse, one message per
 * channel, a thread per workload); an ask answers `/oom risks` with every risk now, in the
 * channel it came from. Each risk whose fix can be applied gets a stored remediation plan bound
 * to the message that shows it, and that message its Apply / Preview: a click takes the same
 * remediate path as a diagnosis's.
 */
import type { Job } from 'bullmq';
import type { ChannelRoute } from '../alert-labels/routing.ts';
import { routeChannel } from '../alert-labels/routing.ts';
import type { Risk } from '../domain/forecast/types.ts';
import { describeError } from '../errors.ts';
import type { EvidenceSources } from '../evidence.ts';
import { type DigestOutcome, type PlanFor, postRiskThread, runRiskDigest } from '../forecast/digest-job.ts';
import { scanRisks } from '../forecast/scan.ts';
import type { RiskStateStore } from '../forecast/state-store.ts';
import type { Logger } from '../logger.ts';
import type { RisksJobData } from '../queues/payloads.ts';
import type { CreateRiskPlan } from '../remediation/risk-planner.ts';
import { listedRisks, offersApply, renderRiskList } from '../render/blocks/risks.ts';
import type { SlackPoster } from '../slack/poster.ts';

export interface RiskJobDeps {
  sourcesFor(cluster?: string): EvidenceSources;
  now(): number;
  slack: SlackPoster;
  store: RiskStateStore;
  routes: readonly ChannelRoute[];
  defaultChannel?: string;
  windowSeconds: number;
  logger: Logger;
  /** Stores the plan behind a risk's Apply / Preview; without it, risks carry no buttons. */
  planRisk?: CreateRiskPlan;
}

/**
 * The plans of one job's risks: bound to the posted message, named together by one id, on the
 * cluster the scan read. A plan that cannot be stored leaves its risk without buttons, as for a
 * diagnosis; it never fails the job (a retry would post the answer twice).
 */
function riskPlanner(
  deps: RiskJobDeps,
  data: RisksJobData,
  sources: EvidenceSources,
  at: number,
): PlanFor | undefined {
  const create = deps.planRisk;
  if (!create) return undefined;
  const incidentId = `forecast-${data.kind}-${Math.floor(at)}`;
  const requester = data.kind === 'ask' ? data.reply?.userId : undefined;
  return async (risk, where) => {
    try {
      return await create(risk, {
        incidentId,
        ...where,
        ...(requester ? { requester } : {}),
        ...(data.cluster ? { cluster: data.cluster } : {}),
        lister: sources.cluster,
      });
    } catch (error) {
      deps.logger.warn(
        { err: describeError(error), workload: risk.target.workload.name },
        'remediation plan of a risk not stored; no buttons for it',
      );
      return undefined;
    }
  };
}

/**
 * `/oom risks`: the ranked list; then, with a planner, a thread reply for each listed risk whose
 * fix Apply can make, carrying its evidence, its command and its Apply / Preview.
 */
async function answerAsk(
  deps: RiskJobDeps,
  channel: string,
  result: { at: number; risks: Risk[] },
  namespace: string | undefined,
  planFor: PlanFor | undefined,
): Promise<void> {
  const threaded = planFor !== undefined;
  const ts = await deps.slack.post(
    channel,
    renderRiskList(result.risks, { at: result.at, namespace, threaded }),
  );
  if (!planFor) return;
  for (const r of listedRisks(result.risks).filter(offersApply))
    await postRiskThread(deps.slack, planFor, { channel, threadTs: ts }, r);
}

/** The digest channel of a risk: the first route its labels match, else the default. */
export function riskChannel(r: Risk, routes: readonly ChannelRoute[], fallback?: string): string | undefined {
  const labels: Record<string, string> = {
    namespace: r.target.namespace,
    workload: r.target.workload.name,
    container: r.target.container,
    ...(r.target.cluster ? { cluster: r.target.cluster } : {}),
  };
  return routeChannel(labels, routes, fallback);
}

export async function processRisks(
  job: Pick<Job<RisksJobData>, 'data'>,
  deps: RiskJobDeps,
): Promise<DigestOutcome | { asked: number }> {
  const data = job.data;
  const sources = deps.sourcesFor(data.cluster);
  const request = {
    at: deps.now(),
    namespace: data.namespace,
    cluster: data.cluster,
    windowSeconds: deps.windowSeconds,
  };
  const planFor = riskPlanner(deps, data, sources, request.at);
  if (data.kind === 'scheduled') {
    const outcome = await runRiskDigest({
      scan: () => scanRisks(sources, request),
      store: deps.store,
      poster: deps.slack,
      channelFor: (r) => riskChannel(r, deps.routes, deps.defaultChannel),
      ...(planFor ? { planFor } : {}),
      scope: data.cluster,
    });
    deps.logger.info({ fresh: outcome.fresh.length, digests: outcome.digests.length }, 'risk scan done');
    return outcome;
  }
  const result = await scanRisks(sources, request);
  const channel = data.reply?.channel;
  if (channel) await answerAsk(deps, channel, result, data.namespace, planFor);
  return { asked: result.risks.length };
}
