/**
 * Reads a cluster through an ObjectLister: resolves what the user typed to one workload with
 * targeted reads only (a name field selector, the pods' label selectors, owner GETs), so a
 * lookup costs what it finds, not what the cluster holds. The snapshot is in read-snapshot.ts.
 */
import type { Target } from '../domain/types.ts';
import { OomBotError, targetAmbiguous, targetNotFound } from '../errors.ts';
import { matchesSelector } from './kube-objects.ts';
import { createOwnerWalker, podTemplateOf, TARGET_KINDS, toTarget } from './owners.ts';
import type { KubeObject, ObjectKind, ObjectLister } from './ports.ts';
import { formatLabelSelector } from './selectors.ts';

export { readSnapshot } from './read-snapshot.ts';

export interface TargetQuery {
  name: string;
  namespace?: string;
}

const APP_LABELS = ['app', 'app.kubernetes.io/name', 'k8s-app'];
/** Kinds whose metadata labels name an app when no pod carries the label (scaled to zero). */
const LABELLED_KINDS: ObjectKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** Kinds whose names are offered as "did you mean". */
const SUGGESTED_KINDS: ObjectKind[] = ['Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];
/** Objects read per kind for "did you mean": bounds the read on a cluster of any size. */
export const SUGGEST_PAGE = 500;

/**
 * A read the resolution can do without: one the bot's role may not make (a role written before
 * Jobs, CronJobs or Rollouts were read, or one without pods) counts as finding nothing.
 */
function optional(read: Promise<KubeObject[]>): Promise<KubeObject[]> {
  return read.catch((error: unknown) => {
    if (error instanceof OomBotError && error.code === 'forbidden') return [];
    throw error;
  });
}

function templateLabels(workload: KubeObject): Record<string, string> {
  return podTemplateOf(workload)?.metadata?.labels ?? {};
}

function keyOf(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.kind}/${o.metadata?.name ?? ''}`;
}

/** The distinct workloads at the top of the owner chains of `objects`. */
async function workloadsOf(
  topOwner: (o: KubeObject) => Promise<KubeObject>,
  objects: KubeObject[],
): Promise<KubeObject[]> {
  const tops = await Promise.all(objects.map(topOwner));
  const unique = new Map(tops.map((o) => [keyOf(o), o]));
  return [...unique.values()];
}

/** A Service's workloads: the owners of the pods it selects; bare pods only when nothing else. */
async function serviceWorkloads(
  lister: ObjectLister,
  topOwner: (o: KubeObject) => Promise<KubeObject>,
  service: KubeObject,
): Promise<KubeObject[]> {
  const selector: Record<string, string> = service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return [];
  const namespace = service.metadata?.namespace;
  const pods = await optional(
    lister.list('Pod', namespace, { labelSelector: formatLabelSelector(selector) }),
  );
  let workloads = await workloadsOf(topOwner, pods);
  if (workloads.some((w) => w.kind !== 'Pod')) workloads = workloads.filter((w) => w.kind !== 'Pod');
  if (workloads.length > 0) return workloads;
  // no pods running: the workloads of the Service's namespace whose template it selects
  const lists = await Promise.all(
    LABELLED_KINDS.map((kind) =>
      lister.list(kind, namespace).then((l) => l.map((o) => ({ ...o, kind }) as KubeObject)),
    ),
  );
  return lists.flat().filter((w) => matchesSelector(selector, templateLabels(w)));
}

/** Workloads carrying an app label equal to `name`: on their pods, else on themselves. */
async function labelledWorkloads(
  lister: ObjectLister,
  topOwner: (o: KubeObject) => Promise<KubeObject>,
  query: TargetQuery,
): Promise<KubeObject[]> {
  const selectors = APP_LABELS.map((l) => ({ labelSelector: `${l}=${query.name}` }));
  const pods = (
    await Promise.all(selectors.map((o) => optional(lister.list('Pod', query.namespace, o))))
  ).flat();
  const owners = await workloadsOf(topOwner, pods);
  if (owners.length > 0) return owners;
  const lists = await Promise.all(
    LABELLED_KINDS.flatMap((kind) =>
      selectors.map((o) =>
        lister.list(kind, query.namespace, o).then((l) => l.map((w) => ({ ...w, kind }) as KubeObject)),
      ),
    ),
  );
  return lists.flat();
}

/** The Services of the target's namespace that select its pods, by name. */
async function servicesOf(lister: ObjectLister, workload: KubeObject): Promise<string[]> {
  const labels = templateLabels(workload);
  const services = await lister.list('Service', workload.metadata?.namespace);
  return services
    .filter((svc) => matchesSelector(svc.spec?.selector ?? {}, labels))
    .map((svc) => svc.metadata?.name ?? '')
    .sort();
}

/**
 * Names to suggest when nothing matched: an error path, so a bounded read, whatever the cluster's
 * size: the first SUGGEST_PAGE objects of each kind, in the namespace asked for (its allow-list
 * makes `/oom` name one when it has more than one) or, without one, across the cluster.
 */
async function suggestNames(lister: ObjectLister, query: TargetQuery): Promise<string[]> {
  const lists = await Promise.all(
    SUGGESTED_KINDS.map((kind) => optional(lister.list(kind, query.namespace, { limit: SUGGEST_PAGE }))),
  );
  return findNearMatches(
    query.name,
    lists.flat().map((o) => o.metadata?.name ?? ''),
  );
}

/**
 * Find the workload a name refers to: a Service (the owners of the pods it selects), an object of
 * that name (a workload, a ReplicaSet, a Job or a Pod, followed up its owners), or an app label.
 */
export async function resolveTarget(lister: ObjectLister, query: TargetQuery): Promise<Target> {
  const byName = { fieldSelector: `metadata.name=${query.name}` };
  const topOwner = createOwnerWalker(lister);
  const [services, ...named] = await Promise.all([
    lister.list('Service', query.namespace, byName),
    ...TARGET_KINDS.map((kind) =>
      optional(lister.list(kind, query.namespace, byName)).then((l) =>
        l.map((o) => ({ ...o, kind }) as KubeObject),
      ),
    ),
  ]);
  const found = new Map<string, { workload: KubeObject; service?: string }>();
  const add = (workload: KubeObject, service?: string) => {
    if (!found.has(keyOf(workload))) found.set(keyOf(workload), { workload, service });
  };
  for (const svc of services) {
    for (const w of await serviceWorkloads(lister, topOwner, svc)) add(w, query.name);
  }
  if (found.size === 0) for (const w of await workloadsOf(topOwner, named.flat())) add(w);
  if (found.size === 0) for (const w of await labelledWorkloads(lister, topOwner, query)) add(w);

  const matches = [...found.values()];
  if (matches.length === 1) {
    const { workload, service } = matches[0] as { workload: KubeObject; service?: string };
    const target = toTarget(workload, service);
    target.services = await servicesOf(lister, workload);
    return target;
  }
  if (matches.length > 1) {
    throw targetAmbiguous(
      query.name,
      matches
        .map(
          ({ workload: w }) => `${w.metadata?.namespace}/${String(w.kind).toLowerCase()}/${w.metadata?.name}`,
        )
        .sort(),
    );
  }
  throw targetNotFound(query.name, query.namespace, await suggestNames(lister, query));
}

/** Names close to `name` (edit distance, or containment), best first, at most five. */
function findNearMatches(name: string, candidates: string[]): string[] {
  const unique = [...new Set(candidates.filter((c) => c && c !== name))];
  const scored = unique
    .map((c) => ({ c, d: editDistance(name, c) }))
    .filter(
      ({ c, d }) =>
        d <= Math.max(2, Math.ceil(name.length / 2)) ||
        c.includes(name) ||
        name.includes(c) ||
        sharedPrefix(c, name) >= 4,
    );
  return scored
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 5)
    .map(({ c }) => c);
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = row;
  }
  return prev[b.length] as number;
}
