/**
 * Which workload a pod (or a ReplicaSet, or a Job) belongs to, found through ownerReferences, not
 * name patterns: Pod → ReplicaSet → Deployment or Argo Rollout, Pod → Job → CronJob, Pod →
 * StatefulSet or DaemonSet. An object with no controller it knows is its own workload (a bare
 * Pod, an orphan ReplicaSet, a Job run by hand). Also what a workload's Target says about it:
 * the label selector of its pods and the object whose pod template a patch would change.
 */
import type { Target } from '../domain/types.ts';
import type { WorkloadKind } from '../domain/workload-ref.ts';
import { OomBotError } from '../errors.ts';
import type { KubeObject, ObjectKind, ObjectLister } from './ports.ts';

/** Owner kinds followed upwards, with the API group each must belong to. */
const OWNER_GROUPS: Partial<Record<string, string>> = {
  ReplicaSet: 'apps',
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  Rollout: 'argoproj.io',
};

export const TARGET_KINDS: readonly WorkloadKind[] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Rollout',
  'CronJob',
  'Job',
  'ReplicaSet',
  'Pod',
];

type OwnerRef = NonNullable<NonNullable<KubeObject['metadata']>['ownerReferences']>[number];

/** The controller reference of an object (the one marked controller, else the only one). */
export function controllerRef(obj: KubeObject): OwnerRef | undefined {
  const refs = obj.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? (refs.length === 1 ? refs[0] : undefined);
}

function isFollowed(ref: OwnerRef): boolean {
  const group = OWNER_GROUPS[ref.kind ?? ''];
  if (group === undefined || !ref.name) return false;
  const apiGroup = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion ?? '').split('/')[0] : '';
  return ref.apiVersion === undefined || apiGroup === group;
}

/** Reads owners by GET, each at most once per walker. */
export function createOwnerWalker(lister: ObjectLister) {
  const cache = new Map<string, Promise<KubeObject | undefined>>();
  const fetchOwner = (kind: ObjectKind, namespace: string, name: string) => {
    const key = `${kind}/${namespace}/${name}`;
    let found = cache.get(key);
    if (!found) {
      // an owner the bot may not read ends the walk where it is, as a missing one does
      found = lister.get(kind, namespace, name).then(
        (o) => (o ? { ...o, kind } : undefined),
        (error: unknown) => {
          if (error instanceof OomBotError && error.code === 'forbidden') return undefined;
          throw error;
        },
      );
      cache.set(key, found);
    }
    return found;
  };
  /** The top of the owner chain of `obj` that still exists (obj itself when it has none). */
  return async function topOwner(obj: KubeObject): Promise<KubeObject> {
    let current = obj;
    for (let depth = 0; depth < 4; depth++) {
      const ref = controllerRef(current);
      if (!ref || !isFollowed(ref)) return current;
      const owner = await fetchOwner(
        ref.kind as ObjectKind,
        current.metadata?.namespace ?? '',
        ref.name as string,
      );
      if (!owner) return current;
      current = owner;
    }
    return current;
  };
}

/** True when `obj` is controlled by an object of `kind` whose name is in `names`. */
export function isControlledBy(obj: KubeObject, kind: string, names: ReadonlySet<string>): boolean {
  const ref = controllerRef(obj);
  return ref?.kind === kind && names.has(ref.name ?? '');
}

/** The label selector (matchLabels) of a workload's pods. */
function podSelectorOf(workload: KubeObject): Record<string, string> {
  const kind = workload.kind as WorkloadKind;
  if (kind === 'Pod') return {};
  if (kind === 'CronJob') return { ...(workload.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {}) };
  // a Job's own selector is a generated controller uid; every Job pod carries job-name too
  if (kind === 'Job') return { 'job-name': workload.metadata?.name ?? '' };
  return { ...(workload.spec?.selector?.matchLabels ?? {}) };
}

/** The pod template of a workload object, wherever its kind keeps it. */
export function podTemplateOf(workload: KubeObject): KubeObject | undefined {
  if (workload.kind === 'Pod') return workload;
  if (workload.kind === 'CronJob') return workload.spec?.jobTemplate?.spec?.template;
  return workload.spec?.template;
}

/**
 * Where a patch would change the pod template: the workload itself for Deployments,
 * StatefulSets, DaemonSets, ReplicaSets and Rollouts; a CronJob's jobTemplate; nowhere for a
 * bare Pod or a Job (a Job's template is immutable; its CronJob, if any, is the target instead).
 */
function templateHolderOf(workload: KubeObject): Target['podTemplate'] {
  const kind = workload.kind as WorkloadKind;
  const name = workload.metadata?.name ?? '';
  if (kind === 'Pod' || kind === 'Job') return undefined;
  if (kind === 'CronJob') return { kind, name, path: 'spec.jobTemplate.spec.template' };
  // a Rollout that points at a Deployment's template (workloadRef) has none of its own
  if (!workload.spec?.template) return undefined;
  return { kind, name, path: 'spec.template' };
}

/** The Target for one workload object. */
export function toTarget(workload: KubeObject, service?: string): Target {
  const podTemplate = templateHolderOf(workload);
  return {
    namespace: workload.metadata?.namespace ?? '',
    workload: { kind: workload.kind as WorkloadKind, name: workload.metadata?.name ?? '' },
    service,
    selector: podSelectorOf(workload),
    ...(podTemplate ? { podTemplate } : {}),
  };
}
