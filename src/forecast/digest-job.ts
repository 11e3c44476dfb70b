/**
 * One scheduled forecast: scan, compare with what the last scan reported, and post what is new
 * or worse as one digest per channel (a thread reply per workload), then remember it. Nothing
 * new: nothing posted. The state is saved only after the posts, so a failed post is retried.
 */
import { diffRisks } from '../domain/forecast/digest.ts';
import type { Risk } from '../domain/forecast/types.ts';
import { renderRiskDigest, renderRiskThread } from '../render/blocks/risks.ts';
import type { SlackPoster } from '../slack/poster.ts';
import type { ScanResult } from './scan.ts';
import type { RiskStateStore } from './state-store.ts';

export interface DigestDeps {
  scan(): Promise<ScanResult>;
  store: RiskStateStore;
  poster: SlackPoster;
  /** The channel a risk goes to (a route, else the default); undefined: nowhere to post it. */
  channelFor(risk: Risk): string | undefined;
  /** Stores a remediation plan for a risk whose fix a button can apply; returns its id. */
  planFor?(risk: Risk): Promise<string | undefined>;
  /** Named in the digest's title, e.g. the cluster. */
  scope?: string;
}

export interface DigestOutcome {
  at: number;
  fresh: Risk[];
  /** Digests posted, one per channel. */
  digests: Array<{ channel: string; ts: string; risks: number }>;
}

function groupByChannel(risks: Risk[], channelFor: (r: Risk) => string | undefined): Map<string, Risk[]> {
  const groups = new Map<string, Risk[]>();
  for (const r of risks) {
    const channel = channelFor(r);
    if (!channel) continue;
    groups.set(channel, [...(groups.get(channel) ?? []), r]);
  }
  return groups;
}

export async function runRiskDigest(deps: DigestDeps): Promise<DigestOutcome> {
  const result = await deps.scan();
  const previous = await deps.store.load();
  const { fresh, next } = diffRisks(previous, result.risks, result.at);
  const digests: DigestOutcome['digests'] = [];
  for (const [channel, risks] of groupByChannel(fresh, deps.channelFor)) {
    const ts = await deps.poster.post(channel, renderRiskDigest(risks, { at: result.at, scope: deps.scope }));
    for (const r of risks) {
      const planId = deps.planFor ? await deps.planFor(r) : undefined;
      await deps.poster.post(channel, renderRiskThread(r, { planId }), ts);
    }
    digests.push({ channel, ts, risks: risks.length });
  }
  await deps.store.save(next);
  return { at: result.at, fresh, digests };
}
