/**
 * A VPA's memory bounds as data: read them from its containerPolicies, build the list with one
 * container's bounds set, the guarded merge patch, the allowed diff paths, and the audit
 * annotations. No cluster calls; vpa-policy.ts does the writes.
 */
import type { DiffLine } from '../contracts/object-diff.ts';
import type { VpaBounds, VpaSnapshot } from '../contracts/plan-types.ts';
import type { KubeObject } from '../sources/ports.ts';
import { sameQuantity } from './plan.ts';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

/** The VPA's containerPolicies list as read ([] when it has none). */
export function containerPoliciesOf(vpa: KubeObject): Json[] {
  const list = vpa.spec?.resourcePolicy?.containerPolicies;
  return Array.isArray(list) ? list : [];
}

function entryFor(policies: readonly Json[], container: string): Json | undefined {
  return (
    policies.find((p) => p?.containerName === container) ?? policies.find((p) => p?.containerName === '*')
  );
}

/** The memory bounds that govern a container: its own entry, else the `*` entry. */
export function vpaBoundsOf(vpa: KubeObject, container: string): VpaBounds {
  const entry = entryFor(containerPoliciesOf(vpa), container);
  const min = entry?.minAllowed?.memory;
  const max = entry?.maxAllowed?.memory;
  return {
    ...(min !== undefined && min !== null ? { minAllowed: String(min) } : {}),
    ...(max !== undefined && max !== null ? { maxAllowed: String(max) } : {}),
  };
}

/** The VPA as a plan records it. */
export function vpaSnapshotOf(vpa: KubeObject, container: string): VpaSnapshot {
  return {
    name: vpa.metadata?.name ?? '',
    ...(vpa.metadata?.generation !== undefined ? { generation: vpa.metadata.generation } : {}),
    ...(vpa.metadata?.resourceVersion ? { resourceVersion: vpa.metadata.resourceVersion } : {}),
    bounds: vpaBoundsOf(vpa, container),
  };
}

export function sameBounds(a: VpaBounds, b: VpaBounds): boolean {
  return sameQuantity(a.minAllowed, b.minAllowed) && sameQuantity(a.maxAllowed, b.maxAllowed);
}

export function describeBounds(b: VpaBounds): string {
  return `minAllowed ${b.minAllowed ?? 'unset'}, maxAllowed ${b.maxAllowed ?? 'unset'}`;
}

function setBound(entry: Json, key: 'minAllowed' | 'maxAllowed', value: string | undefined): void {
  const values = { ...(entry[key] ?? {}) };
  if (value === undefined) delete values.memory;
  else values.memory = value;
  if (Object.keys(values).length > 0) entry[key] = values;
  else delete entry[key];
}

/**
 * The containerPolicies list with the container's memory bounds set, every other entry and field
 * as read. A container without its own entry gets one, copied from the `*` entry when there is
 * one (so its mode and controlled values stay what governed it), appended at the end.
 */
export function withBounds(policies: readonly Json[], container: string, to: VpaBounds): Json[] {
  const own = policies.findIndex((p) => p?.containerName === container);
  const next = structuredClone([...policies]);
  const base = own >= 0 ? next[own] : structuredClone(entryFor(policies, container) ?? {});
  const entry = { ...base, containerName: container };
  setBound(entry, 'minAllowed', to.minAllowed);
  setBound(entry, 'maxAllowed', to.maxAllowed);
  if (own >= 0) next[own] = entry;
  else next.push(entry);
  return next;
}

/** The JSON merge patch of the whole list (a merge patch replaces lists whole), guarded by `resourceVersion`. */
export function vpaPolicyPatch(
  policies: readonly Json[],
  resourceVersion: string,
  annotations: Record<string, string>,
): object {
  return {
    metadata: { resourceVersion, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { resourcePolicy: { containerPolicies: policies } },
  };
}

/** Spec paths of a dry run's diff outside the allowed entry: non-empty means the patch does too much. */
export function strayVpaChanges(diff: readonly DiffLine[], allowed: (path: string) => boolean): string[] {
  return diff.map((l) => l.path).filter((p) => p.startsWith('spec.') && !allowed(p));
}

/** Only the memory bounds of entry `index` (or anything in it, when the entry is new). */
export function boundsOnly(index: number, isNew: boolean): (path: string) => boolean {
  const at = `spec.resourcePolicy.containerPolicies[${index}]`;
  if (isNew) return (p) => p === at || p.startsWith(`${at}.`);
  return (p) => /^\.(minAllowed|maxAllowed)(\.memory)?$/.test(p.slice(at.length)) && p.startsWith(at);
}

/** Audit annotation keys the bot writes on a VPA it changed. */
const VPA_ANNOTATIONS = Object.freeze({
  change: 'oom-bot/change-id',
  action: 'oom-bot/action',
  container: 'oom-bot/container',
  previous: 'oom-bot/previous-bounds',
  applied: 'oom-bot/new-bounds',
  approvedBy: 'oom-bot/approved-by',
  at: 'oom-bot/applied-at',
  incident: 'oom-bot/incident',
});

/** The bounds as the audit annotations write them. */
export function boundsText(b: VpaBounds): string {
  return `minAllowed.memory=${b.minAllowed ?? 'unset'} maxAllowed.memory=${b.maxAllowed ?? 'unset'}`;
}

export function vpaAnnotations(input: {
  changeId: string;
  action: 'vpa_policy' | 'rollback';
  container: string;
  previous: string;
  applied: string;
  approver: string;
  at: number;
  incidentId: string;
}): Record<string, string> {
  return {
    [VPA_ANNOTATIONS.change]: input.changeId,
    [VPA_ANNOTATIONS.action]: input.action,
    [VPA_ANNOTATIONS.container]: input.container,
    [VPA_ANNOTATIONS.previous]: input.previous,
    [VPA_ANNOTATIONS.applied]: input.applied,
    [VPA_ANNOTATIONS.approvedBy]: input.approver,
    [VPA_ANNOTATIONS.at]: new Date(input.at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [VPA_ANNOTATIONS.incident]: input.incidentId,
  };
}
