/** The cluster half of the evidence, as read by `readSnapshot`. */
import type { EventInfo, Evidence, HpaInfo, NodeInfo, PodInfo, WorkloadInfo } from '../domain/types.ts';

export interface ClusterSnapshot {
  workload?: WorkloadInfo;
  pods: PodInfo[];
  events: EventInfo[];
  nodes: NodeInfo[];
  hpa?: HpaInfo;
  vpa?: Evidence['vpa'];
}
