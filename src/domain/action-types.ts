/** Proposed actions: what each one changes, in typed fields that Apply and the displayed command share. */

import type { WorkloadRef } from './workload-ref.ts';

const ACTION_KINDS = [
  'patch_memory_limit',
  'investigate_leak',
  'scale_out',
  'adjust_requests',
  'fix_runtime_heap',
  'create_vpa',
  'vpa_policy',
  'rollback_deploy',
  'add_node_capacity',
  'none',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** A memory limit and request for one container: what Apply sets. */
export interface MemoryPatchSpec {
  container: string;
  limitBytes: number;
  requestBytes: number;
}

/** A HorizontalPodAutoscaler on CPU utilisation, as `kubectl autoscale` creates it. */
export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  cpuPercent: number;
}

export type VpaUpdateMode = 'Off' | 'Initial' | 'Recreate' | 'Auto' | 'InPlaceOrRecreate';

export interface VpaContainerPolicy {
  containerName: string;
  controlledResources: Array<'memory' | 'cpu'>;
}

/** A VerticalPodAutoscaler for the target workload. */
export interface VpaSpec {
  updateMode: VpaUpdateMode;
  containerPolicies: VpaContainerPolicy[];
}

/**
 * New memory bounds for one container in an existing VPA's resourcePolicy: what the VPA's own
 * recommendation is clamped to, so a request it rewrites at pod creation stays at least `minAllowed`.
 */
export interface VpaPolicySpec {
  vpaName: string;
  container: string;
  minAllowedBytes: number;
  /** Set only when the VPA's maxAllowed would sit below the new minAllowed. */
  maxAllowedBytes?: number;
}

/** An existing HPA's memory target moved with a new request, so it scales out at the same usage. */
export interface HpaMemoryTargetSpec {
  hpaName: string;
  /** Index of the memory metric in spec.metrics. */
  metricIndex: number;
  fromPercent: number;
  toPercent: number;
}

/** What a rollback restores: the workload's revision before the rollout at `rolloutAt`. */
export interface RollbackTarget {
  workload: WorkloadRef;
  /** Epoch seconds of the rollout the kills began with. */
  rolloutAt: number;
  /** The revision to restore: the ReplicaSet before that rollout, when the evidence named it. */
  previous?: { replicaSet: string; revision: number; podTemplateHash?: string };
  /** The revision the rollout created (the one rolled back). */
  current?: { replicaSet: string; revision: number };
}

/**
 * One proposed action. The typed fields say what it changes; `command` is the kubectl text shown
 * to people, rendered from those fields (src/domain/commands.ts) and never parsed back.
 */
export interface Action {
  kind: ActionKind;
  title: string;
  detail?: string;
  command?: string;
  memoryPatch?: MemoryPatchSpec;
  hpa?: HpaSpec;
  vpa?: VpaSpec;
  /** vpa_policy: the bounds to set in the VPA that controls the container. */
  vpaPolicy?: VpaPolicySpec;
  /** patch_memory_limit: the HPA memory target that moves with the new request. */
  hpaMemoryTarget?: HpaMemoryTargetSpec;
  rollbackTarget?: RollbackTarget;
}
