/** The cluster half of the evidence, as read by `readSnapshot`. */

import type { HpaInfo } from '../domain/autoscaler-types.ts';
import type { EventInfo, Evidence, NodeInfo, PodInfo, WorkloadInfo } from '../domain/types.ts';

export interface ClusterSnapshot {
  workload?: WorkloadInfo;
  pods: PodInfo[];
  events: EventInfo[];
  nodes: NodeInfo[];
  hpa?: HpaInfo;
  vpa?: Evidence['vpa'];
}
