/**
 * The cluster calls a remediation makes, as a port, and its live adapter over
 * @kubernetes/client-node. Patches are strategic merge (client-node's default content type is
 * JSON Patch, so it is set explicitly), JSON merge for an Argo Rollout (a CRD), and every write
 * can run as a server-side dry run.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadKind } from '../domain/workload-ref.ts';
import { OomBotError } from '../errors.ts';
import { kubeClient } from '../sources/kube-client.ts';
import { describeKubeError } from '../sources/kubernetes.ts';
import type { KubeObject } from '../sources/ports.ts';
import { withTimeout } from '../timeout.ts';

export interface WorkloadKey {
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

export interface RemediationCluster {
  /** "cluster prod-eu", for messages. */
  readonly name: string;
  readWorkload(ref: WorkloadKey): Promise<KubeObject>;
  /** A strategic-merge patch (a JSON merge patch for a Rollout, see patch.ts patchStrategyOf); `dryRun` runs it server-side (dryRun=All) and persists nothing. */
  patchWorkload(ref: WorkloadKey, patch: object, options: { dryRun: boolean }): Promise<KubeObject>;
  listPods(namespace: string, selector: Record<string, string>): Promise<KubeObject[]>;
  createHpa(namespace: string, hpa: KubeObject, options: { dryRun: boolean }): Promise<KubeObject>;
  createVpa(namespace: string, vpa: KubeObject, options: { dryRun: boolean }): Promise<KubeObject>;
  /** A ReplicaSet, for a rollout undo. */
  readReplicaSet?(namespace: string, name: string): Promise<KubeObject>;
  /** Replace the whole workload (PUT): its metadata.resourceVersion is the precondition (409 on a concurrent edit). */
  replaceWorkload?(ref: WorkloadKey, obj: KubeObject, options: { dryRun: boolean }): Promise<KubeObject>;
  /** The VPAs of a namespace (Create VPA refuses a workload one already targets). */
  listVpas?(namespace: string): Promise<KubeObject[]>;
  readVpa?(namespace: string, name: string): Promise<KubeObject>;
  /** A JSON merge patch of a VPA (a CRD takes no strategic merge). */
  patchVpa?(
    namespace: string,
    name: string,
    patch: object,
    options: { dryRun: boolean },
  ): Promise<KubeObject>;
  readHpa?(namespace: string, name: string): Promise<KubeObject>;
  /** A JSON Patch (RFC 6902) of an HPA: its `test` operations are the precondition. */
  patchHpa?(
    namespace: string,
    name: string,
    ops: object[],
    options: { dryRun: boolean },
  ): Promise<KubeObject>;
}

const FIELD_MANAGER = 'oom-bot';

const VPA = { group: 'autoscaling.k8s.io', version: 'v1', plural: 'verticalpodautoscalers' } as const;
const ROLLOUT = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;

/** The kinds whose pod template the adapter reads and patches (plan.ts PATCHABLE_KINDS). */
type WritableKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'CronJob' | 'Rollout';
const API_VERSION: Record<WritableKind, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  CronJob: 'batch/v1',
  Rollout: 'argoproj.io/v1alpha1',
};
const WRITABLE: ReadonlySet<string> = new Set(Object.keys(API_VERSION));

function kubeTimeout(ms: number, what: string, server?: string): () => OomBotError {
  const where = server ? ` at ${server}` : '';
  return () => new OomBotError('source_timeout', `Kubernetes API${where}: ${what} timed out after ${ms} ms`);
}

/** Plain JSON of a typed client-node object (Dates become RFC 3339 strings). */
function plain(obj: unknown): KubeObject {
  return JSON.parse(JSON.stringify(obj)) as KubeObject;
}

function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

interface RemediationClusterOptions {
  /** Per call; default 15 s. */
  timeoutMs?: number;
}

