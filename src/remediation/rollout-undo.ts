/**
 * Roll back: `kubectl rollout undo --to-revision` through the same path as Apply. The previous
 * ReplicaSet is read and checked (name, revision, pod-template-hash as the diagnosis saw them);
 * the Deployment's spec.template becomes that ReplicaSet's template minus the pod-template-hash
 * label; drift since the diagnosis is refused; a GitOps-owned Deployment is left alone; a
 * server-side dry run goes first; the write is a replace guarded by the resourceVersion just read
 * (a concurrent edit gets 409 and nothing is overwritten) and carries the audit annotations.
 * Then the rollout is watched and the kills verified; its own Rollback restores the template
 * the undo replaced.
 */
import { stringify as toYaml } from 'yaml';
import type { DiffLine } from '../contracts/object-diff.ts';
import type { ChangeRecord, RemediationPlan } from '../contracts/plan-types.ts';
import { OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RemediateJobData } from '../queues/payloads.ts';
import { renderDrift } from '../render/blocks/remediation.ts';
import { renderRolloutUndone } from '../render/blocks/rollout-undo.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster, WorkloadKey } from './cluster.ts';
import { diffObjects, gitOpsOwner } from './patch.ts';
import { containerMemory } from './plan.ts';
import { newRecordId } from './plan-store.ts';
import {
  type Post,
  type RemediateDeps,
  type RemediateResult,
  reportFailure,
  reportWriteOutcome,
  watchAndReport,
} from './remediate-steps.ts';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

const POD_TEMPLATE_HASH = 'pod-template-hash';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Audit annotation keys of a rollout undo (the change id, approver, time and incident as Apply). */
const UNDO_ANNOTATIONS = Object.freeze({
  change: 'oom-bot/change-id',
  action: 'oom-bot/action',
  restored: 'oom-bot/restored-revision',
  approvedBy: 'oom-bot/approved-by',
  at: 'oom-bot/applied-at',
  incident: 'oom-bot/incident',
});

interface TemplateRestore {
  target: WorkloadKey;
  /** The pod template to set. */
  template: Json;
  /** What the workload must still look like: else the restore is refused as drift. */
  expected: { generation?: number };
  annotations: Record<string, string>;
}

type RestoreOutcome =
  | { kind: 'applied'; previousTemplate: Json; diff: DiffLine[]; generation?: number }
  | { kind: 'dry_run_only'; diff: DiffLine[] }
  | { kind: 'gitops'; owner: NonNullable<ReturnType<typeof gitOpsOwner>>; yaml: string }
  | { kind: 'drift'; reasons: string[] };

/** The ReplicaSet's pod template as `kubectl rollout undo` sets it: without the pod-template-hash label. */
function templateOf(replicaSet: KubeObject): Json {
  const template = structuredClone(replicaSet.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
  if (template.metadata) delete template.metadata.creationTimestamp;
  return template;
}

/** Why the ReplicaSet read now is not the revision the diagnosis named (empty: it is). */
function replicaSetMismatch(
  rs: KubeObject,
  plan: { revision: number; podTemplateHash?: string },
  owner: string,
): string[] {
  const reasons: string[] = [];
  const controlled = (rs.metadata?.ownerReferences ?? []).some(
    (o: Json) => o?.controller && o.kind === 'Deployment' && o.name === owner,
  );
  if (!controlled) reasons.push(`replicaset/${rs.metadata?.name} is not controlled by deployment/${owner}`);
  const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH];
  if (plan.podTemplateHash && hash !== plan.podTemplateHash)
    reasons.push(`its pod-template-hash is ${hash ?? 'unset'}, not ${plan.podTemplateHash}`);
  const revision = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  // restoring it again bumps its revision: a higher number is the same template, a lower one is not
  if (revision < plan.revision) reasons.push(`its revision is ${revision}, not ${plan.revision}`);
  return reasons;
}

function generationDrift(current: KubeObject, expected: TemplateRestore['expected']): string[] {
  const generation = current.metadata?.generation;
  if (expected.generation === undefined || generation === undefined || generation === expected.generation)
    return [];
  return [`its generation moved from ${expected.generation} to ${generation} (the spec was edited)`];
}

