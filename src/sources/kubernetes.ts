/** The live ObjectLister: the Kubernetes API through @kubernetes/client-node. Thin by design. */
import type * as KubeClient from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { OomBotError } from '../errors.ts';
import { kubeClient } from './kube-client.ts';
import { networkReason } from './net-error.ts';
import type { KubeObject, ListOptions, ObjectKind, ObjectLister } from './ports.ts';

interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
}

/** KUBECONFIG file if given, else in-cluster service account, else the default locations. */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kc = new (kubeClient().KubeConfig)();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (error) {
    const source = options.kubeconfig ?? 'the default kubeconfig';
    const reason = ((error as Error).message ?? String(error)).split('\n')[0];
    throw new OomBotError('config_invalid', `cannot read ${source}: ${reason}`, { cause: error });
  }
  if (!kc.getCurrentCluster()) {
    throw new OomBotError(
      'config_invalid',
      `${options.kubeconfig ?? 'the kubeconfig'} names no cluster for context "${kc.getCurrentContext()}"`,
    );
  }
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new OomBotError('unknown_context', `kubeconfig has no context named ${options.context}`);
    }
    kc.setCurrentContext(options.context);
  }
  return kc;
}

type Page = { items?: unknown[] };
type ListFn = (namespace: string | undefined, options: ListOptions) => Promise<Page>;
type GetFn = (namespace: string | undefined, name: string) => Promise<unknown>;

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

/** A custom resource's list: an absent CRD (404) is an empty list, not an error. */
async function listCustom(
  custom: KubeClient.CustomObjectsApi,
  group: string,
  version: string,
  plural: string,
  namespace: string | undefined,
  options: ListOptions,
): Promise<Page> {
  try {
    return (await (namespace
      ? custom.listNamespacedCustomObject({ group, version, namespace, plural, ...options })
      : custom.listClusterCustomObject({ group, version, plural, ...options }))) as Page;
  } catch (error) {
    if (isNotFound(error)) return { items: [] };
    throw error;
  }
}

/**
 * Client-node's kubeconfig authentication builds a new undici Agent (its own connection pool,
 * its own TLS sessions) for every request and never closes it: native memory grew by about
 * 6 MiB a diagnosis while the heap stayed flat. This wrapper applies the kubeconfig's headers
 * as before but sends every request through the first Agent it built, so connections are reused.
 */
function sharedDispatcherAuth(kc: KubeConfig): KubeClient.SecurityAuthentication {
  let shared: unknown;
  return {
    getName: () => 'kubeconfig authentication, one connection pool',
    async applySecurityAuthentication(context) {
      await kc.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (fresh === undefined) return;
      if (shared === undefined) shared = fresh;
      else void (fresh as { close?: () => Promise<void> }).close?.();
      context.setDispatcher(shared as typeof fresh);
    },
  };
}

/** An API client whose requests share one connection pool (see sharedDispatcherAuth). */
function makeClient<T>(
  kc: KubeConfig,
  auth: KubeClient.SecurityAuthentication,
  Api: new (config: KubeClient.Configuration) => T,
): T {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return kc.makeApiClient(Api as never) as T;
  const { createConfiguration, ServerConfiguration } = kubeClient();
  return new Api(
    createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: auth },
    }),
  );
}

interface KubernetesListerOptions {
  /** Per call; a slow apiserver becomes a source_timeout error naming the call. Default 10 s. */
  timeoutMs?: number;
}

const VPA = ['autoscaling.k8s.io', 'v1', 'verticalpodautoscalers'] as const;
const ROLLOUT = ['argoproj.io', 'v1alpha1', 'rollouts'] as const;

