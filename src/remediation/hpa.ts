/**
 * Scale out: the HorizontalPodAutoscaler the diagnosis showed for a traffic surge, built from the
 * action's typed HPA spec as an autoscaling/v2 object (what `kubectl autoscale` creates).
 */

import type { PlanTarget } from '../contracts/plan-types.ts';
import type { HpaSpec } from '../domain/action-types.ts';
import { OomBotError } from '../errors.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster } from './cluster.ts';

/** Refuses an HPA whose replica bounds the apiserver would reject or that scales to zero. */
export function checkHpa(spec: HpaSpec): void {
  const { minReplicas, maxReplicas, cpuPercent } = spec;
  if (
    !Number.isInteger(minReplicas) ||
    !Number.isInteger(maxReplicas) ||
    minReplicas < 1 ||
    minReplicas > maxReplicas
  ) {
    throw new OomBotError(
      'approval_refused',
      `the HPA would scale between ${minReplicas} and ${maxReplicas} replicas; the bot needs 1 ≤ min ≤ max`,
    );
  }
  if (!Number.isInteger(cpuPercent) || cpuPercent < 1) {
    throw new OomBotError(
      'approval_refused',
      `the HPA's CPU target ${cpuPercent}% is not a positive percentage`,
    );
  }
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
  checkHpa(spec);
  const obj = hpaObject(target, spec, annotations);
  await cluster.createHpa(target.namespace, obj, { dryRun: true });
  if (options.dryRunOnly) return { object: obj, dryRun: true };
  return { object: await cluster.createHpa(target.namespace, obj, { dryRun: false }), dryRun: false };
}
