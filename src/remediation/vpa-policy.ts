/**
 * Set VPA bounds: where a VPA rewrites a container's requests at pod creation, the change that
 * holds is in the VPA itself, the memory minAllowed / maxAllowed of that container's entry in
 * spec.resourcePolicy.containerPolicies. The same path as Apply: re-read; refuse on drift since
 * the plan (the VPA's generation, its target, the container's bounds); leave a GitOps-owned VPA
 * alone; a server-side dry run whose diff must touch only that entry; then a JSON merge patch of
 * the containerPolicies list as read, guarded by the resourceVersion just read (a concurrent
 * edit gets 409, nothing is overwritten), carrying the audit annotations. Rollback puts the
 * list back the same way.
 */
import { isDeepStrictEqual } from 'node:util';
import { stringify as toYaml } from 'yaml';
import type { DiffLine, GitOpsOwner } from '../contracts/object-diff.ts';
import type { ChangeRecord, PlanTarget, RemediationPlan, VpaBounds } from '../contracts/plan-types.ts';
import { OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RemediateJobData } from '../queues/payloads.ts';
import { renderVpaBoundsSet } from '../render/blocks/autoscaler-changes.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster } from './cluster.ts';
import { diffObjects, gitOpsOwner } from './patch.ts';
import { newRecordId } from './plan-store.ts';
import {
  type OutcomeReport,
  type Post,
  type RemediateDeps,
  type RemediateResult,
  reportFailure,
  reportWriteOutcome,
} from './remediate-steps.ts';
import {
  boundsOnly,
  boundsText,
  containerPoliciesOf,
  describeBounds,
  sameBounds,
  strayVpaChanges,
  vpaAnnotations,
  vpaBoundsOf,
  vpaPolicyPatch,
  withBounds,
} from './vpa-bounds.ts';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

interface VpaWrite {
  namespace: string;
  vpa: string;
  /** The workload the VPA must target. */
  target: PlanTarget;
  annotations: Record<string, string>;
}

type VpaPolicyOutcome =
  | { kind: 'applied'; previous: Json[]; applied: Json[]; diff: DiffLine[]; generation?: number }
  | { kind: 'dry_run_only'; diff: DiffLine[] }
  | { kind: 'gitops'; owner: GitOpsOwner; yaml: string }
  | { kind: 'drift'; reasons: string[] };

function requireVpaCalls(cluster: RemediationCluster) {
  const read = cluster.readVpa?.bind(cluster);
  const patch = cluster.patchVpa?.bind(cluster);
  if (!read || !patch) throw new OomBotError('source_unavailable', `${cluster.name} cannot change a VPA`);
  return { read, patch };
}

function targetDrift(vpa: KubeObject, target: PlanTarget): string[] {
  const ref = vpa.spec?.targetRef ?? {};
  return ref.kind === target.kind && ref.name === target.name
    ? []
    : [
        `it now targets ${String(ref.kind ?? '?')}/${String(ref.name ?? '?')}, not ${target.kind}/${target.name}`,
      ];
}

function generationDrift(vpa: KubeObject, expected: number | undefined): string[] {
  const generation = vpa.metadata?.generation;
  if (expected === undefined || generation === undefined || generation === expected) return [];
  return [`its generation moved from ${expected} to ${generation} (its spec was edited)`];
}

/** A 409 (the resourceVersion read is stale: someone wrote the VPA since) as the conflict users are told about. */
async function refuseConcurrentEdit(vpa: string, write: Promise<KubeObject>): Promise<KubeObject> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof OomBotError && error.code === 'conflict') {
      throw new OomBotError(
        'conflict',
        `verticalpodautoscaler/${vpa} was changed by someone else between the bot's read and its patch; the patch was refused and nothing was overwritten`,
        { cause: error, details: { conflict: true } },
      );
    }
    throw error;
  }
}

