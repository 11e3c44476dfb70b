/** The live ObjectLister: the Kubernetes API through @kubernetes/client-node. Thin by design. */
import type { KubeConfig } from '@kubernetes/client-node';
import { OomBotError } from '../errors.ts';
import { kubeClient } from './kube-client.ts';
import { networkReason } from './net-error.ts';
import type { KubeObject, ObjectKind, ObjectLister } from './ports.ts';

export interface KubeConfigOptions {
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

type ListFn = (namespace?: string) => Promise<{ items: unknown[] }>;

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

export interface KubernetesListerOptions {
  /** Per list call; a slow apiserver becomes a source_timeout error naming the call. Default 10 s. */
  timeoutMs?: number;
}

/** An ObjectLister over a live cluster. Failures are OomBotErrors naming the server and the call. */
export function createKubernetesLister(
  kc: KubeConfig,
  name = kc.getCurrentContext(),
  options: KubernetesListerOptions = {},
): ObjectLister {
  const server = kc.getCurrentCluster()?.server;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi } = kubeClient();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const listers: Record<ObjectKind, ListFn> = {
    Namespace: () => core.listNamespace(),
    Node: () => core.listNode(),
    Service: (ns) =>
      ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces(),
    Pod: (ns) => (ns ? core.listNamespacedPod({ namespace: ns }) : core.listPodForAllNamespaces()),
    Event: (ns) => (ns ? core.listNamespacedEvent({ namespace: ns }) : core.listEventForAllNamespaces()),
    Deployment: (ns) =>
      ns ? apps.listNamespacedDeployment({ namespace: ns }) : apps.listDeploymentForAllNamespaces(),
    StatefulSet: (ns) =>
      ns ? apps.listNamespacedStatefulSet({ namespace: ns }) : apps.listStatefulSetForAllNamespaces(),
    DaemonSet: (ns) =>
      ns ? apps.listNamespacedDaemonSet({ namespace: ns }) : apps.listDaemonSetForAllNamespaces(),
    ReplicaSet: (ns) =>
      ns ? apps.listNamespacedReplicaSet({ namespace: ns }) : apps.listReplicaSetForAllNamespaces(),
    HorizontalPodAutoscaler: (ns) =>
      ns
        ? autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns })
        : autoscaling.listHorizontalPodAutoscalerForAllNamespaces(),
    VerticalPodAutoscaler: async (ns) => {
      const group = 'autoscaling.k8s.io';
      const plural = 'verticalpodautoscalers';
      try {
        return ns
          ? await custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural })
          : await custom.listClusterCustomObject({ group, version: 'v1', plural });
      } catch (error) {
        if (isNotFound(error)) return { items: [] };
        throw error;
      }
    },
  };
  return {
    name: `cluster ${name}`,
    async list(kind, namespace) {
      const what = `list ${kind}${namespace ? ` in ${namespace}` : ''}`;
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
        const result = await Promise.race([listers[kind](namespace), timeout]);
        return (result.items ?? []).map((item) => ({ kind, ...(item as object) }) as KubeObject);
      } catch (error) {
        if (error instanceof OomBotError) throw error;
        throw describeKubeError(error, what, server);
      } finally {
        clearTimeout(timer);
      }
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
