/**
 * Custom resource definitions for the test stack, installed into the real kube-apiserver and waited
 * for until it serves their kinds: the Argo Rollouts CRD (crds/argo-rollout-crd.yaml) and any other
 * CRD file a test names.
 */
import { readFile } from 'node:fs/promises';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parse } from 'yaml';

export const ROLLOUT_CRD_FILE = new URL('./crds/argo-rollout-crd.yaml', import.meta.url);

/** The group, version and plural the Rollout CRD serves. */
export const ROLLOUT_API = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;

/** Creates a CRD from a YAML file (an existing one is kept) and waits until its kind is listed. */
export async function installCrd(kc: KubeConfig, file: URL, timeoutMs = 60_000): Promise<void> {
  const crd = parse(await readFile(file, 'utf8')) as V1CustomResourceDefinition;
  try {
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
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