/** Dry run, check the diff, then (unless dry-run only) the guarded patch. */
async function writePolicies(
  cluster: RemediationCluster,
  write: VpaWrite,
  current: KubeObject,
  next: Json[],
  allowed: (path: string) => boolean,
  options: { dryRunOnly: boolean },
): Promise<VpaPolicyOutcome> {
  const { patch } = requireVpaCalls(cluster);
  const owner = gitOpsOwner(current);
  if (owner) {
    const yaml = toYaml({
      apiVersion: 'autoscaling.k8s.io/v1',
      kind: 'VerticalPodAutoscaler',
      metadata: { name: write.vpa, namespace: write.namespace },
      spec: { resourcePolicy: { containerPolicies: next } },
    });
    return { kind: 'gitops', owner, yaml };
  }
  const rv = current.metadata?.resourceVersion;
  if (!rv)
    throw new OomBotError(
      'internal',
      `verticalpodautoscaler/${write.vpa} was read without a resourceVersion`,
    );
  const body = vpaPolicyPatch(next, rv, write.annotations);
  const guarded = (dryRun: boolean) =>
    refuseConcurrentEdit(write.vpa, patch(write.namespace, write.vpa, body, { dryRun }));
  const dry = await guarded(true);
  const diff = diffObjects(current, dry);
  const stray = strayVpaChanges(diff, allowed);
  if (stray.length > 0) {
    throw new OomBotError(
      'internal',
      `the dry run would change more than the VPA's memory bounds (${stray.slice(0, 3).join(', ')}); nothing was applied`,
    );
  }
  if (options.dryRunOnly) return { kind: 'dry_run_only', diff };
  const after = await guarded(false);
  return {
    kind: 'applied',
    previous: containerPoliciesOf(current),
    applied: containerPoliciesOf(after),
    diff,
    ...(after.metadata?.generation !== undefined ? { generation: after.metadata.generation } : {}),
  };
}

/** Set one container's memory bounds in the VPA, as planned from `expected`. */
async function applyVpaPolicy(
  cluster: RemediationCluster,
  write: VpaWrite & {
    container: string;
    expected: { generation?: number; bounds: VpaBounds };
    to: VpaBounds;
  },
  options: { dryRunOnly: boolean },
): Promise<VpaPolicyOutcome> {
  const { read } = requireVpaCalls(cluster);
  const current = await read(write.namespace, write.vpa);
  const bounds = vpaBoundsOf(current, write.container);
  const reasons = [
    ...targetDrift(current, write.target),
    ...generationDrift(current, write.expected.generation),
  ];
  if (!sameBounds(bounds, write.expected.bounds))
    reasons.push(
      `its bounds for container ${write.container} are now ${describeBounds(bounds)}, not ${describeBounds(write.expected.bounds)}`,
    );
  if (reasons.length > 0) return { kind: 'drift', reasons };
  const policies = containerPoliciesOf(current);
  const next = withBounds(policies, write.container, write.to);
  const index = next.findIndex((p) => p?.containerName === write.container);
  const isNew = !policies.some((p) => p?.containerName === write.container);
  return writePolicies(cluster, write, current, next, boundsOnly(index, isNew), options);
}

/** Put back the containerPolicies list a change replaced, if the VPA still has what it set. */
async function restoreVpaPolicies(
  cluster: RemediationCluster,
  write: VpaWrite & { expected: { generation?: number; policies: Json[] }; to: Json[] },
  options: { dryRunOnly: boolean },
): Promise<VpaPolicyOutcome> {
  const { read } = requireVpaCalls(cluster);
  const current = await read(write.namespace, write.vpa);
  const reasons = [
    ...targetDrift(current, write.target),
    ...generationDrift(current, write.expected.generation),
  ];
  if (!isDeepStrictEqual(containerPoliciesOf(current), write.expected.policies))
    reasons.push('its containerPolicies are no longer those the change set');
  if (reasons.length > 0) return { kind: 'drift', reasons };
  const within = (p: string) => p.startsWith('spec.resourcePolicy.containerPolicies');
  return writePolicies(cluster, write, current, write.to, within, options);
}

// ---------------------------------------------------------------------------------------------
// The job steps: the Set VPA bounds button, and the Rollback of what it wrote

type Applied = Extract<VpaPolicyOutcome, { kind: 'applied' }>;
type ChangeBase = Omit<ChangeRecord, 'previous' | 'applied' | 'generation' | 'vpaPolicy'>;

