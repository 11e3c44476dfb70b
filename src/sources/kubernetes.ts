/** The live ObjectLister: the Kubernetes API through @kubernetes/client-node. Thin by design. */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { OomBotError } from '../errors.ts';
import type { KubeObject, ObjectKind, ObjectLister } from './ports.ts';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
}

/** KUBECONFIG file if given, else in-cluster service account, else the default locations. */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new OomBotError('config_invalid', `kubeconfig has no context named ${options.context}`);
    }
    kc.setCurrentContext(options.context);
  }
  return kc;
}

type ListFn = (namespace?: string) => Promise<{ items: unknown[] }>;

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

/** An ObjectLister over a live cluster. */
export function createKubernetesLister(kc: KubeConfig, name = kc.getCurrentContext()): ObjectLister {
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
      try {
        const result = await listers[kind](namespace);
        return (result.items ?? []).map((item) => ({ kind, ...(item as object) }) as KubeObject);
      } catch (error) {
        throw describeKubeError(error, `list ${kind}${namespace ? ` in ${namespace}` : ''}`);
      }
    },
  };
}

/** A coded error for an API failure: 403 names the missing permission. */
export function describeKubeError(error: unknown, what: string): OomBotError {
  const code = (error as { code?: number }).code;
  if (code === 403)
    return new OomBotError('forbidden', `the bot's service account may not ${what} (403 Forbidden)`, {
      cause: error,
    });
  if (code === 409)
    return new OomBotError('conflict', `${what}: the object changed meanwhile (409 Conflict)`, {
      cause: error,
    });
  const reason = code ? `HTTP ${code}` : ((error as Error).message ?? String(error)).split('\n')[0];
  return new OomBotError('source_unavailable', `Kubernetes API: cannot ${what}: ${reason}`, { cause: error });
}
