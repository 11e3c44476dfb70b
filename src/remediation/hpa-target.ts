/**
 * The HPA memory target that moves with a new request (an HPA on memory utilization scales on
 * usage / request): a JSON Patch whose `test` operations are its precondition (the metric at that
 * index is still the memory one, at the value the plan saw), dry-run first, written in the same
 * job as the memory change it belongs to, and moved back by that change's Rollback.
 */
import type { HpaMemoryTargetSpec } from '../domain/action-types.ts';
import { OomBotError } from '../errors.ts';
import { findMemoryTarget } from '../sources/kube-objects.ts';
import type { RemediationCluster } from './cluster.ts';

/** test name, test the old value, replace with the new one. */
export function hpaTargetOps(metricIndex: number, from: number, to: number): object[] {
  const at = `/spec/metrics/${metricIndex}/resource`;
  return [
    { op: 'test', path: `${at}/name`, value: 'memory' },
    { op: 'test', path: `${at}/target/averageUtilization`, value: from },
    { op: 'replace', path: `${at}/target/averageUtilization`, value: to },
  ];
}

function requireHpaCalls(cluster: RemediationCluster) {
  const read = cluster.readHpa?.bind(cluster);
  const patch = cluster.patchHpa?.bind(cluster);
  if (!read || !patch) throw new OomBotError('source_unavailable', `${cluster.name} cannot change an HPA`);
  return { read, patch };
}

/** Why the HPA no longer has the memory target the plan saw (empty: it has). */
export async function hpaTargetDrift(
  cluster: RemediationCluster,
  namespace: string,
  spec: HpaMemoryTargetSpec,
  from: number,
): Promise<string[]> {
  const { read } = requireHpaCalls(cluster);
  const target = findMemoryTarget(await read(namespace, spec.hpaName));
  if (!target) return [`horizontalpodautoscaler/${spec.hpaName} no longer scales on memory utilization`];
  if (target.index !== spec.metricIndex || target.averageUtilization !== from)
    return [
      `horizontalpodautoscaler/${spec.hpaName}'s memory target is now ${target.averageUtilization}%, not ${from}%`,
    ];
  return [];
}

/** Move the target from → to; the dry run first. Resolves to the target the apiserver stored. */
export async function moveHpaTarget(
  cluster: RemediationCluster,
  namespace: string,
  spec: HpaMemoryTargetSpec,
  move: { from: number; to: number },
  options: { dryRunOnly: boolean },
): Promise<number | undefined> {
  const { patch } = requireHpaCalls(cluster);
  const ops = hpaTargetOps(spec.metricIndex, move.from, move.to);
  const dry = await patch(namespace, spec.hpaName, ops, { dryRun: true });
  if (options.dryRunOnly) return findMemoryTarget(dry)?.averageUtilization;
  return findMemoryTarget(await patch(namespace, spec.hpaName, ops, { dryRun: false }))?.averageUtilization;
}
