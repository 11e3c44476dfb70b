/**
 * One scheduled forecast: scan, compare with what the last scan reported, and post what is new
 * or worse as one digest per channel (a thread reply per workload, with Apply / Preview when its
 * fix can be applied), then remember it. Nothing new: nothing posted. The state is saved only
 * after the posts, so a failed post is retried.
 */
import { diffRisks } from '../domain/forecast/digest.ts';
import type { Risk } from '../domain/forecast/types.ts';
import { offersApply, renderRiskDigest, renderRiskThread } from '../render/blocks/risks.ts';
import type { SlackPoster } from '../slack/poster.ts';
import type { ScanResult } from './scan.ts';
import type { RiskStateStore } from './state-store.ts';

interface DigestDeps {
  scan(): Promise<ScanResult>;
  store: RiskStateStore;
  poster: SlackPoster;
  /** The channel a risk goes to (a route, else the default); undefined: nowhere to post it. */
  channelFor(risk: Risk): string | undefined;
  /**
   * Stores the remediation plan of a risk whose fix a button can apply, bound to the thread
   * message that will carry its buttons; returns its id, or undefined when there is nothing to apply.
   */
  planFor?: PlanFor;
  /** Named in the digest's title, e.g. the cluster. */
  scope?: string;
}

/** The message a plan's buttons sit on, and the thread its audit lines go to. */
export interface PlanPlace {
  channel: string;
  messageTs: string;
  threadTs: string;
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

export type PlanFor = (risk: Risk, where: PlanPlace) => Promise<string | undefined>;

/**
 * One workload's thread message; then, when its fix can be applied, its plan (bound to this
 * message, as a diagnosis's plan is bound to its root) and the message again with the buttons.
 */
export async function postRiskThread(
  poster: SlackPoster,
  planFor: PlanFor | undefined,
  where: { channel: string; threadTs: string },
  r: Risk,
): Promise<void> {
  const { channel, threadTs } = where;
  const ts = await poster.post(channel, renderRiskThread(r), threadTs);
  const planId =
    planFor && offersApply(r) ? await planFor(r, { channel, messageTs: ts, threadTs }) : undefined;
  if (planId) await poster.update(channel, ts, renderRiskThread(r, { planId }));
}

export async function runRiskDigest(deps: DigestDeps): Promise<DigestOutcome> {
  const result = await deps.scan();
  const previous = await deps.store.load();
  const { fresh, next } = diffRisks(previous, result.risks, result.at);
  const digests: DigestOutcome['digests'] = [];
  for (const [channel, risks] of groupByChannel(fresh, deps.channelFor)) {
    const ts = await deps.poster.post(channel, renderRiskDigest(risks, { at: result.at, scope: deps.scope }));
    for (const r of risks) await postRiskThread(deps.poster, deps.planFor, { channel, threadTs: ts }, r);
    digests.push({ channel, ts, risks: risks.length });
  }
  await deps.store.save(next);
  return { at: result.at, fresh, digests };
}
