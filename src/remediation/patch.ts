/**
 * Patch construction, pure: the strategic-merge patch that sets the memory of exactly one
 * container (sidecars and every other field untouched), guarded by a resourceVersion
 * precondition and carrying the audit annotations; the YAML to commit instead when GitOps owns
 * the workload; and the diff between an object and its server-side dry run.
 */
import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../sources/ports.ts';
import type { MemoryValues, PlanTarget } from './plan-types.ts';

/** Annotation keys the bot writes on a workload it changed. */
export const ANNOTATIONS = Object.freeze({
  change: 'oom-bot/change-id',
  action: 'oom-bot/action',
  container: 'oom-bot/container',
  previous: 'oom-bot/previous-memory',
  applied: 'oom-bot/new-memory',
  approvedBy: 'oom-bot/approved-by',
  at: 'oom-bot/applied-at',
  incident: 'oom-bot/incident',
});

export interface ChangeAnnotationInput {
  changeId: string;
  action: 'apply' | 'rollback';
  container: string;
  previous: MemoryValues;
  applied: MemoryValues;
  approver: string;
  /** Epoch seconds. */
  at: number;
  incidentId: string;
}

function memoryText(m: MemoryValues): string {
  return `limit=${m.limit ?? 'unset'} request=${m.request ?? 'unset'}`;
}

export function changeAnnotations(input: ChangeAnnotationInput): Record<string, string> {
  return {
    [ANNOTATIONS.change]: input.changeId,
    [ANNOTATIONS.action]: input.action,
    [ANNOTATIONS.container]: input.container,
    [ANNOTATIONS.previous]: memoryText(input.previous),
    [ANNOTATIONS.applied]: memoryText(input.applied),
    [ANNOTATIONS.approvedBy]: input.approver,
    [ANNOTATIONS.at]: new Date(input.at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [ANNOTATIONS.incident]: input.incidentId,
  };
}

/**
 * The strategic-merge patch of one container's memory. A value left undefined is removed from
 * the spec (`null` in a strategic merge), so a rollback restores an unset request exactly.
 * `resourceVersion` makes the apiserver refuse the patch (409) if the object changed since it
 * was read.
 */
export function memoryPatch(
  container: string,
  memory: MemoryValues,
  options: { resourceVersion?: string; annotations?: Record<string, string> } = {},
): object {
  const metadata: Record<string, unknown> = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.annotations && Object.keys(options.annotations).length > 0)
    metadata.annotations = options.annotations;
  return {
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: container,
              resources: {
                limits: { memory: memory.limit ?? null },
                requests: { memory: memory.request ?? null },
              },
            },
          ],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GitOps

export interface GitOpsOwner {
  tool: 'Argo CD' | 'Flux';
  /** The label or annotation that says so, e.g. `annotation argocd.argoproj.io/tracking-id`. */
  evidence: string;
}

function domainOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

function ownerFromKey(key: string): GitOpsOwner['tool'] | undefined {
  const domain = domainOf(key);
  if (domain === 'argocd.argoproj.io' || domain.endsWith('.argoproj.io')) return 'Argo CD';
  if (domain === 'fluxcd.io' || domain.endsWith('.fluxcd.io')) return 'Flux';
  return undefined;
}

/**
 * Argo CD or Flux when the workload carries their tracking labels or annotations
 * (`argocd.argoproj.io/*`, `*.toolkit.fluxcd.io/*`, `fluxcd.io/*`). `app.kubernetes.io/instance`
 * alone is not enough: Helm sets it too.
 */
export function gitOpsOwner(obj: KubeObject): GitOpsOwner | undefined {
  const sources: Array<[string, Record<string, string> | undefined]> = [
    ['label', obj.metadata?.labels],
    ['annotation', obj.metadata?.annotations],
  ];
  for (const [what, map] of sources) {
    for (const key of Object.keys(map ?? {}).sort()) {
      const tool = ownerFromKey(key);
      if (tool) return { tool, evidence: `${what} ${key}` };
    }
  }
  return undefined;
}

/** The change as a strategic-merge patch file to commit (kustomize `patches:` accepts it as is). */
export function gitOpsPatchYaml(target: PlanTarget, container: string, memory: MemoryValues): string {
  const resources: Record<string, Record<string, string>> = {};
  if (memory.limit) resources.limits = { memory: memory.limit };
  if (memory.request) resources.requests = { memory: memory.request };
  return toYaml({
    apiVersion: 'apps/v1',
    kind: target.kind,
    metadata: { name: target.name, namespace: target.namespace },
    spec: { template: { spec: { containers: [{ name: container, resources }] } } },
  });
}

// ---------------------------------------------------------------------------------------------
// Diff

/** Fields every write changes or that say nothing about the spec. */
const IGNORED = [
  /^metadata\.(resourceVersion|managedFields|generation|uid|creationTimestamp)\b/,
  /^status\b/,
];

// biome-ignore lint/suspicious/noExplicitAny: JSON values
type Json = any;

/** Path → value of every leaf; list items with a `name` are keyed by it. */
function flatten(value: Json, path: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '[]');
    value.forEach((item, i) => {
      const key = item && typeof item === 'object' && typeof item.name === 'string' ? item.name : String(i);
      flatten(item, `${path}[${key}]`, out);
    });
    return;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.set(path, '{}');
    for (const k of keys) flatten(value[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (value === undefined) return;
  out.set(path, JSON.stringify(value));
}

export interface DiffLine {
  path: string;
  before?: string;
  after?: string;
}

/** Every leaf that differs between an object and what the server says it would become. */
export function diffObjects(before: KubeObject, after: KubeObject): DiffLine[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => !IGNORED.some((r) => r.test(p)));
  const lines: DiffLine[] = [];
  for (const path of paths.sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (x !== y)
      lines.push({
        path,
        ...(x !== undefined ? { before: x } : {}),
        ...(y !== undefined ? { after: y } : {}),
      });
  }
  return lines;
}

/** `- path: old` / `+ path: new`, like a diff. */
export function formatDiff(lines: readonly DiffLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    if (l.before !== undefined) out.push(`- ${l.path}: ${l.before}`);
    if (l.after !== undefined) out.push(`+ ${l.path}: ${l.after}`);
  }
  return out.join('\n');
}

/**
 * The paths under the pod template that changed outside the target container's memory: a
 * non-empty answer means the patch would touch more than it should.
 */
export function unexpectedChanges(lines: readonly DiffLine[], container: string): string[] {
  const own = `spec.template.spec.containers[${container}].resources.`;
  return lines
    .map((l) => l.path)
    .filter((p) => p.startsWith('spec.'))
    .filter(
      (p) =>
        !(p.startsWith(`${own}limits`) || p.startsWith(`${own}requests`)) ||
        !/\.memory$|\.(limits|requests)$/.test(p),
    );
}
