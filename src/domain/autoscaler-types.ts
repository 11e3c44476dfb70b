/** The HPA and VPA that act on a workload, as the evidence reads them from the cluster. */

export interface HpaInfo {
  name: string;
  minReplicas?: number;
  maxReplicas: number;
  metrics: string[];
  /** Its memory metric when it scales on memory utilization (usage / request): where it sits in spec.metrics. */
  memoryTarget?: HpaMemoryTarget;
}

/** An HPA's Resource metric on memory with a Utilization target (percent of the pods' requests). */
export interface HpaMemoryTarget {
  /** Index of the metric in spec.metrics. */
  index: number;
  averageUtilization: number;
}

/** One container's memory bounds in a VPA's resourcePolicy, as the VPA has them. */
export interface VpaContainerBounds {
  /** The container's name, or `*` for the default entry. */
  containerName: string;
  minAllowedMemory?: string;
  maxAllowedMemory?: string;
  /** The entry's own mode: `Off` leaves the container alone. */
  mode?: string;
  /** False when its controlledResources leave memory out. */
  controlsMemory?: boolean;
}

/** A VerticalPodAutoscaler that targets the workload. */
export interface VpaInfo {
  name: string;
  mode: string;
  /** RequestsAndLimits (the default) or RequestsOnly. */
  controlledValues?: string;
  /** The memory bounds of its containerPolicies entries, in their order. */
  containers?: VpaContainerBounds[];
}