/** An ObjectLister over a live cluster. Failures are OomBotErrors naming the server and the call. */
export function createKubernetesLister(
  kc: KubeConfig,
  name = kc.getCurrentContext(),
  options: KubernetesListerOptions = {},
): ObjectLister {
  const server = kc.getCurrentCluster()?.server;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, CustomObjectsApi } = kubeClient();
  const auth = sharedDispatcherAuth(kc);
  const core = makeClient(kc, auth, CoreV1Api);
  const apps = makeClient(kc, auth, AppsV1Api);
  const batch = makeClient(kc, auth, BatchV1Api);
  const autoscaling = makeClient(kc, auth, AutoscalingV2Api);
  const custom = makeClient(kc, auth, CustomObjectsApi);
  const ns = (namespace: string | undefined) => namespace ?? '';
  const listers: Record<ObjectKind, ListFn> = {
    Namespace: (_, o) => core.listNamespace(o),
    Node: (_, o) => core.listNode(o),
    Service: (n, o) =>
      n ? core.listNamespacedService({ namespace: n, ...o }) : core.listServiceForAllNamespaces(o),
    Pod: (n, o) => (n ? core.listNamespacedPod({ namespace: n, ...o }) : core.listPodForAllNamespaces(o)),
    Event: (n, o) =>
      n ? core.listNamespacedEvent({ namespace: n, ...o }) : core.listEventForAllNamespaces(o),
    Deployment: (n, o) =>
      n ? apps.listNamespacedDeployment({ namespace: n, ...o }) : apps.listDeploymentForAllNamespaces(o),
    StatefulSet: (n, o) =>
      n ? apps.listNamespacedStatefulSet({ namespace: n, ...o }) : apps.listStatefulSetForAllNamespaces(o),
    DaemonSet: (n, o) =>
      n ? apps.listNamespacedDaemonSet({ namespace: n, ...o }) : apps.listDaemonSetForAllNamespaces(o),
    ReplicaSet: (n, o) =>
      n ? apps.listNamespacedReplicaSet({ namespace: n, ...o }) : apps.listReplicaSetForAllNamespaces(o),
    Job: (n, o) => (n ? batch.listNamespacedJob({ namespace: n, ...o }) : batch.listJobForAllNamespaces(o)),
    CronJob: (n, o) =>
      n ? batch.listNamespacedCronJob({ namespace: n, ...o }) : batch.listCronJobForAllNamespaces(o),
    Rollout: (n, o) => listCustom(custom, ...ROLLOUT, n, o),
    HorizontalPodAutoscaler: (n, o) =>
      n
        ? autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: n, ...o })
        : autoscaling.listHorizontalPodAutoscalerForAllNamespaces(o),
    VerticalPodAutoscaler: (n, o) => listCustom(custom, ...VPA, n, o),
  };
  const getters: Record<ObjectKind, GetFn> = {
    Namespace: (_, name) => core.readNamespace({ name }),
    Node: (_, name) => core.readNode({ name }),
    Service: (n, name) => core.readNamespacedService({ namespace: ns(n), name }),
    Pod: (n, name) => core.readNamespacedPod({ namespace: ns(n), name }),
    Event: (n, name) => core.readNamespacedEvent({ namespace: ns(n), name }),
    Deployment: (n, name) => apps.readNamespacedDeployment({ namespace: ns(n), name }),
    StatefulSet: (n, name) => apps.readNamespacedStatefulSet({ namespace: ns(n), name }),
    DaemonSet: (n, name) => apps.readNamespacedDaemonSet({ namespace: ns(n), name }),
    ReplicaSet: (n, name) => apps.readNamespacedReplicaSet({ namespace: ns(n), name }),
    Job: (n, name) => batch.readNamespacedJob({ namespace: ns(n), name }),
    CronJob: (n, name) => batch.readNamespacedCronJob({ namespace: ns(n), name }),
    Rollout: (n, name) =>
      custom.getNamespacedCustomObject({
        group: ROLLOUT[0],
        version: ROLLOUT[1],
        plural: ROLLOUT[2],
        namespace: ns(n),
        name,
      }),
    HorizontalPodAutoscaler: (n, name) =>
      autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: ns(n), name }),
    VerticalPodAutoscaler: (n, name) =>
      custom.getNamespacedCustomObject({
        group: VPA[0],
        version: VPA[1],
        plural: VPA[2],
        namespace: ns(n),
        name,
      }),
  };

  /** Run one API call under the timeout; errors become OomBotErrors naming `what`. */
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const where = server ? ` at ${server}` : '';
        reject(
          new OomBotError(
            'source_timeout',
            `Kubernetes API${where}: ${what} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (error instanceof OomBotError) throw error;
      throw describeKubeError(error, what, server);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: `cluster ${name}`,
    async list(kind, namespace, listOptions = {}) {
      const selectors = [
        listOptions.fieldSelector,
        listOptions.labelSelector,
        listOptions.limit ? `first ${listOptions.limit}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      const what = `list ${kind}${namespace ? ` in ${namespace}` : ''}${selectors ? ` (${selectors})` : ''}`;
      const query: ListOptions = {};
      if (listOptions.fieldSelector) query.fieldSelector = listOptions.fieldSelector;
      if (listOptions.labelSelector) query.labelSelector = listOptions.labelSelector;
      if (listOptions.limit) query.limit = listOptions.limit;
      const result = await call(what, () => listers[kind](namespace, query));
      return (result.items ?? []).map((item) => ({ kind, ...(item as object) }) as KubeObject);
    },
    async get(kind, namespace, objectName) {
      const what = `get ${kind} ${namespace ? `${namespace}/` : ''}${objectName}`;
      const found = await call(what, async () => {
        try {
          return await getters[kind](namespace, objectName);
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      });
      return found === undefined ? undefined : ({ kind, ...(found as object) } as KubeObject);
    },
  };
}

/** The apiserver's own words from an error response (a Status object's message), if any. */
function statusMessage(error: unknown): string | undefined {
  const body = (error as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() ? body.trim().slice(0, 300) : undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/**
 * A coded error for an API failure. 403 names what was refused and whom the apiserver refused;
 * anything else names the server and the reason (HTTP status, or "connection refused" and kin).
 */
export function describeKubeError(error: unknown, what: string, server?: string): OomBotError {
  const code = (error as { code?: unknown }).code;
  const said = statusMessage(error);
  if (code === 403) {
    // "pods is forbidden: User "system:serviceaccount:oom-bot:oom-bot" cannot list resource ..."
    const who = said?.replace(/^.*? is forbidden: /, '');
    return new OomBotError(
      'forbidden',
      `the bot's service account may not ${what} (403 Forbidden${who ? `: ${who}` : ''})`,
      { cause: error, details: { what } },
    );
  }
  if (code === 409)
    return new OomBotError('conflict', `${what}: the object changed meanwhile (409 Conflict)`, {
      cause: error,
    });
  const where = server ? ` at ${server}` : '';
  const reason = typeof code === 'number' ? `HTTP ${code}${said ? `: ${said}` : ''}` : networkReason(error);
  return new OomBotError('source_unavailable', `Kubernetes API${where}: cannot ${what}: ${reason}`, {
    cause: error,
  });
}
