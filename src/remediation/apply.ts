/**
 * Applying a memory change, safe by construction: re-read the workload; refuse on drift since
 * the diagnosis; never patch a GitOps-managed workload (offer the YAML instead); server-side dry
 * run first; then the patch of exactly one container (patch.ts memoryPatchFor), guarded by the
 * resourceVersion just read, with the audit annotations. Rollback is the same path backwards.
 * Then the rollout watch and the verification of the kills.
 */
import type { DiffLine, GitOpsOwner } from '../contracts/object-diff.ts';
import type { MemoryValues } from '../contracts/plan-types.ts';
import { OomBotError } from '../errors.ts';
import { toEpoch } from '../sources/kube-objects.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster, WorkloadKey } from './cluster.ts';
import { diffObjects, gitOpsOwner, gitOpsPatchYaml, memoryPatchFor, unexpectedChanges } from './patch.ts';
import { containerListOf, containerMemory, describeMemory, sameMemory, templatePath } from './plan.ts';

export interface MemoryChange {
  target: WorkloadKey;
  container: string;
  /** What the workload must still look like: else the change is refused as drift. */
  expected: { generation?: number; memory: MemoryValues };
  to: MemoryValues;
  annotations: Record<string, string>;
}

export type ApplyOutcome =
  | {
      kind: 'applied';
      previous: MemoryValues;
      applied: MemoryValues;
      diff: DiffLine[];
      generation?: number;
      resourceVersion?: string;
    }
  | { kind: 'dry_run_only'; previous: MemoryValues; diff: DiffLine[] }
  | { kind: 'gitops'; owner: GitOpsOwner; yaml: string }
  | { kind: 'drift'; reasons: string[] };

/** Why the workload no longer matches what the change was planned against (empty: it does). */
export function driftReasons(
  current: KubeObject,
  container: string,
  expected: MemoryChange['expected'],
): string[] {
  const reasons: string[] = [];
  const generation = current.metadata?.generation;
  if (expected.generation !== undefined && generation !== undefined && generation !== expected.generation) {
    reasons.push(`its generation moved from ${expected.generation} to ${generation} (the spec was edited)`);
  }
  const memory = containerMemory(current, container);
  if (!memory) {
    reasons.push(`it has no container named ${container} any more`);
  } else if (!sameMemory(memory, expected.memory)) {
    reasons.push(
      `container ${container} now has ${describeMemory(memory)}, not ${describeMemory(expected.memory)}`,
    );
  }
  return reasons;
}

async function dryRun(
  cluster: RemediationCluster,
  change: MemoryChange,
  current: KubeObject,
): Promise<{ patch: object; diff: DiffLine[] }> {
  const { patch } = memoryPatchFor(current, change.container, change.to, {
    resourceVersion: current.metadata?.resourceVersion,
    annotations: change.annotations,
  });
  const after = await cluster.patchWorkload(change.target, patch, { dryRun: true });
  const diff = diffObjects(current, after);
  const list = containerListOf(current, change.container);
  const stray = unexpectedChanges(diff, change.container, { kind: current.kind, ...(list ? { list } : {}) });
  if (stray.length > 0) {
    throw new OomBotError(
      'internal',
      `the dry run would change more than container ${change.container}'s memory (${stray.slice(0, 3).join(', ')}); nothing was applied`,
    );
  }
  return { patch, diff };
}

/** The server-side dry run alone: what Apply would change, persisting nothing. */
export async function previewMemoryChange(
  cluster: RemediationCluster,
  change: MemoryChange,
): Promise<ApplyOutcome> {
  const current = await cluster.readWorkload(change.target);
  const reasons = driftReasons(current, change.container, change.expected);
  if (reasons.length > 0) return { kind: 'drift', reasons };
  const previous = containerMemory(current, change.container) ?? {};
  const { diff } = await dryRun(cluster, change, current);
  return { kind: 'dry_run_only', previous, diff };
}

/**
 * Apply (or roll back) a memory change. A concurrent edit between the read and the patch makes
 * the apiserver refuse the patch (OomBotError `conflict`): nothing is overwritten.
 */
