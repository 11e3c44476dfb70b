/**
 * The real stack the end-to-end suites share: a kube-apiserver (with etcd) and a Prometheus,
 * loaded with 50 generated workloads in 5 namespaces (24 h of history at 60 s scrapes, 2 pods
 * each, causes in turn), ending at the minute the stack started, since a live bot diagnoses
 * "now". Also kubectl (built by test/kube/build.sh like the test binaries) for the runbook.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { type ScenarioCause, writeScenario } from '../../test/scenarios/generator.ts';
import { kubeBinDir } from '../../test/stack/kube.ts';
import { type Stack, startStack } from '../../test/stack/stack.ts';
import { multiWorkloadScenario } from '../../test/support/multi-workload-scenario.ts';

export const WINDOW_HOURS = 24;
const CAUSES: ScenarioCause[] = ['limit_too_low', 'traffic_surge', 'memory_leak', 'node_pressure'];

export interface BenchWorkload {
  namespace: string;
  workload: string;
  container: string;
  /** The workload's pods, the OOM-killed ones first. */
  pods: string[];
  /** The nodes its pods run on. */
  nodes: string[];
}

export interface BenchStack {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  prometheusUrl: string;
  workloads: BenchWorkload[];
  /** Epoch seconds the data ends at. */
  at: number;
  stop(): Promise<void>;
}

export const WORKLOADS = Array.from({ length: 50 }, (_, i) => ({
  namespace: `team-${'abcde'[i % 5]}`,
  workload: `svc-${String(i).padStart(2, '0')}`,
}));

interface PodDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string; ownerReferences?: Array<{ name?: string }> };
  spec?: { nodeName?: string };
  status?: { containerStatuses?: Array<{ lastState?: { terminated?: { reason?: string } } }> };
}

function workloadsOf(objects: readonly PodDoc[], containers: Map<string, string>): BenchWorkload[] {
  return WORKLOADS.map((w) => {
    const pods = objects.filter(
      (o) =>
        o.kind === 'Pod' &&
        o.metadata?.namespace === w.namespace &&
        (o.metadata?.name ?? '').startsWith(`${w.workload}-`),
    );
    const killed = (p: PodDoc) =>
      (p.status?.containerStatuses ?? []).some((c) => c.lastState?.terminated?.reason === 'OOMKilled');
    pods.sort((a, b) => Number(killed(b)) - Number(killed(a)));
    return {
      ...w,
      container: containers.get(`${w.namespace}/${w.workload}`) ?? 'app',
      pods: pods.map((p) => p.metadata?.name ?? ''),
      nodes: [...new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => Boolean(n)))],
    };
  });
}

export async function startBenchStack(log: (m: string) => void): Promise<BenchStack> {
  const atMs = Math.floor(Date.now() / 60_000) * 60_000;
  const at = new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const generated = multiWorkloadScenario(WORKLOADS, {
    at,
    windowHours: WINDOW_HOURS,
    seed: 11,
    causes: CAUSES,
  });
  const dir = mkdtempSync(join(tmpdir(), 'oom-bench-stack-'));
  await writeScenario(dir, generated.scenario);
  log(`stack: ${WORKLOADS.length} workloads written; starting kube-apiserver and Prometheus`);
  const stack: Stack = await startStack({ scenarioDir: dir });
  const prometheusUrl = stack.prometheus?.url;
  if (!prometheusUrl) throw new Error('the stack started no Prometheus');
  return {
    kubeconfigPath: stack.kube.kubeconfigPath,
    kubeConfig: stack.kube.kubeConfig,
    prometheusUrl,
    workloads: workloadsOf(generated.scenario.clusterObjects as PodDoc[], generated.containers),
    at: atMs / 1000,
    async stop() {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const BUILD_SCRIPT = resolve(import.meta.dirname, '../../test/kube/build.sh');

/** kubectl of the test stack's version, built from the Go module proxy on first use. */
export async function ensureKubectl(): Promise<string> {
  const bin = join(kubeBinDir(), 'kubectl');
  if (existsSync(bin)) return bin;
  process.stderr.write(`bench: building kubectl with ${BUILD_SCRIPT} (several minutes the first time)\n`);
  await new Promise<void>((done, fail) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${BUILD_SCRIPT} exited with ${code}`)),
    );
  });
  if (!existsSync(bin)) throw new Error(`${BUILD_SCRIPT} finished but ${bin} is not there`);
  return bin;
}
