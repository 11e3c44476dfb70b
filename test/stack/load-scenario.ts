// Loads a scenario's cluster.yaml (objects as `kubectl get -o yaml` shows them, status included)
// into a real kube-apiserver that runs no controllers, scheduler or kubelet.
import {
  ApiException,
  HttpMethod,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type ResponseContext,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

type Obj = KubernetesObject & { [key: string]: unknown };
type Meta = Record<string, unknown>;

/** Creation order: owners before what they own, Events last. Kinds not listed come before Events. */
const KIND_ORDER: Record<string, number> = {
  Namespace: 0,
  Node: 1,
  PriorityClass: 2,
  ServiceAccount: 3,
  ConfigMap: 3,
  Secret: 3,
  LimitRange: 3,
  ResourceQuota: 3,
  Deployment: 4,
  StatefulSet: 4,
  DaemonSet: 4,
  CronJob: 4,
  Job: 5,
  ReplicaSet: 5,
  ControllerRevision: 5,
  Service: 6,
  Pod: 7,
  HorizontalPodAutoscaler: 8,
  PodDisruptionBudget: 8,
  Event: 99,
};
const DEFAULT_ORDER = 50;

/** Kinds whose status is written through the status subresource after creation. */
const STATUS_KINDS = new Set([
  'Pod',
  'Node',
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Service',
  'PersistentVolumeClaim',
]);

const SERVER_MANAGED_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/**
 * KubernetesObjectApi that sends and returns plain JSON (the typed serializer would drop
 * fields it does not know and turn times into Dates) and can reach the status subresource.
 */
class RawObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): RawObjectApi {
    const api = kc.makeApiClient(RawObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    _type?: string,
  ): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(text) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
  }

  private async send(method: HttpMethod, path: string, body: unknown): Promise<Obj> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', 'application/json');
    ctx.setBody(JSON.stringify(body));
    try {
      return await this.requestPromise<Obj>(ctx);
    } catch (err) {
      if (err instanceof ApiException) {
        const body = err.body as unknown;
        let message = typeof body === 'string' ? body : JSON.stringify(body);
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          // not JSON
        }
        const e = new Error(`${method} ${path}: HTTP ${err.code}: ${message}`) as Error & { code: number };
        e.code = err.code;
        throw e;
      }
      throw err;
    }
  }

  async createRaw(obj: Obj): Promise<Obj> {
    return this.send(HttpMethod.POST, await this.specUriPath(obj, 'create'), obj);
  }

  async replaceStatusRaw(obj: Obj): Promise<Obj> {
    return this.send(HttpMethod.PUT, `${await this.specUriPath(obj, 'replace')}/status`, obj);
  }

  /**
   * Delete now: no grace period (no kubelet will confirm it). Background propagation adds no
   * finalizer (Orphan would add one that only the absent garbage collector removes); dependents
   * are deleted by the caller, one by one.
   */
  async deleteRaw(obj: Obj): Promise<void> {
    await this.send(HttpMethod.DELETE, await this.specUriPath(obj, 'delete'), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
    });
  }
}

/** Every object in a multi-document YAML text; `kind: List` documents are flattened. */
export function parseClusterYaml(yamlText: string): Obj[] {
  const out: Obj[] = [];
  const add = (doc: unknown) => {
    if (doc === null || typeof doc !== 'object') return;
    const o = doc as Obj;
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) add(item);
      return;
    }
    if (!o.kind)
      throw new Error(`cluster.yaml: a document has no kind: ${JSON.stringify(doc).slice(0, 200)}`);
    out.push(o);
  };
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`cluster.yaml: ${doc.errors[0]?.message}`);
    add(doc.toJS());
  }
  return out;
}

const order = (kind: string | undefined) => KIND_ORDER[kind ?? ''] ?? DEFAULT_ORDER;
const keyOf = (kind: string | undefined, namespace: unknown, name: unknown) =>
  `${kind ?? ''}/${typeof namespace === 'string' ? namespace : ''}/${String(name)}`;
const isHttp = (err: unknown, code: number) => (err as { code?: unknown }).code === code;

/** One load into an apiserver: the uids and objects created so far, for owners and statuses. */
interface Load {
  api: RawObjectApi;
  uids: Map<string, string>;
  created: Map<string, Obj>;
  defaultNs: string;
}

function startLoad(kc: KubeConfig): Load {
  const defaultNs = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return { api: RawObjectApi.forConfig(kc), uids: new Map(), created: new Map(), defaultNs };
}

/** The objects in creation order (owners first, Events last), each a copy. */
function inCreationOrder(objects: Obj[]): Obj[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => order(a.o.kind) - order(b.o.kind) || a.i - b.i)
    .map(({ o }) => structuredClone(o));
}

