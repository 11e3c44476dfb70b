/**
 * Every Slack action_id (and the block_ids handlers look for) in one place: renderers put them
 * on buttons, handlers register on them. Keep them stable: messages already posted carry them.
 */

export const ACTION_IDS = Object.freeze({
  /** Apply the proposed memory change (value: plan id). */
  apply: 'oom_apply',
  /** Dry-run the proposed change and show the diff (value: plan id). */
  preview: 'oom_preview',
  /** Create a VPA in Off mode (value: plan id). */
  createVpa: 'oom_create_vpa',
  /** Scale out the workload (value: plan id). */
  scaleOut: 'oom_scale_out',
  /** Diagnose the same target again (value: incident id). */
  rediagnose: 'oom_rediagnose',
  /** Close the incident without action (value: incident id). */
  dismiss: 'oom_dismiss',
  /** Undo an applied change (value: change id). */
  rollback: 'oom_rollback',
  /** Roll the workload back to the revision before the rollout (value: plan id). */
  rolloutUndo: 'oom_rollout_undo',
  /** Set the memory bounds of the container in the VPA that rewrites its requests (value: plan id). */
  vpaPolicy: 'oom_vpa_policy',
  /** Choose one of several matching workloads (value: candidate id). */
  pickTarget: 'oom_pick_target',
});

type ActionIdName = keyof typeof ACTION_IDS;
type ActionId = (typeof ACTION_IDS)[ActionIdName];

const ALL = new Set<string>(Object.values(ACTION_IDS));

export function isActionId(id: string): id is ActionId {
  return ALL.has(id);
}

/** block_ids of the blocks the renderers emit, for updating or finding them again. */
export const BLOCK_IDS = Object.freeze({
  rootVerdict: 'oom_verdict',
  rootActions: 'oom_actions',
  progress: 'oom_progress',
  evidence: 'oom_thread_evidence',
  rejected: 'oom_thread_rejected',
  actions: 'oom_thread_actions',
  chart: 'oom_thread_chart',
  missing: 'oom_thread_missing',
  nodeDiagnosis: 'oom_node_diagnosis',
  nodePods: 'oom_node_pods',
  nodeAdvice: 'oom_node_advice',
});
