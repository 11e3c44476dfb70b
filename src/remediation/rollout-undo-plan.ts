/**
 * The Roll back button's plan, pure: from a deploy_regression diagnosis's rollback action (its
 * typed rollbackTarget, never its command text) to the ReplicaSet whose template the rollout
 * undo restores. Only a Deployment's ReplicaSets can be restored.
 */

import type { RolloutUndoPlan } from '../contracts/plan-types.ts';
import type { Diagnosis } from '../domain/types.ts';

export function rolloutUndoOf(d: Diagnosis): RolloutUndoPlan | undefined {
  if (d.cause !== 'deploy_regression' || d.target.workload.kind !== 'Deployment') return undefined;
  const target = d.actions.find((a) => a.kind === 'rollback_deploy')?.rollbackTarget;
  const previous = target?.previous;
  if (!previous) return undefined;
  return {
    replicaSet: previous.replicaSet,
    revision: previous.revision,
    ...(previous.podTemplateHash ? { podTemplateHash: previous.podTemplateHash } : {}),
    ...(target.current ? { fromRevision: target.current.revision } : {}),
  };
}
