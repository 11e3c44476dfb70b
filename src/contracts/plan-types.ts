/**
 * The records of the remediation workflow, as types only: the plan a diagnosis's buttons carry
 * (by id), the change an Apply or Rollback wrote, and the values they compare. A leaf module:
 * plan building, the HPA/VPA builders, the patch, the store and the job all read these.
 */

import type { HpaMemoryTargetSpec, HpaSpec, VpaSpec } from '../domain/action-types.ts';
import type { Cause } from '../domain/types.ts';
import type { WorkloadKind } from '../domain/workload-ref.ts';

/** Memory of one container as quantity strings; a missing field is unset in the spec. */
export interface MemoryValues {
  limit?: string;
  request?: string;
}

export interface PlanTarget {
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

/** The workload as the diagnosis saw it: what drift is measured against. */
export interface WorkloadSnapshot {
  generation?: number;
  resourceVersion?: string;
  /** The target container's memory at diagnosis. */
  memory: MemoryValues;
  /** The VPA that controls the workload, as read when the plan was made. */
  vpa?: VpaSnapshot;
}

/** Memory bounds of one container in a VPA's resourcePolicy, as quantity strings; unset when absent. */
export interface VpaBounds {
  minAllowed?: string;
  maxAllowed?: string;
}

/** A VPA as the plan saw it: drift is told from its generation and the container's bounds. */
export interface VpaSnapshot {
  name: string;
  generation?: number;
  resourceVersion?: string;
  /** The bounds that governed the container (its own entry, else the `*` entry). */
  bounds: VpaBounds;
}

/** Set VPA bounds: the container's memory bounds in the VPA's resourcePolicy, from → to. */
export interface VpaPolicyPlan {
  vpa: string;
  container: string;
  from: VpaBounds;
  to: VpaBounds;
}

export interface RemediationPlan {
  id: string;
  incidentId: string;
  /** kubeconfig context; undefined = the default one. */
  cluster?: string;
  channel: string;
  /** The message carrying the buttons: a click from any other message is refused. */
  messageTs: string;
  /** Where the audit lines go. */
  threadTs: string;
  target: PlanTarget;
  container: string;
  cause: Cause;
  /** Who asked for the diagnosis (none for an alert): the two-person rule's "requester". */
  requester?: string;
  createdAt: number;
  expiresAt: number;
  snapshot: WorkloadSnapshot;
  /** Apply / Preview: the container's memory from → to. */
  memory?: { from: MemoryValues; to: { limit: string; request: string } };
  /** Create VPA: the VPA the diagnosis showed. */
  vpa?: VpaSpec;
  /** Scale out: the HPA the diagnosis showed. */
  hpa?: HpaSpec;
  /** Roll back: the ReplicaSet whose pod template the rollout undo restores. */
  rollout?: RolloutUndoPlan;
  /** Set VPA bounds: the change in the VPA that rewrites the container's requests. */
  vpaPolicy?: VpaPolicyPlan;
  /** Apply: the HPA memory target that moves with the new request (same approval). */
  hpaMemoryTarget?: HpaMemoryTargetSpec;
}

/** What the Roll back button restores (`kubectl rollout undo --to-revision`). */
export interface RolloutUndoPlan {
  replicaSet: string;
  revision: number;
  podTemplateHash?: string;
  /** The revision being rolled back, for the messages. */
  fromRevision?: number;
}

/** An applied change, kept for its Rollback button and the verification window. */
export interface ChangeRecord {
  id: string;
  planId: string;
  incidentId: string;
  cluster?: string;
  channel: string;
  threadTs: string;
  /** The message carrying the Rollback button, once posted. */
  messageTs?: string;
  target: PlanTarget;
  container: string;
  /** The values before the change (what Rollback restores). */
  previous: MemoryValues;
  /** The values the change set. */
  applied: MemoryValues;
  /** metadata.generation right after the patch: drift for the rollback is measured from it. */
  generation?: number;
  approver: string;
  appliedAt: number;
  expiresAt: number;
  /** Set on the record of a rollback: the change it undid. */
  rollbackOf?: string;
  /** A rollout undo: the whole pod template before and after it (its Rollback restores `previous`). */
  template?: { previous: object; applied: object; revision?: number };
  /** A VPA bounds change: the VPA's whole containerPolicies list before and after (its Rollback restores `previous`). */
  vpaPolicy?: { vpa: string; previous: object[]; applied: object[]; generation?: number };
  /** The HPA memory target an Apply moved with the request (its Rollback moves it back). */
  hpaMemoryTarget?: HpaMemoryTargetSpec;
}

export interface PlanMeta {
  id: string;
  incidentId: string;
  cluster?: string;
  channel: string;
  messageTs: string;
  threadTs: string;
  requester?: string;
  now: number;
  ttlSeconds: number;
}
