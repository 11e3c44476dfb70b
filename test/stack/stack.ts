// The whole local stack at once (tests, `oom-bot replay`): kube-apiserver + etcd, Prometheus, and optionally Alertmanager.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type KubeStack, startKube } from './kube.ts';
import { loadClusterYaml } from './load-scenario.ts';
import { type StoppableServer, startAlertmanager, startPrometheus } from './prometheus.ts';

export interface StartStackOptions {
  /** A scenario dir (cluster.yaml + metrics.om.gz or metrics.om): loads both. */
  scenarioDir?: string;
  /** Preload Prometheus from this OpenMetrics file (overrides the scenario's metrics). */
  openMetricsFile?: string;
  /** Start Prometheus (default true). */
  prometheus?: boolean;
  /** Start an Alertmanager with this config, and point Prometheus at it. */
  alertmanagerConfigYaml?: string;
  /** Alerting rules for Prometheus (YAML rule file content). */
  prometheusRulesYaml?: string;
  kubeLogDir?: string;
}

export interface Stack {
  kube: KubeStack;
  prometheus?: StoppableServer;
  alertmanager?: StoppableServer;
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

/** metrics.om.gz or metrics.om inside a scenario dir, if present. */
export function scenarioMetricsFile(dir: string): string | undefined {
  for (const name of ['metrics.om.gz', 'metrics.om']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

export async function startStack(opts: StartStackOptions = {}): Promise<Stack> {
  const stoppers: Array<(o: { keepLogs?: boolean }) => Promise<void>> = [];
  const stop = async (o: { keepLogs?: boolean } = {}) => {
    const errors: unknown[] = [];
    for (const s of stoppers.reverse()) await s(o).catch((e: unknown) => errors.push(e));
    stoppers.length = 0;
    if (errors.length > 0) throw errors[0];
  };
  try {
    const openMetricsFile =
      opts.openMetricsFile ?? (opts.scenarioDir ? scenarioMetricsFile(opts.scenarioDir) : undefined);
    // start kube and Alertmanager side by side; stop whichever came up if the other failed
    const [kubeR, amR] = await Promise.allSettled([
      startKube({ logDir: opts.kubeLogDir }),
      opts.alertmanagerConfigYaml
        ? startAlertmanager({ configYaml: opts.alertmanagerConfigYaml })
        : undefined,
    ]);
    if (kubeR.status === 'fulfilled') stoppers.push(kubeR.value.stop);
    if (amR.status === 'fulfilled' && amR.value) stoppers.push(amR.value.stop);
    if (kubeR.status === 'rejected') throw kubeR.reason;
    if (amR.status === 'rejected') throw amR.reason;
    const kube = kubeR.value;
    const alertmanager = amR.value;
    let prometheus: StoppableServer | undefined;
    if (opts.prometheus !== false) {
      prometheus = await startPrometheus({
        openMetricsFile,
        alertmanagerUrl: alertmanager?.url,
        rulesYaml: opts.prometheusRulesYaml,
      });
      stoppers.push(prometheus.stop);
    }
    if (opts.scenarioDir) {
      const clusterFile = join(opts.scenarioDir, 'cluster.yaml');
      if (existsSync(clusterFile))
        await loadClusterYaml(kube.kubeConfig, await readFile(clusterFile, 'utf8'));
    }
    return { kube, prometheus, alertmanager, stop };
  } catch (err) {
    await stop({ keepLogs: true }).catch(() => {});
    throw err;
  }
}