/** The object to PUT: the one just read (its resourceVersion the precondition), template and annotations replaced. */
function replacement(current: KubeObject, change: TemplateRestore): KubeObject {
  const { status: _status, ...rest } = current;
  return {
    ...rest,
    metadata: {
      ...current.metadata,
      annotations: { ...(current.metadata?.annotations ?? {}), ...change.annotations },
    },
    spec: { ...current.spec, template: change.template },
  };
}

function requireReplace(cluster: RemediationCluster) {
  const replace = cluster.replaceWorkload?.bind(cluster);
  if (!replace) throw new OomBotError('source_unavailable', `${cluster.name} cannot replace a workload`);
  return replace;
}

/** Restore a pod template: drift check, GitOps check, dry run, then the guarded replace. */
async function restoreTemplate(
  cluster: RemediationCluster,
  change: TemplateRestore,
  options: { dryRunOnly: boolean },
): Promise<RestoreOutcome> {
  const replace = requireReplace(cluster);
  const current = await cluster.readWorkload(change.target);
  const reasons = generationDrift(current, change.expected);
  if (reasons.length > 0) return { kind: 'drift', reasons };
  const owner = gitOpsOwner(current);
  if (owner) return { kind: 'gitops', owner, yaml: toYaml({ spec: { template: change.template } }) };
  const body = replacement(current, change);
  const dry = await replace(change.target, body, { dryRun: true });
  const diff = diffObjects(current, dry);
  if (options.dryRunOnly) return { kind: 'dry_run_only', diff };
  let after: KubeObject;
  try {
    after = await replace(change.target, body, { dryRun: false });
  } catch (error) {
    if (error instanceof OomBotError && error.code === 'conflict') {
      throw new OomBotError(
        'conflict',
        `${change.target.kind.toLowerCase()}/${change.target.name} was changed by someone else between the bot's read and its rollback; the rollback was refused and nothing was overwritten`,
        { cause: error, details: { conflict: true } },
      );
    }
    throw error;
  }
  return {
    kind: 'applied',
    previousTemplate: current.spec?.template,
    diff,
    generation: after.metadata?.generation,
  };
}

function undoAnnotations(
  changeId: string,
  action: 'rollout_undo' | 'rollback',
  restored: string,
  user: string,
  at: number,
  incidentId: string,
): Record<string, string> {
  return {
    [UNDO_ANNOTATIONS.change]: changeId,
    [UNDO_ANNOTATIONS.action]: action,
    [UNDO_ANNOTATIONS.restored]: restored,
    [UNDO_ANNOTATIONS.approvedBy]: user,
    [UNDO_ANNOTATIONS.at]: new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [UNDO_ANNOTATIONS.incident]: incidentId,
  };
}

type ChangeBase = Omit<ChangeRecord, 'previous' | 'applied' | 'generation' | 'template'>;

/** Posts the outcome; saves and returns the change when one was written. */
function reportRestore(
  outcome: RestoreOutcome,
  base: ChangeBase & { template: Json; revision?: number },
  deps: RemediateDeps,
  post: Post,
): Promise<ChangeRecord | RemediateResult> {
  const { template, revision, ...rest } = base;
  const memoryOf = (t: Json) =>
    containerMemory({ kind: 'Deployment', spec: { template: t } }, base.container) ?? {};
  return reportWriteOutcome<Extract<RestoreOutcome, { kind: 'applied' }>>(
    outcome,
    {
      target: base.target,
      incidentId: base.incidentId,
      what: `the rollback of ${base.target.kind.toLowerCase()}/${base.target.name}`,
      record: (applied) => ({
        ...rest,
        previous: memoryOf(applied.previousTemplate),
        applied: memoryOf(template),
        ...(applied.generation !== undefined ? { generation: applied.generation } : {}),
        template: {
          previous: applied.previousTemplate,
          applied: template,
          ...(revision !== undefined ? { revision } : {}),
        },
      }),
      render: (change, diff) => renderRolloutUndone(change, diff, deps.rolloutTimeoutMs),
    },
    deps,
    post,
  );
}

