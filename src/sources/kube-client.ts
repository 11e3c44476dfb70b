/**
 * @kubernetes/client-node, loaded on first use (a synchronous require of the ES module). Its
 * generated API classes cost about 80 MiB of RSS, and the web process never talks to Kubernetes.
 */
import { createRequire } from 'node:module';
import type * as KubeClient from '@kubernetes/client-node';

const require = createRequire(import.meta.url);
let loaded: typeof KubeClient | undefined;

export function kubeClient(): typeof KubeClient {
  loaded ??= require('@kubernetes/client-node') as typeof KubeClient;
  return loaded;
}
