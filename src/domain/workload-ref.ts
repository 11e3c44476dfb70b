/** Names one workload by kind and name: the reference that targets, evidence and actions share. */

export type WorkloadKind =
  | 'Deployment'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'ReplicaSet'
  | 'Pod'
  | 'Job'
  | 'CronJob'
  | 'Rollout';

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
}