function changeBase(
  plan: Pick<
    RemediationPlan,
    'id' | 'incidentId' | 'cluster' | 'channel' | 'threadTs' | 'target' | 'container'
  >,
  changeId: string,
  user: string,
  at: number,
  expiresAt: number,
): ChangeBase {
  return {
    id: changeId,
    planId: plan.id,
    incidentId: plan.incidentId,
    ...(plan.cluster ? { cluster: plan.cluster } : {}),
    channel: plan.channel,
    threadTs: plan.threadTs,
    target: plan.target,
    container: plan.container,
    approver: user,
    appliedAt: at,
    expiresAt,
  };
}

/** The Roll back button's step: restore the previous ReplicaSet's template, watch, schedule verification. */
export async function rolloutUndo(
  plan: RemediationPlan,
  data: RemediateJobData,
  cluster: RemediationCluster,
  deps: RemediateDeps,
  post: Post,
): Promise<RemediateResult> {
  const undo = plan.rollout;
  if (!undo) throw new OomBotError('approval_refused', 'this plan has no rollback');
  if (!cluster.readReplicaSet)
    throw new OomBotError('source_unavailable', `${cluster.name} cannot read ReplicaSets`);
  const rs = await cluster.readReplicaSet(plan.target.namespace, undo.replicaSet);
  const mismatch = replicaSetMismatch(rs, undo, plan.target.name);
  if (mismatch.length > 0) {
    await post(renderDrift(plan.target, mismatch, plan.incidentId));
    return 'refused';
  }
  const changeId = newRecordId();
  const at = Math.floor(deps.now());
  const template = templateOf(rs);
  const restored = `${undo.revision} (${undo.replicaSet})`;
  const outcome = await restoreTemplate(
    cluster,
    {
      target: plan.target,
      template,
      expected: { generation: plan.snapshot.generation },
      annotations: undoAnnotations(changeId, 'rollout_undo', restored, data.user, at, plan.incidentId),
    },
    { dryRunOnly: deps.dryRunOnly },
  );
  const expiresAt = at + deps.buttonTtlSeconds + deps.verifySeconds + deps.rolloutTimeoutMs / 1000;
  const result = await reportRestore(
    outcome,
    { ...changeBase(plan, changeId, data.user, at, expiresAt), template, revision: undo.revision },
    deps,
    post,
  );
  if (typeof result === 'string') return result;
  if (await watchAndReport(result, cluster, deps, post, true)) {
    await deps.scheduleVerify(
      {
        kind: 'verify',
        action: 'rollout_undo',
        recordId: result.id,
        user: data.user,
        clickedAt: data.clickedAt,
      },
      deps.verifySeconds * 1000,
    );
  }
  return 'applied';
}

/** The Rollback of a rollout undo: put back the template the undo replaced (the approval is already consumed). */
export async function undoRolloutUndo(
  original: ChangeRecord,
  data: RemediateJobData,
  deps: RemediateDeps,
  post: Post,
  log: Logger,
): Promise<RemediateResult> {
  const template = original.template;
  if (!template) throw new OomBotError('internal', 'this change is not a rollout undo');
  try {
    const cluster = deps.clusterFor(original.cluster);
    const changeId = newRecordId();
    const at = Math.floor(deps.now());
    const outcome = await restoreTemplate(
      cluster,
      {
        target: original.target,
        template: template.previous,
        expected: { generation: original.generation },
        annotations: undoAnnotations(
          changeId,
          'rollback',
          `template before change ${original.id}`,
          data.user,
          at,
          original.incidentId,
        ),
      },
      { dryRunOnly: deps.dryRunOnly },
    );
    const base = {
      ...changeBase({ ...original, id: original.planId }, changeId, data.user, at, at),
      rollbackOf: original.id,
      template: template.previous,
    };
    const result = await reportRestore(outcome, base, deps, post);
    if (typeof result === 'string') return result;
    await watchAndReport(result, cluster, deps, post, false);
    return 'rolled_back';
  } catch (error) {
    return reportFailure(error, 'rollback', original.incidentId, post, log);
  }
}