function report(base: ChangeBase, vpa: string): OutcomeReport<Applied> {
  return {
    target: base.target,
    incidentId: base.incidentId,
    what: `the change of container \`${base.container}\`'s bounds in verticalpodautoscaler/${vpa}`,
    record: (applied) => ({
      ...base,
      previous: {},
      applied: {},
      vpaPolicy: {
        vpa,
        previous: applied.previous,
        applied: applied.applied,
        ...(applied.generation !== undefined ? { generation: applied.generation } : {}),
      },
    }),
    render: (change, diff) => renderVpaBoundsSet(change, diff),
  };
}

/** The Set VPA bounds button's step: the guarded patch, its audit, then the verification window. */
export async function setVpaBounds(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
): Promise<RemediateResult> {
  const change = plan.vpaPolicy;
  if (!change) throw new OomBotError('approval_refused', 'this plan has no VPA bounds to set');
  const changeId = newRecordId();
  const at = Math.floor(deps.now());
  const annotations = vpaAnnotations({
    changeId,
    action: 'vpa_policy',
    container: change.container,
    previous: boundsText(change.from),
    applied: boundsText(change.to),
    approver: data.user,
    at,
    incidentId: plan.incidentId,
  });
  const outcome = await applyVpaPolicy(
    cluster,
    {
      namespace: plan.target.namespace,
      vpa: change.vpa,
      target: plan.target,
      annotations,
      container: change.container,
      expected: { generation: plan.snapshot.vpa?.generation, bounds: change.from },
      to: change.to,
    },
    { dryRunOnly: deps.dryRunOnly },
  );
  const base: ChangeBase = {
    id: changeId,
    planId: plan.id,
    incidentId: plan.incidentId,
    ...(plan.cluster ? { cluster: plan.cluster } : {}),
    channel: plan.channel,
    threadTs: plan.threadTs,
    target: plan.target,
    container: change.container,
    approver: data.user,
    appliedAt: at,
    expiresAt: at + deps.buttonTtlSeconds + deps.verifySeconds,
  };
  const result = await reportWriteOutcome(outcome, report(base, change.vpa), deps, post);
  if (typeof result === 'string') return result;
  // nothing rolls out: the VPA sets the new floor on pods as they are created
  await deps.scheduleVerify(
    { kind: 'verify', action: 'vpa_policy', recordId: result.id, user: data.user, clickedAt: data.clickedAt },
    deps.verifySeconds * 1000,
  );
  return 'applied';
}

/** The Rollback of a VPA bounds change: the containerPolicies list it replaced goes back. */
export async function undoVpaBounds(
  original: ChangeRecord,
  data: RemediateJobData,
  deps: RemediateDeps,
  post: Post,
  log: Logger,
): Promise<RemediateResult> {
  const written = original.vpaPolicy;
  if (!written) throw new OomBotError('internal', 'this change is not a VPA bounds change');
  try {
    const cluster = deps.clusterFor(original.cluster);
    const changeId = newRecordId();
    const at = Math.floor(deps.now());
    const annotations = vpaAnnotations({
      changeId,
      action: 'rollback',
      container: original.container,
      previous: `as set by change ${original.id}`,
      applied: `as before change ${original.id}`,
      approver: data.user,
      at,
      incidentId: original.incidentId,
    });
    const outcome = await restoreVpaPolicies(
      cluster,
      {
        namespace: original.target.namespace,
        vpa: written.vpa,
        target: original.target,
        annotations,
        expected: { generation: written.generation, policies: written.applied },
        to: written.previous,
      },
      { dryRunOnly: deps.dryRunOnly },
    );
    const base: ChangeBase = {
      id: changeId,
      planId: original.planId,
      incidentId: original.incidentId,
      ...(original.cluster ? { cluster: original.cluster } : {}),
      channel: original.channel,
      threadTs: original.threadTs,
      target: original.target,
      container: original.container,
      approver: data.user,
      appliedAt: at,
      expiresAt: at,
      rollbackOf: original.id,
    };
    const result = await reportWriteOutcome(outcome, report(base, written.vpa), deps, post);
    return typeof result === 'string' ? result : 'rolled_back';
  } catch (error) {
    return reportFailure(error, 'rollback', original.incidentId, post, log);
  }
}