/** Namespaces that objects live in but the file does not declare. */
function implicitNamespaces(objects: Obj[]): Obj[] {
  const declared = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name));
  const needed = new Set<string>();
  for (const o of objects) {
    const ns = o.metadata?.namespace;
    if (ns && !declared.has(ns)) needed.add(ns);
  }
  return [...needed].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

const describeObj = (obj: Obj) =>
  `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;

function keyOfObj(load: Load, obj: Obj): string {
  const ns =
    obj.kind === 'Namespace' || obj.kind === 'Node' ? '' : (obj.metadata?.namespace ?? load.defaultNs);
  return keyOf(obj.kind, ns, obj.metadata?.name);
}

/** Writes the file's status of a created object through its status subresource. */
async function writeStatus(load: Load, obj: Obj, created: Obj): Promise<void> {
  const status = obj.status;
  if (!status || typeof status !== 'object' || !obj.kind || !STATUS_KINDS.has(obj.kind)) return;
  const withStatus: Obj = { ...created, status: structuredClone(status) };
  if (obj.kind === 'Pod') {
    // qosClass is derived from the spec by the server and may not change.
    const serverQos = (created.status as { qosClass?: string } | undefined)?.qosClass;
    if (serverQos) (withStatus.status as { qosClass?: string }).qosClass = serverQos;
  }
  try {
    load.created.set(keyOfObj(load, obj), await load.api.replaceStatusRaw(withStatus));
  } catch (err) {
    throw new Error(`writing status of ${describeObj(obj)}: ${(err as Error).message}`);
  }
}

/** Creates each object (owner references and Events' involvedObject get the created uids). */
async function createObjects(load: Load, objects: Obj[], options: { status: boolean }): Promise<void> {
  for (const obj of objects) {
    const body = prepareForCreate(obj, load.uids, load.defaultNs);
    let created: Obj;
    try {
      created = await load.api.createRaw(body);
    } catch (err) {
      if (obj.kind === 'Namespace' && isHttp(err, 409)) continue;
      throw new Error(`loading ${describeObj(obj)}: ${(err as Error).message}`);
    }
    const m = created.metadata;
    if (m?.uid) load.uids.set(keyOf(created.kind ?? obj.kind, m.namespace, m.name), m.uid);
    load.created.set(keyOfObj(load, obj), created);
    if (options.status) await writeStatus(load, obj, created);
  }
}

/**
 * Creates every object of a scenario's cluster.yaml, then writes the status of Pods, Nodes,
 * workloads and ReplicaSets through their status subresources, and finally creates the Events
 * with their timestamps. Owner references and Events' involvedObject get the created uids.
 */
export async function loadClusterYaml(kc: KubeConfig, yamlText: string): Promise<void> {
  const load = startLoad(kc);
  const objects = inCreationOrder(parseClusterYaml(yamlText));
  await createObjects(load, [...implicitNamespaces(objects), ...objects], { status: true });
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The ReplicaSet of the highest revision: the one a rollout created last. */
function newestReplicaSet(objects: Obj[]): Obj | undefined {
  const revision = (o: Obj) => Number((o.metadata?.annotations as Meta | undefined)?.[REVISION] ?? 0);
  return objects.filter((o) => o.kind === 'ReplicaSet').sort((a, b) => revision(b) - revision(a))[0];
}

const epochOf = (time: unknown): number => Date.parse(String(time)) / 1000;

/**
 * Loads a cluster.yaml dated by the apiserver's own clock. The apiserver stamps every object's
 * creationTimestamp when it is created, and no client can set it; a ReplicaSet created now is
 * dated now, whatever the file says, and a diagnosis dates a rollout by its newest ReplicaSet.
 * So this creates the objects up to the ReplicaSets first (owners before what they own, without
 * their status), reads the time the apiserver gave the newest ReplicaSet, and asks `shifted` for
 * the whole cluster.yaml moved by (that time − the file's). From that text it writes the statuses
 * of the objects already there, then creates the rest (Services, Pods, Events…). Resolves with
 * the seconds: the caller moves the scenario's metrics and moment of diagnosis by as much.
 */
export async function loadClusterYamlAtRollout(
  kc: KubeConfig,
  yamlText: string,
  shifted: (seconds: number) => string,
): Promise<number> {
  const load = startLoad(kc);
  const objects = inCreationOrder(parseClusterYaml(yamlText));
  const newest = newestReplicaSet(objects);
  const fileTime = epochOf(newest?.metadata?.creationTimestamp);
  if (!newest || Number.isNaN(fileTime))
    throw new Error('cluster.yaml has no ReplicaSet with a creationTimestamp to date the load by');
  const first = (o: Obj) => order(o.kind) <= order('ReplicaSet');
  await createObjects(load, [...implicitNamespaces(objects), ...objects.filter(first)], { status: false });
  const liveTime = epochOf(load.created.get(keyOfObj(load, newest))?.metadata?.creationTimestamp);
  const seconds = liveTime - fileTime;
  const moved = inCreationOrder(parseClusterYaml(shifted(seconds)));
  for (const obj of moved.filter(first)) {
    if (!obj.status || !STATUS_KINDS.has(obj.kind ?? '')) continue;
    const created = load.created.get(keyOfObj(load, obj));
    if (!created) throw new Error(`the shifted cluster.yaml has ${describeObj(obj)}, the file did not`);
    await writeStatus(load, obj, created);
  }
  await createObjects(
    load,
    moved.filter((o) => !first(o)),
    { status: true },
  );
  return seconds;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

/**
 * A real workload's pod template always carries the labels its selector matches (a ReplicaSet's
 * pod-template-hash included), and the apiserver refuses one that does not. Hand-written files
 * sometimes leave them out of the template: add the selector's matchLabels to the template labels.
 */
function withSelectorLabelsInTemplate(spec: unknown): unknown {
  if (!spec || typeof spec !== 'object') return spec;
  const s = spec as { selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: Meta } };
  const matchLabels = s.selector?.matchLabels;
  if (!matchLabels || !s.template) return spec;
  const metadata = s.template.metadata ?? {};
  const labels = { ...((metadata.labels as Record<string, string> | undefined) ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(matchLabels)) {
    if (labels[k] === undefined) {
      labels[k] = v;
      changed = true;
    }
  }
  if (!changed) return spec;
  return { ...s, template: { ...s.template, metadata: { ...metadata, labels } } };
}

/** A copy of obj fit for POST: server-managed fields gone, owner/involved uids rewritten. */
function prepareForCreate(obj: Obj, uids: Map<string, string>, defaultNs: string): Obj {
  const body: Obj = { ...obj };
  delete body.status;
  const meta: Meta = { ...((obj.metadata as Meta | undefined) ?? {}) };
  for (const k of SERVER_MANAGED_METADATA) delete meta[k];
  const ns = (meta.namespace as string | undefined) ?? defaultNs;

  if (Array.isArray(meta.ownerReferences)) {
    const refs: Meta[] = [];
    for (const ref of meta.ownerReferences as Meta[]) {
      const uid =
        uids.get(keyOf(ref.kind as string, ns, ref.name)) ??
        uids.get(keyOf(ref.kind as string, '', ref.name));
      if (uid) refs.push({ ...ref, uid });
      else if (typeof ref.uid === 'string' && ref.uid !== '') refs.push(ref);
      // an owner without a uid that is not in the file cannot be referenced: drop it
    }
    if (refs.length > 0) meta.ownerReferences = refs;
    else delete meta.ownerReferences;
  }
  body.metadata = meta as Obj['metadata'];

  if (obj.kind === 'Service') {
    const spec = { ...((obj.spec as Meta | undefined) ?? {}) };
    // cluster IPs are allocated by this apiserver from its own range; keep headless services headless
    if (spec.clusterIP !== 'None') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    body.spec = spec;
  }

  if (obj.kind && WORKLOAD_KINDS.has(obj.kind)) body.spec = withSelectorLabelsInTemplate(obj.spec);

  if (obj.kind === 'Event') {
    const involved = { ...((obj.involvedObject as Meta | undefined) ?? {}) };
    const uid = uids.get(keyOf(involved.kind as string, involved.namespace, involved.name));
    if (uid) involved.uid = uid;
    else delete involved.uid;
    delete involved.resourceVersion;
    body.involvedObject = involved;
    if (body.eventTime === null) delete body.eventTime;
  }
  return body;
}

/**
 * Deletes every object of a cluster.yaml that `loadClusterYaml` created, so the next scenario can
 * be loaded into the same apiserver. Namespaces stay (they never finish deleting without the
 * namespace controller) and are reused by the next load. Objects already gone are fine.
 */
export async function unloadClusterYaml(kc: KubeConfig, yamlText: string): Promise<void> {
  const api = RawObjectApi.forConfig(kc);
  const objects = parseClusterYaml(yamlText)
    .filter((o) => o.kind !== 'Namespace')
    .sort((a, b) => order(b.kind) - order(a.kind));
  for (const obj of objects) {
    const { name, namespace } = obj.metadata ?? {};
    // the path comes from discovery: namespaced kinds default to the context's namespace
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, namespace } } as Obj;
    try {
      await api.deleteRaw(ref);
    } catch (err) {
      if (isHttp(err, 404)) continue;
      throw new Error(
        `deleting ${obj.kind} ${namespace ? `${namespace}/` : ''}${name}: ${(err as Error).message}`,
      );
    }
  }
}
