/**
 * The full analysis of one forecast candidate: the same evidence and features a diagnosis
 * reads, narrowed to the flagged container so the measurements are about it.
 */

import type { Action } from '../domain/action-types.ts';
import { diagnose } from '../domain/diagnose.ts';
import type { Features } from '../domain/feature-types.ts';
import { extractFeatures } from '../domain/features.ts';
import type { ContainerStats } from '../domain/forecast/types.ts';
import type { Cause, Evidence, Series, Target } from '../domain/types.ts';
import { collectEvidence, type EvidenceSources } from '../evidence.ts';

export interface Analysis {
  features: Features;
  /** The diagnosis's actions, for a container that was already killed. */
  actions: Action[];
  /** The diagnosis's cause, with those actions. */
  cause?: Cause;
}

function onlyContainer(series: Series[], container: string): Series[] {
  return series.filter((s) => s.labels.container === undefined || s.labels.container === container);
}

/** The evidence with one container left, so the features measure that container. */
function focusEvidence(evidence: Evidence, container: string): Evidence {
  const m = evidence.metrics;
  return {
    ...evidence,
    workload: evidence.workload && {
      ...evidence.workload,
      containers: evidence.workload.containers.filter((c) => c.name === container),
    },
    pods: evidence.pods.map((p) => ({ ...p, containers: p.containers.filter((c) => c.name === container) })),
    metrics: {
      ...m,
      workingSet: onlyContainer(m.workingSet, container),
      limits: onlyContainer(m.limits, container),
      requests: onlyContainer(m.requests, container),
      restarts: onlyContainer(m.restarts, container),
      lastTerminatedReason: onlyContainer(m.lastTerminatedReason, container),
      lastTerminatedExitCode: onlyContainer(m.lastTerminatedExitCode, container),
    },
  };
}

export async function analyseCandidate(
  sources: EvidenceSources,
  stats: ContainerStats,
  at: number,
  windowSeconds?: number,
): Promise<Analysis> {
  const target: Target = {
    cluster: stats.target.cluster,
    namespace: stats.target.namespace,
    workload: stats.target.workload,
    selector: stats.target.selector ?? {},
  };
  const evidence = focusEvidence(
    await collectEvidence(sources, target, { at, windowSeconds }),
    stats.target.container,
  );
  const features = extractFeatures(evidence);
  if (features.oomKills.length === 0) return { features, actions: [] };
  const diagnosis = diagnose(evidence);
  return { features, actions: diagnosis.actions, cause: diagnosis.cause };
}
