/**
 * Create VPA: the VerticalPodAutoscaler the diagnosis showed, built from the action's typed VPA
 * spec, only in Off or Initial mode: the bot never lets a VPA evict pods.
 */

import type { PlanTarget } from '../contracts/plan-types.ts';
import type { VpaSpec } from '../domain/action-types.ts';
import { OomBotError } from '../errors.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster } from './cluster.ts';

/** Update modes the bot creates: recommendations only, or applied at pod creation. */
const SAFE_VPA_MODES: ReadonlySet<string> = new Set(['Off', 'Initial']);

/** Refuses a VPA that is not in Off or Initial mode, or that controls no container. */
export function checkVpa(vpa: VpaSpec): void {
  const mode = vpa.updateMode ?? 'Auto';
  if (!SAFE_VPA_MODES.has(mode)) {
    throw new OomBotError(
      'approval_refused',
      `the VPA would run in ${mode} mode; the bot only creates VPAs in Off or Initial mode`,
    );
  }
  if (!Array.isArray(vpa.containerPolicies) || vpa.containerPolicies.length === 0) {
    throw new OomBotError('approval_refused', 'the VPA names no container to control');
  }
}

/** The object to create for the target workload, with the audit annotations. */
export function vpaObject(vpa: VpaSpec, target: PlanTarget, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'autoscaling.k8s.io/v1',
    kind: 'VerticalPodAutoscaler',
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'oom-bot' },
      annotations,
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: target.kind, name: target.name },
      updatePolicy: { updateMode: vpa.updateMode },
      resourcePolicy: {
        containerPolicies: vpa.containerPolicies.map((p) => ({
          containerName: p.containerName,
          controlledResources: [...p.controlledResources],
        })),
      },
    },
  };
}

/** Dry-run, then (unless dry-run only) create. An existing VPA of that name is never replaced. */
export async function createVpa(
  cluster: RemediationCluster,
  vpa: VpaSpec,
  target: PlanTarget,
  annotations: Record<string, string>,
  options: { dryRunOnly: boolean },
): Promise<{ object: KubeObject; dryRun: boolean }> {
  checkVpa(vpa);
  const obj = vpaObject(vpa, target, annotations);
  await cluster.createVpa(target.namespace, obj, { dryRun: true });
  if (options.dryRunOnly) return { object: obj, dryRun: true };
  return { object: await cluster.createVpa(target.namespace, obj, { dryRun: false }), dryRun: false };
}
