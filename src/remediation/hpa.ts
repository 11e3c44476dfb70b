/**
 * Scale out: the HorizontalPodAutoscaler the diagnosis showed for a traffic surge (its
 * `kubectl autoscale --min --max --cpu-percent` line), as an autoscaling/v2 object.
 */
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster } from './cluster.ts';
import type { PlanTarget } from './plan.ts';

export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  cpuPercent: number;
}

/** The HPA in a `kubectl autoscale` line; undefined when the command has none. */
export function hpaFromAction(command: string): HpaSpec | undefined {
  const line = command.split('\n').find((l) => /\bkubectl\b.*\bautoscale\b/.test(l));
  if (!line) return undefined;
  const flag = (name: string) => {
    const m = new RegExp(`--${name}=(\\d+)\\b`).exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const min = flag('min');
  const max = flag('max');
  const cpu = flag('cpu-percent');
  if (max === undefined || max < 1) return undefined;
  const minReplicas = min ?? 1;
  if (minReplicas < 1 || minReplicas > max) return undefined;
  return { minReplicas, maxReplicas: max, cpuPercent: cpu ?? 80 };
}

/** The object `kubectl autoscale` would create, with the audit annotations. */
export function hpaObject(
  target: PlanTarget,
  spec: HpaSpec,
  annotations: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'oom-bot' },
      annotations,
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: target.kind, name: target.name },
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.cpuPercent } },
        },
      ],
    },
  };
}

/** Dry-run, then (unless dry-run only) create. An existing HPA of that name is never replaced. */
export async function createHpa(
  cluster: RemediationCluster,
  target: PlanTarget,
  spec: HpaSpec,
  annotations: Record<string, string>,
  options: { dryRunOnly: boolean },
): Promise<{ object: KubeObject; dryRun: boolean }> {
  const obj = hpaObject(target, spec, annotations);
  await cluster.createHpa(target.namespace, obj, { dryRun: true });
  if (options.dryRunOnly) return { object: obj, dryRun: true };
  return { object: await cluster.createHpa(target.namespace, obj, { dryRun: false }), dryRun: false };
}
