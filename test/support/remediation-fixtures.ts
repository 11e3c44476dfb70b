/**
 * Fixtures for the remediation tests against the real kube-apiserver: a fresh namespace with a
 * Deployment (app container + sidecar), a simulated controller that writes the rollout status
 * (no controllers run in the test apiserver), OOM-killed pods, the VPA CRD the project ships,
 * and a Slack poster that records what the jobs post.
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { defaultDenyNamespaces, type NamespaceGuard } from '../../src/remediation/namespace-guard.ts';
import { type ApprovalPolicy, parsePolicy } from '../../src/remediation/policy.ts';
import { createSigner } from '../../src/remediation/signing.ts';
import type { SlackMessage } from '../../src/render/blocks/types.ts';
import type { SlackPoster } from '../../src/slack/poster.ts';
import { installCrd } from '../stack/crds.ts';

export const VPA_CRD_FILE = new URL('../../manifests/crds/vpa-crd.yaml', import.meta.url);
export const RBAC_FILE = new URL('../../manifests/rbac.yaml', import.meta.url);

export const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** A fresh namespace: the test apiserver never finishes deleting one, so each test takes its own. */
export async function freshNamespace(kc: KubeConfig, label = 'rem'): Promise<string> {
  const name = `${label}-${randomBytes(4).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export interface DeploymentOptions {
  name?: string;
  replicas?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The app container's memory; `request: undefined` leaves it unset. */
  memory?: { limit?: string; request?: string };
}

/** A Deployment with the app container and an istio-proxy sidecar, rolled out (status written). */
export async function createDeployment(
  kc: KubeConfig,
  namespace: string,
  options: DeploymentOptions = {},
): Promise<V1Deployment> {
  const apps = kc.makeApiClient(AppsV1Api);
  const name = options.name ?? 'auth-service';
  const memory = options.memory ?? { limit: '512Mi', request: '256Mi' };
  const replicas = options.replicas ?? 2;
  const created = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: {
        name,
        labels: { app: name, ...(options.labels ?? {}) },
        annotations: options.annotations ?? {},
      },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'auth',
                image: 'registry.example/auth:1.4.2',
                env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75' }],
                resources: {
                  limits: { cpu: '1', ...(memory.limit ? { memory: memory.limit } : {}) },
                  requests: { cpu: '250m', ...(memory.request ? { memory: memory.request } : {}) },
                },
              },
              {
                name: 'istio-proxy',
                image: 'istio/proxyv2:1.24',
                args: ['proxy', 'sidecar'],
                resources: { limits: { memory: '128Mi', cpu: '500m' }, requests: { memory: '64Mi' } },
              },
            ],
          },
        },
      },
    },
  });
  await markRolledOut(kc, namespace, name);
  return created;
}

/** Writes the status a Deployment controller would once the current generation rolled out. */
export async function markRolledOut(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ name, namespace });
  const replicas = d.spec?.replicas ?? 1;
  await apps.patchNamespacedDeploymentStatus(
    {
      name,
      namespace,
      body: {
        status: {
          observedGeneration: d.metadata?.generation,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
        },
      },
    },
    MERGE,
  );
}

/**
 * Plays the Deployment controller once: waits until the spec's generation moves past `fromGeneration`,
 * then writes the rolled-out status. Resolves with the generation it marked.
 */
export async function simulateRollout(
  kc: KubeConfig,
  namespace: string,
  name: string,
  fromGeneration: number,
  timeoutMs = 30_000,
): Promise<number> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const generation = d.metadata?.generation ?? 0;
    if (generation > fromGeneration) {
      await markRolledOut(kc, namespace, name);
      return generation;
    }
    if (Date.now() > deadline)
      throw new Error(`${namespace}/${name} never moved past generation ${fromGeneration}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pod of the Deployment whose app container was OOM-killed at `finishedAt`. */
export async function createOomKilledPod(
  kc: KubeConfig,
  namespace: string,
  app: string,
  finishedAt: Date,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${app}-${randomBytes(3).toString('hex')}`;
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app } },
      spec: { containers: [{ name: 'auth', image: 'registry.example/auth:1.4.2' }] },
    },
  });
  await core.replaceNamespacedPodStatus({
    name,
    namespace,
    body: {
      ...pod,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'auth',
            image: 'registry.example/auth:1.4.2',
            imageID: '',
            ready: true,
            restartCount: 1,
            state: { running: { startedAt: new Date(finishedAt.getTime() + 1000) } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt } },
          },
        ],
      },
    },
  });
}

function docs(yamlText: string): KubernetesObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** `kubectl apply --server-side -f FILE`. */
export async function applyFile(kc: KubeConfig, file: URL): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of docs(await readFile(file, 'utf8'))) {
    await api.patch(obj, undefined, undefined, 'oom-bot-tests', true, PatchStrategy.ServerSideApply);
  }
}

/** Installs the project's VPA CRD and waits until the apiserver serves it. */
/** The VPA CRD the project ships, installed as written (its `x-kubernetes-*` schema keys kept). */
export function installVpaCrd(kc: KubeConfig): Promise<void> {
  return installCrd(kc, VPA_CRD_FILE);
}

export interface PostedMessage {
  channel: string;
  threadTs?: string;
  message: SlackMessage;
  ts: string;
}

/** A SlackPoster that records posts instead of sending them. */
export function recordingPoster(): SlackPoster & { posts: PostedMessage[]; texts(): string[] } {
  const posts: PostedMessage[] = [];
  let seq = 0;
  return {
    posts,
    texts: () => posts.map((p) => `${p.message.text}\n${JSON.stringify(p.message.blocks)}`),
    async post(channel, message, threadTs) {
      seq += 1;
      const ts = `1800000000.${String(seq).padStart(6, '0')}`;
      posts.push({ channel, message, ...(threadTs ? { threadTs } : {}), ts });
      return ts;
    },
    async update() {},
    async uploadPng() {},
    async respond() {},
  };
}

/** The approval signing key of the tests (APPROVAL_SIGNING_KEY): a fixed, test-only value. */
export const TEST_SIGNING_KEY = 'test-only-approval-signing-key-0123456789';

export function testSigner() {
  return createSigner(TEST_SIGNING_KEY);
}

/** A policy for the job tests: every action anywhere, for the listed approvers. */
export function testPolicy(approvers: string[], extra: Record<string, unknown> = {}): ApprovalPolicy {
  return parsePolicy(
    {
      version: 1,
      approvers: { users: approvers },
      defaults: {
        actions: ['preview', 'apply', 'create_vpa', 'scale_out', 'rollback', 'rollout_undo', 'vpa_policy'],
        maxMemoryLimit: '8Gi',
        maxReplicas: 20,
      },
      ...extra,
    },
    'test policy',
  );
}

/** The worker's namespace guard with its defaults (kube-* and oom-bot denied). */
export const DEFAULT_GUARD: NamespaceGuard = { write: ['*'], deny: defaultDenyNamespaces(undefined) };
