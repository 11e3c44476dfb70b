/**
 * Runs a forecast job: a scheduled scan posts its digest (what is new or worse, one message per
 * channel, a thread per workload); an ask answers `/oom risks` with every risk now, in the
 * channel it came from.
 */
import type { Job } from 'bullmq';
import type { ChannelRoute } from '../alert-labels/routing.ts';
import { routeChannel } from '../alert-labels/routing.ts';
import type { Risk } from '../domain/forecast/types.ts';
import type { EvidenceSources } from '../evidence.ts';
import { type DigestOutcome, runRiskDigest } from '../forecast/digest-job.ts';
import { scanRisks } from '../forecast/scan.ts';
import type { RiskStateStore } from '../forecast/state-store.ts';
import type { Logger } from '../logger.ts';
import type { RisksJobData } from '../queues/payloads.ts';
import { renderRiskList } from '../render/blocks/risks.ts';
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
  if (data.kind === 'scheduled') {
    const outcome = await runRiskDigest({
      scan: () => scanRisks(sources, request),
      store: deps.store,
      poster: deps.slack,
      channelFor: (r) => riskChannel(r, deps.routes, deps.defaultChannel),
      scope: data.cluster,
    });
    deps.logger.info({ fresh: outcome.fresh.length, digests: outcome.digests.length }, 'risk scan done');
    return outcome;
  }
  const result = await scanRisks(sources, request);
  const channel = data.reply?.channel;
  if (channel)
    await deps.slack.post(
      channel,
      renderRiskList(result.risks, { at: result.at, namespace: data.namespace }),
    );
  return { asked: result.risks.length };
}
