/**
 * The coalesced root-update job: takes the incident's current state (clearing "update pending"),
 * renders the root message from it and what the diagnosis left, and updates it in place. A node
 * incident has no diagnosis: its first update posts the root. Roots not posted yet are skipped:
 * the diagnosis renders the counters itself and asks for an update when more alerts came.
 */

import type { AlertIncidentState, AlertIncidentStore, UpdateRef } from '../contracts/alert-incident-types.ts';
import { OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { renderIncidentRoot } from '../render/blocks/incident.ts';
import type { SlackPoster } from '../slack/poster.ts';

export interface RootUpdateDeps {
  store: AlertIncidentStore;
  slack: SlackPoster;
  logger: Logger;
  /** Queue a follow-up update (the incident changed while this one rendered). */
  enqueue(refs: UpdateRef[]): Promise<void>;
  /** Epoch ms. */
  now(): number;
  /** A node incident has its root: queue its node diagnosis (idempotent per incident incarnation). */
  nodeRoot?(state: AlertIncidentState & { rootTs: string }): Promise<void>;
}

export type RootUpdateResult = 'updated' | 'posted' | 'not_ready' | 'gone';

export async function processRootUpdate(
  job: { id?: string; data: UpdateRef },
  deps: RootUpdateDeps,
): Promise<RootUpdateResult> {
  const taken = await deps.store.takeUpdate(job.data);
  if (!taken) return 'gone';
  const { state, snapshot } = taken;
  const message = renderIncidentRoot(state, snapshot, deps.now());
  if (!message) return 'not_ready';
  let result: RootUpdateResult = 'updated';
  let rootTs = state.rootTs;
  if (state.rootTs) {
    // routine: coalesced with the root's other updates, within the share of the budget left to them
    await deps.slack.update(state.channel, state.rootTs, message, { routine: true });
  } else {
    if (state.kind !== 'node') return 'not_ready';
    if (!(await deps.store.claimRoot(state.key, state.openedAt, deps.now()))) {
      // Another update is posting the root right now: retry (BullMQ backoff) once it exists.
      throw new OomBotError('conflict', `root of ${state.key} is being posted by another update`);
    }
    const ts = await deps.slack.post(state.channel, message);
    if (await deps.store.setRootTs(state.key, state.openedAt, ts)) rootTs = ts;
    result = 'posted';
  }
  if (state.kind === 'node' && rootTs && deps.nodeRoot) await deps.nodeRoot({ ...state, rootTs });
  const next = await deps.store.markRendered(job.data, state.version);
  if (next) await deps.enqueue([next]);
  deps.logger.debug({ key: state.key, version: state.version, result }, 'incident root rendered');
  return result;
}
