/**
 * The remediation actions a button may ask for, which of them write to the cluster, and the name
 * people see for each. Plain data: job payloads, the approval policy and the renderers share it.
 */

/** What a button asks for. `preview` is read-only (a dry run) and needs no approver. */
export const REMEDIATION_ACTIONS = [
  'apply',
  'preview',
  'create_vpa',
  'scale_out',
  'rollback',
  'rollout_undo',
  'vpa_policy',
] as const;
export type RemediationAction = (typeof REMEDIATION_ACTIONS)[number];

/** Actions that change the cluster and so need an approver. */
export const WRITE_ACTIONS: ReadonlySet<RemediationAction> = new Set([
  'apply',
  'create_vpa',
  'scale_out',
  'rollback',
  'rollout_undo',
  'vpa_policy',
]);

const ACTION_NAMES: Record<RemediationAction, string> = {
  apply: 'Apply',
  preview: 'Preview',
  create_vpa: 'Create VPA',
  scale_out: 'Scale out',
  rollback: 'Rollback',
  rollout_undo: 'Roll back',
  vpa_policy: 'Set VPA bounds',
};

export function actionName(action: RemediationAction): string {
  return ACTION_NAMES[action];
}
