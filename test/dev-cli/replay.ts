/**
 * `oom-bot replay DIR`, a development command (it needs the test stack's binaries): a scenario
 * diagnosed through the real stack. cluster.yaml goes into a real kube-apiserver, metrics.om.gz into a real Prometheus (promtool backfill), and the
 * diagnosis runs through the live adapters at the scenario's `at`. The result is the JSON that
 * `oom-bot diagnose --scenario DIR --output json` prints from the files; the two must agree.
 *
 * The apiserver is started unless one is given (it must be on loopback: replay creates made-up
 * Nodes and Pods). Prometheus is always fresh: backfilled blocks go into an empty TSDB, and
 * another scenario's series would collide with this one's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { type DiagnosisRun, diagnoseWorkload } from '../../src/diagnosis-service.ts';
import type { RecommendOptions } from '../../src/domain/recommend.ts';
import { OomBotError } from '../../src/errors.ts';
import { type JsonReport, toJsonReport } from '../../src/report.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { createPrometheusSource } from '../../src/sources/prometheus.ts';
import { readScenario, type Scenario } from '../../src/sources/scenario.ts';
import { startKube } from '../stack/kube.ts';
import { loadClusterYaml, unloadClusterYaml } from '../stack/load-scenario.ts';
import { type StoppableServer, startPrometheus } from '../stack/prometheus.ts';
import { scenarioMetricsFile } from '../stack/stack.ts';

/** What `diagnose` takes from the configuration; replay must use the same to print the same. */
export interface DiagnoseSettings {
  windowSeconds?: number;
  timeoutMs?: number;
  recommend?: Partial<RecommendOptions>;
}

export interface ReplayOptions extends DiagnoseSettings {
  /** A running apiserver (loopback only) to load into instead of starting one; cleaned up after. */
  kubeConfig?: KubeConfig;
  /** Keep the stack's logs and temp dirs (they are kept anyway when replay fails). */
  keepLogs?: boolean;
}

/** The diagnosis `oom-bot diagnose --scenario DIR` makes: straight from the files. */
export function diagnoseFromFiles(
  scenario: Scenario,
  settings: DiagnoseSettings = {},
): Promise<DiagnosisRun> {
  return diagnoseWorkload(
    { cluster: scenario.cluster, metrics: scenario.metrics },
    requestOf(scenario, settings),
    { timeoutMs: settings.timeoutMs, recommend: settings.recommend },
  );
}

/** The same diagnosis through the live adapters, against servers that hold the scenario. */
export function diagnoseLive(
  scenario: Scenario,
  servers: { kubeConfig: KubeConfig; prometheusUrl: string },
  settings: DiagnoseSettings = {},
): Promise<DiagnosisRun> {
  const sources = {
    cluster: createKubernetesLister(servers.kubeConfig),
    metrics: createPrometheusSource(servers.prometheusUrl, { timeoutMs: settings.timeoutMs }),
  };
  return diagnoseWorkload(sources, requestOf(scenario, settings), {
    timeoutMs: settings.timeoutMs,
    recommend: settings.recommend,
  });
}

function requestOf(scenario: Scenario, settings: DiagnoseSettings) {
  return {
    name: scenario.meta.request.service,
    namespace: scenario.meta.request.namespace,
    at: scenario.at,
    windowSeconds: settings.windowSeconds,
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Refuse to load made-up objects into anything but a local apiserver. */
export function assertLocalApiserver(kc: KubeConfig): void {
  const server = kc.getCurrentCluster()?.server ?? '';
  let host = '';
  try {
    host = new URL(server).hostname;
  } catch {
    // reported below
  }
  if (!LOOPBACK.has(host)) {
    throw new OomBotError(
      'config_invalid',
      `replay loads a scenario's made-up Nodes and Pods into the apiserver; refusing ${server || 'a cluster without a server'} (only a loopback apiserver is allowed)`,
    );
  }
}

/** Load the scenario into the real stack, diagnose through the live adapters, tear down. */
export async function replayScenario(dir: string, opts: ReplayOptions = {}): Promise<JsonReport> {
  const scenario = await readScenario(dir);
  const clusterYaml = await readFile(join(dir, 'cluster.yaml'), 'utf8');
  const metricsFile = scenarioMetricsFile(dir);
  if (opts.kubeConfig) assertLocalApiserver(opts.kubeConfig);

  const stoppers: Array<(o: { keepLogs?: boolean }) => Promise<void>> = [];
  let failed = false;
  try {
    const [kubeResult, promResult] = await Promise.allSettled([
      opts.kubeConfig ? Promise.resolve(undefined) : startKube(),
      startPrometheus({ openMetricsFile: metricsFile }),
    ]);
    if (kubeResult.status === 'fulfilled' && kubeResult.value) stoppers.push(kubeResult.value.stop);
    if (promResult.status === 'fulfilled') stoppers.push(promResult.value.stop);
    if (kubeResult.status === 'rejected') throw kubeResult.reason;
    if (promResult.status === 'rejected') throw promResult.reason;
    const kubeConfig = opts.kubeConfig ?? (kubeResult.value?.kubeConfig as KubeConfig);
    const prometheus = promResult.value as StoppableServer;

    if (opts.kubeConfig) {
      // a previous replay of the same scenario may have left its objects behind
      await unloadClusterYaml(kubeConfig, clusterYaml);
      stoppers.push(() => unloadClusterYaml(kubeConfig, clusterYaml));
    }
    await loadClusterYaml(kubeConfig, clusterYaml);
    const { diagnosis } = await diagnoseLive(scenario, { kubeConfig, prometheusUrl: prometheus.url }, opts);
    return toJsonReport(diagnosis);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const keepLogs = failed || opts.keepLogs ? true : undefined;
    for (const stop of stoppers.reverse()) await stop({ keepLogs }).catch(() => {});
  }
}