export async function applyMemoryChange(
  cluster: RemediationCluster,
  change: MemoryChange,
  options: { dryRunOnly: boolean },
): Promise<ApplyOutcome> {
  const current = await cluster.readWorkload(change.target);
  const reasons = driftReasons(current, change.container, change.expected);
  if (reasons.length > 0) return { kind: 'drift', reasons };
  const owner = gitOpsOwner(current);
  if (owner) {
    return {
      kind: 'gitops',
      owner,
      yaml: gitOpsPatchYaml(change.target, change.container, change.to, current),
    };
  }
  const previous = containerMemory(current, change.container) ?? {};
  const { patch, diff } = await dryRun(cluster, change, current);
  if (options.dryRunOnly) return { kind: 'dry_run_only', previous, diff };
  let after: KubeObject;
  try {
    after = await cluster.patchWorkload(change.target, patch, { dryRun: false });
  } catch (error) {
    if (error instanceof OomBotError && error.code === 'conflict') {
      throw new OomBotError(
        'conflict',
        `${change.target.kind.toLowerCase()}/${change.target.name} was changed by someone else between the bot's read and its patch; the patch was refused and nothing was overwritten`,
        { cause: error, details: { conflict: true } },
      );
    }
    throw error;
  }
  return {
    kind: 'applied',
    previous,
    applied: containerMemory(after, change.container) ?? change.to,
    diff,
    generation: after.metadata?.generation,
    resourceVersion: after.metadata?.resourceVersion,
  };
}

// ---------------------------------------------------------------------------------------------
// Rollout

interface RolloutState {
  done: boolean;
  /** "2 of 3 updated pods available", for the thread. */
  message: string;
  /** The controller gave up (Deployment progress deadline exceeded). */
  failed?: boolean;
}

/** Kinds whose template change rolls out no pods by itself: said so, not waited for. */
const NO_ROLLOUT: Partial<Record<string, string>> = {
  CronJob: 'nothing rolls out now: the next Job the CronJob starts uses the new memory',
  ReplicaSet:
    'nothing rolls out: a ReplicaSet without a Deployment gives the new memory only to pods it creates from now on (delete a pod to recreate it)',
};

/** A DaemonSet (as `kubectl rollout status`) or an Argo Rollout (its status.phase). */
function otherRolloutState(obj: KubeObject): RolloutState {
  const s = obj.status ?? {};
  if (obj.kind === 'DaemonSet') {
    const wanted: number = s.desiredNumberScheduled ?? 0;
    const updated: number = s.updatedNumberScheduled ?? 0;
    const available: number = s.numberAvailable ?? 0;
    if (updated < wanted) return { done: false, message: `${updated} of ${wanted} pods updated` };
    if (available < wanted) return { done: false, message: `${available} of ${wanted} pods available` };
    return { done: true, message: `${wanted} of ${wanted} pods updated and available` };
  }
  const phase = String(s.phase ?? 'unknown');
  const detail = s.message ? `: ${s.message}` : '';
  if (phase === 'Healthy') return { done: true, message: `rollout healthy${detail}` };
  return {
    done: false,
    ...(phase === 'Degraded' ? { failed: true } : {}),
    message: `rollout ${phase}${detail}`,
  };
}

