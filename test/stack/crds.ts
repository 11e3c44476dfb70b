/**
 * Custom resource definitions for the test stack, installed into the real kube-apiserver and waited
 * for until it serves their kinds: the Argo Rollouts CRD (crds/argo-rollout-crd.yaml) and any other
 * CRD file a test names.
 */
import { readFile } from 'node:fs/promises';
import { CustomObjectsApi, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { loadClusterYaml } from './load-scenario.ts';

export const ROLLOUT_CRD_FILE = new URL('./crds/argo-rollout-crd.yaml', import.meta.url);

/** The group, version and plural the Rollout CRD serves. */
export const ROLLOUT_API = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;

/**
 * Creates a CRD from a YAML file (an existing one is kept) and waits until its kind is listed. It
 * is sent as plain JSON: client-node's typed serializer knows `x-kubernetes-*` schema keys only
 * by their camelCase names and would drop them from a parsed file.
 */
export async function installCrd(kc: KubeConfig, file: URL, timeoutMs = 60_000): Promise<void> {
  const text = await readFile(file, 'utf8');
  const crd = parse(text) as V1CustomResourceDefinition;
  try {
    await loadClusterYaml(kc, text);
  } catch (error) {
    if (!/HTTP 409/.test((error as Error).message)) throw error;
  }
  const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name ?? 'v1';
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await custom.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The Argo Rollouts CRD, served. */
export function installRolloutCrd(kc: KubeConfig): Promise<void> {
  return installCrd(kc, ROLLOUT_CRD_FILE);
}