/** The live adapter. Failures are OomBotErrors: forbidden (403), conflict (409), or unavailable. */
export function createRemediationCluster(
  kc: KubeConfig,
  name = kc.getCurrentContext(),
  options: RemediationClusterOptions = {},
): RemediationCluster {
  const server = kc.getCurrentCluster()?.server;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const {
    AppsV1Api,
    AutoscalingV2Api,
    BatchV1Api,
    CoreV1Api,
    CustomObjectsApi,
    PatchStrategy,
    setHeaderOptions,
  } = kubeClient();
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(run(), timeoutMs, kubeTimeout(timeoutMs, what, server));
    } catch (error) {
      if (error instanceof OomBotError) throw error;
      if ((error as { code?: unknown }).code === 404) {
        throw new OomBotError('target_not_found', `${what}: not found (404)`, { cause: error });
      }
      throw describeKubeError(error, what, server);
    }
  }

  const kindText = (ref: WorkloadKey) => `${ref.kind.toLowerCase()}/${ref.name} in ${ref.namespace}`;

  function checkKind(ref: WorkloadKey): WritableKind {
    if (!WRITABLE.has(ref.kind)) {
      throw new OomBotError(
        'approval_refused',
        `the bot changes only the pod template of a ${[...WRITABLE].join(', ')}; not a ${ref.kind}`,
      );
    }
    return ref.kind as WritableKind;
  }

  type Args = { name: string; namespace: string };
  type PatchArgs = Args & { body: object; fieldManager: string; dryRun?: string };
  const readers: Record<WritableKind, (a: Args) => Promise<unknown>> = {
    Deployment: (a) => apps.readNamespacedDeployment(a),
    StatefulSet: (a) => apps.readNamespacedStatefulSet(a),
    DaemonSet: (a) => apps.readNamespacedDaemonSet(a),
    ReplicaSet: (a) => apps.readNamespacedReplicaSet(a),
    CronJob: (a) => batch.readNamespacedCronJob(a),
    Rollout: (a) => custom.getNamespacedCustomObject({ ...ROLLOUT, ...a }),
  };
  // strategic merge everywhere but on the Rollout CRD, which takes a JSON merge patch only
  const patchers: Record<WritableKind, (a: PatchArgs) => Promise<unknown>> = {
    Deployment: (a) => apps.patchNamespacedDeployment(a, strategic),
    StatefulSet: (a) => apps.patchNamespacedStatefulSet(a, strategic),
    DaemonSet: (a) => apps.patchNamespacedDaemonSet(a, strategic),
    ReplicaSet: (a) => apps.patchNamespacedReplicaSet(a, strategic),
    CronJob: (a) => batch.patchNamespacedCronJob(a, strategic),
    Rollout: (a) => custom.patchNamespacedCustomObject({ ...ROLLOUT, ...a }, merge),
  };
  const typed = (obj: unknown, kind: WritableKind): KubeObject => ({
    ...plain(obj),
    apiVersion: API_VERSION[kind],
    kind,
  });

  return {
    name: `cluster ${name}`,
    async readWorkload(ref) {
      const kind = checkKind(ref);
      const args = { name: ref.name, namespace: ref.namespace };
      return typed(await call(`read ${kindText(ref)}`, () => readers[kind](args)), kind);
    },
    async patchWorkload(ref, patch, { dryRun }) {
      const kind = checkKind(ref);
      const args = {
        name: ref.name,
        namespace: ref.namespace,
        body: patch,
        fieldManager: FIELD_MANAGER,
        ...(dryRun ? { dryRun: 'All' } : {}),
      };
      const what = `${dryRun ? 'dry-run ' : ''}patch ${kindText(ref)}`;
      return typed(await call(what, () => patchers[kind](args)), kind);
    },
    async readReplicaSet(namespace, name) {
      const obj = await call(`read replicaset/${name} in ${namespace}`, () =>
        apps.readNamespacedReplicaSet({ name, namespace }),
      );
      return { ...plain(obj), apiVersion: 'apps/v1', kind: 'ReplicaSet' };
    },
    async replaceWorkload(ref, obj, { dryRun }) {
      if (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet') {
        throw new OomBotError(
          'approval_refused',
          `the bot replaces only Deployments and StatefulSets, not ${ref.kind}s`,
        );
      }
      const args = {
        name: ref.name,
        namespace: ref.namespace,
        body: obj as never,
        fieldManager: FIELD_MANAGER,
        ...(dryRun ? { dryRun: 'All' } : {}),
      };
      const what = `${dryRun ? 'dry-run ' : ''}replace ${kindText(ref)}`;
      const out = await call(what, () =>
        ref.kind === 'Deployment'
          ? apps.replaceNamespacedDeployment(args)
          : apps.replaceNamespacedStatefulSet(args),
      );
      return { ...plain(out), apiVersion: 'apps/v1', kind: ref.kind };
    },
    async listPods(namespace, selector) {
      const list = await call(`list pods in ${namespace}`, () =>
        core.listNamespacedPod({ namespace, labelSelector: selectorText(selector) }),
      );
      return list.items.map((p) => ({ ...plain(p), kind: 'Pod' }));
    },
    async createHpa(namespace, hpa, { dryRun }) {
      const what = `${dryRun ? 'dry-run ' : ''}create horizontalpodautoscaler/${hpa.metadata?.name} in ${namespace}`;
      const obj = await call(what, () =>
        autoscaling.createNamespacedHorizontalPodAutoscaler({
          namespace,
          body: hpa as never,
          fieldManager: FIELD_MANAGER,
          ...(dryRun ? { dryRun: 'All' } : {}),
        }),
      );
      return { ...plain(obj), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
    },
    async createVpa(namespace, vpa, { dryRun }) {
      const what = `${dryRun ? 'dry-run ' : ''}create verticalpodautoscaler/${vpa.metadata?.name} in ${namespace}`;
      const obj = await call(what, () =>
        custom.createNamespacedCustomObject({
          ...VPA,
          namespace,
          body: vpa,
          fieldManager: FIELD_MANAGER,
          ...(dryRun ? { dryRun: 'All' } : {}),
        }),
      );
      return plain(obj);
    },
    async listVpas(namespace) {
      const list = (await call(`list verticalpodautoscalers in ${namespace}`, () =>
        custom.listNamespacedCustomObject({ ...VPA, namespace }),
      )) as { items?: unknown[] };
      return (list.items ?? []).map(plain);
    },
    async readVpa(namespace, name) {
      return plain(
        await call(`read verticalpodautoscaler/${name} in ${namespace}`, () =>
          custom.getNamespacedCustomObject({ ...VPA, namespace, name }),
        ),
      );
    },
    async patchVpa(namespace, name, patch, { dryRun }) {
      const what = `${dryRun ? 'dry-run ' : ''}patch verticalpodautoscaler/${name} in ${namespace}`;
      const args = {
        ...VPA,
        namespace,
        name,
        body: patch,
        fieldManager: FIELD_MANAGER,
        ...(dryRun ? { dryRun: 'All' } : {}),
      };
      return plain(await call(what, () => custom.patchNamespacedCustomObject(args, merge)));
    },
    async readHpa(namespace, name) {
      const obj = await call(`read horizontalpodautoscaler/${name} in ${namespace}`, () =>
        autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name }),
      );
      return { ...plain(obj), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
    },
    async patchHpa(namespace, name, ops, { dryRun }) {
      const what = `${dryRun ? 'dry-run ' : ''}patch horizontalpodautoscaler/${name} in ${namespace}`;
      const obj = await call(what, () =>
        autoscaling.patchNamespacedHorizontalPodAutoscaler(
          {
            namespace,
            name,
            body: ops,
            fieldManager: FIELD_MANAGER,
            ...(dryRun ? { dryRun: 'All' } : {}),
          },
          jsonPatch,
        ),
      );
      return { ...plain(obj), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
    },
  };
}

/** A cluster that refuses every call: the bot runs on a scenario's files with no cluster to change. */
export function noCluster(reason: string): RemediationCluster {
  const refuse = async (): Promise<never> => {
    throw new OomBotError('source_unavailable', reason);
  };
  return {
    name: 'no cluster',
    readWorkload: refuse,
    patchWorkload: refuse,
    listPods: refuse,
    createHpa: refuse,
    createVpa: refuse,
  };
}