/** Whether a workload finished rolling out its current generation (as `kubectl rollout status`). */
export function rolloutState(obj: KubeObject): RolloutState {
  const still = NO_ROLLOUT[obj.kind ?? ''];
  if (still) return { done: true, message: still };
  const generation = obj.metadata?.generation ?? 0;
  const s = obj.status ?? {};
  const wanted: number = obj.spec?.replicas ?? 1;
  if (Number(s.observedGeneration ?? 0) < generation) {
    return { done: false, message: `waiting for the controller to see generation ${generation}` };
  }
  if (obj.kind === 'DaemonSet' || obj.kind === 'Rollout') return otherRolloutState(obj);
  if (obj.kind === 'StatefulSet') {
    const ready = s.readyReplicas ?? 0;
    const updated = s.updatedReplicas ?? 0;
    const partition = obj.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    if (updated < wanted - partition) return { done: false, message: `${updated} of ${wanted} pods updated` };
    if (ready < wanted) return { done: false, message: `${ready} of ${wanted} pods ready` };
    if (partition === 0 && s.updateRevision && s.currentRevision !== s.updateRevision) {
      return { done: false, message: `waiting for revision ${s.updateRevision} to become current` };
    }
    return { done: true, message: `${wanted} of ${wanted} pods updated and ready` };
  }
  // biome-ignore lint/suspicious/noExplicitAny: conditions are open-ended JSON
  const progressing = (s.conditions ?? []).find((c: any) => c?.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      done: false,
      failed: true,
      message: `progress deadline exceeded: ${progressing.message ?? ''}`.trim(),
    };
  }
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < wanted) return { done: false, message: `${updated} of ${wanted} pods updated` };
  if (total > updated) return { done: false, message: `${total - updated} old pods still terminating` };
  if (available < updated)
    return { done: false, message: `${available} of ${updated} updated pods available` };
  return { done: true, message: `${updated} of ${wanted} pods updated and available` };
}

interface WatchOptions {
  timeoutMs: number;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls the workload until it rolled out, the controller gave up, or the timeout passed. */
export async function watchRollout(
  cluster: RemediationCluster,
  target: WorkloadKey,
  options: WatchOptions,
): Promise<RolloutState & { waitedMs: number }> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? delay;
  const interval = options.intervalMs ?? 2000;
  const start = clock();
  let state: RolloutState = { done: false, message: 'not read yet' };
  for (;;) {
    try {
      state = rolloutState(await cluster.readWorkload(target));
    } catch (error) {
      // a transient read failure is not a verdict; the timeout is
      state = { done: false, message: `cannot read it: ${(error as Error).message}` };
    }
    const waitedMs = clock() - start;
    if (state.done || state.failed || waitedMs >= options.timeoutMs) return { ...state, waitedMs };
    await sleep(Math.min(interval, Math.max(0, options.timeoutMs - waitedMs)));
  }
}

// ---------------------------------------------------------------------------------------------
// Verification

interface KillSeen {
  pod: string;
  at: number;
}

/** OOM kills of `container` that ended at or after `since` (epoch seconds), per pod status. */
export function oomKillsSince(pods: readonly KubeObject[], container: string, since: number): KillSeen[] {
  const kills: KillSeen[] = [];
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      if (status?.name !== container) continue;
      for (const terminated of [status.lastState?.terminated, status.state?.terminated]) {
        if (terminated?.reason !== 'OOMKilled') continue;
        const at = toEpoch(terminated.finishedAt);
        if (at !== undefined && at >= since) kills.push({ pod: pod.metadata?.name ?? '', at });
      }
    }
  }
  return kills.sort((a, b) => a.at - b.at);
}

/** The pods of a workload and the OOM kills of the container since the change. */
export async function killsSinceChange(
  cluster: RemediationCluster,
  target: WorkloadKey,
  container: string,
  since: number,
): Promise<KillSeen[]> {
  const workload = await cluster.readWorkload(target);
  const selector = podSelectorOf(workload, target.kind);
  if (Object.keys(selector).length === 0) {
    // "no kills" would be a guess: say the pods could not be found instead
    throw new OomBotError(
      'source_unavailable',
      `no label selects the pods of ${target.kind.toLowerCase()}/${target.name}, so its kills cannot be counted`,
    );
  }
  return oomKillsSince(await cluster.listPods(target.namespace, selector), container, since);
}

/**
 * The labels that select a workload's pods: its selector, or for a kind without one (a CronJob,
 * whose Jobs' pods carry the template's labels) the pod template's labels.
 */
export function podSelectorOf(workload: KubeObject, kind = workload.kind): Record<string, string> {
  const matchLabels: Record<string, string> | undefined = workload.spec?.selector?.matchLabels;
  if (matchLabels && Object.keys(matchLabels).length > 0) return matchLabels;
  let template: KubeObject | undefined = workload;
  for (const key of templatePath(kind))
    template = (template as Record<string, KubeObject> | undefined)?.[key];
  return template?.metadata?.labels ?? {};
}
