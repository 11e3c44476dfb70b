/**
 * Patch construction, pure: the patch that sets the memory of exactly one container (an app
 * container, an init container or a sidecar; every other field untouched) wherever the kind
 * keeps its pod template — strategic merge, or for an Argo Rollout a JSON merge patch of the
 * whole list as read — guarded by a resourceVersion precondition and carrying the audit
 * annotations; the YAML to commit instead when GitOps owns
 * the workload; and the diff between an object and its server-side dry run.
 */
import { stringify as toYaml } from 'yaml';
import type { DiffLine, GitOpsOwner } from '../contracts/object-diff.ts';
import type { MemoryValues, PlanTarget } from '../contracts/plan-types.ts';
import type { KubeObject } from '../sources/ports.ts';
import { type ContainerList, containerListOf, templateContainers, templatePath } from './plan.ts';

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

interface ChangeAnnotationInput {
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

interface MemoryPatchOptions {
  resourceVersion?: string;
  annotations?: Record<string, string>;
  /** The kind of the object patched: where its pod template sits (a CronJob's jobTemplate). */
  kind?: string;
  /** The list the container is in; an init container or sidecar is in `initContainers`. */
  list?: ContainerList;
}

/** How a kind is patched: CRDs (an Argo Rollout) do not take strategic merge. */
type PatchStrategy = 'strategic' | 'merge';

function patchStrategyOf(kind: string | undefined): PatchStrategy {
  return kind === 'Rollout' ? 'merge' : 'strategic';
}

function metadataOf(options: MemoryPatchOptions): Record<string, unknown> | undefined {
  const metadata: Record<string, unknown> = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.annotations && Object.keys(options.annotations).length > 0)
    metadata.annotations = options.annotations;
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

/** `{spec: {template: {spec: {<list>: items}}}}`, along the kind's template path. */
function atTemplate(kind: string | undefined, list: ContainerList, items: object[]): Record<string, unknown> {
  let node: Record<string, unknown> = { spec: { [list]: items } };
  for (const key of templatePath(kind).reverse()) node = { [key]: node };
  return node;
}

function withMetadata(body: Record<string, unknown>, options: MemoryPatchOptions): object {
  const metadata = metadataOf(options);
  return { ...(metadata ? { metadata } : {}), ...body };
}

/**
 * The strategic-merge patch of one container's memory. A value left undefined is removed from
 * the spec (`null` in a strategic merge), so a rollback restores an unset request exactly.
 * `resourceVersion` makes the apiserver refuse the patch (409) if the object changed since it
 * was read. The container is matched by name in its own list: an init container's patch goes
 * under `initContainers` (under `containers` it would add a new app container).
 */
export function memoryPatch(
  container: string,
  memory: MemoryValues,
  options: MemoryPatchOptions = {},
): object {
  const item = {
    name: container,
    resources: {
      limits: { memory: memory.limit ?? null },
      requests: { memory: memory.request ?? null },
    },
  };
  return withMetadata(atTemplate(options.kind, options.list ?? 'containers', [item]), options);
}

// biome-ignore lint/suspicious/noExplicitAny: container JSON
function setMemory(resources: any, key: 'limits' | 'requests', value: string | undefined): void {
  const values = { ...(resources[key] ?? {}) };
  if (value === undefined) delete values.memory;
  else values.memory = value;
  if (Object.keys(values).length > 0) resources[key] = values;
  else delete resources[key];
}

/**
 * The JSON merge patch of one container's memory, for kinds that take no strategic merge (an
 * Argo Rollout). A merge patch replaces a list whole, so it carries the whole list as it was
 * read in `current`, every other container and field as read, only the target container's
 * memory changed; `resourceVersion` (required) makes the apiserver refuse it (409) if anything
 * changed since that read, so no concurrent edit of another container can be overwritten.
 */
function mergeMemoryPatch(
  current: KubeObject,
  container: string,
  memory: MemoryValues,
  options: MemoryPatchOptions & { resourceVersion: string },
): object {
  const list = options.list ?? 'containers';
  const items = templateContainers(current, list).map((c) => {
    if (c?.name !== container) return c;
    const resources = { ...(c.resources ?? {}) };
    setMemory(resources, 'limits', memory.limit);
    setMemory(resources, 'requests', memory.request);
    return { ...c, resources };
  });
  if (!items.some((c) => c?.name === container)) {
    throw new Error(`no container named ${container} in ${list}`);
  }
  return withMetadata(atTemplate(current.kind, list, items), options);
}

/** The patch of one container's memory for the object `current` as read, and how to send it. */
export function memoryPatchFor(
  current: KubeObject,
  container: string,
  memory: MemoryValues,
  options: Omit<MemoryPatchOptions, 'kind' | 'list'> = {},
): { patch: object; strategy: PatchStrategy } {
  const list = containerListOf(current, container) ?? 'containers';
  const strategy = patchStrategyOf(current.kind);
  if (strategy === 'merge') {
    if (!options.resourceVersion) throw new Error('a merge patch needs the resourceVersion it was read at');
    const rv = options.resourceVersion;
    return {
      patch: mergeMemoryPatch(current, container, memory, { ...options, resourceVersion: rv, list }),
      strategy,
    };
  }
  return { patch: memoryPatch(container, memory, { ...options, kind: current.kind, list }), strategy };
}

// ---------------------------------------------------------------------------------------------
// GitOps

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

const API_VERSIONS: Partial<Record<string, string>> = {
  CronJob: 'batch/v1',
  Rollout: 'argoproj.io/v1alpha1',
};

/**
 * The change as a patch file to commit (kustomize `patches:` accepts it as is). Given the object
 * as read, it is the patch the bot itself would send: an init container under `initContainers`,
 * a CronJob's under its jobTemplate, a Rollout's whole container list (kustomize merges a CRD's
 * lists whole too).
 */
export function gitOpsPatchYaml(
  target: PlanTarget,
  container: string,
  memory: MemoryValues,
  current?: KubeObject,
): string {
  const resources: Record<string, Record<string, string>> = {};
  if (memory.limit) resources.limits = { memory: memory.limit };
  if (memory.request) resources.requests = { memory: memory.request };
  const list = (current && containerListOf(current, container)) ?? 'containers';
  const body =
    current && patchStrategyOf(target.kind) === 'merge'
      ? mergeMemoryPatch(current, container, memory, { resourceVersion: '-', list })
      : atTemplate(target.kind, list, [{ name: container, resources }]);
  const { metadata: _metadata, ...spec } = body as Record<string, unknown>;
  return toYaml({
    apiVersion: API_VERSIONS[target.kind] ?? 'apps/v1',
    kind: target.kind,
    metadata: { name: target.name, namespace: target.namespace },
    ...spec,
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

/**
 * The paths under the spec that changed outside the target container's memory: a non-empty
 * answer means the patch would touch more than it should. `where` says where that container
 * is (default: `containers` under `spec.template`).
 */
export function unexpectedChanges(
  lines: readonly DiffLine[],
  container: string,
  where: { kind?: string; list?: ContainerList } = {},
): string[] {
  const own = `${templatePath(where.kind).join('.')}.spec.${where.list ?? 'containers'}[${container}].resources.`;
  return lines
    .map((l) => l.path)
    .filter((p) => p.startsWith('spec.'))
    .filter(
      (p) =>
        !(p.startsWith(`${own}limits`) || p.startsWith(`${own}requests`)) ||
        !/\.memory$|\.(limits|requests)$/.test(p),
    );
}
