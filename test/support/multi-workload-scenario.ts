/**
 * One scenario folder holding many small workloads, for alert storms against the real binary
 * (`oom-bot start --scenario DIR` serves one folder). Each workload is a generated scenario of
 * its own (same moment, short window); their cluster objects and series are merged, nodes and
 * namespaces once each.
 */
import {
  type GeneratedScenario,
  generateScenario,
  type KubeDocument,
  type MetricFamily,
  type ScenarioCause,
} from '../scenarios/generator.ts';

export interface WorkloadSpec {
  namespace: string;
  workload: string;
}

export interface MultiWorkloadOptions {
  at: string;
  windowHours?: number;
  seed?: number;
  causes?: ScenarioCause[];
}

function objectKey(o: KubeDocument): string {
  const meta = (o.metadata ?? {}) as { namespace?: string; name?: string };
  return `${String(o.kind)}/${meta.namespace ?? ''}/${meta.name ?? ''}`;
}

function nodeNames(s: GeneratedScenario): string[] {
  return s.clusterObjects
    .filter((o) => o.kind === 'Node')
    .map((o) => String((o.metadata as { name?: string }).name));
}

/** Generate and merge one scenario per workload; returns the merged scenario and each workload's container. */
export function multiWorkloadScenario(
  workloads: readonly WorkloadSpec[],
  options: MultiWorkloadOptions,
): { scenario: GeneratedScenario; containers: Map<string, string> } {
  const causes = options.causes ?? ['limit_too_low'];
  const parts: GeneratedScenario[] = [];
  const nodes = new Set<string>();
  let seed = options.seed ?? 1;
  for (const [i, w] of workloads.entries()) {
    for (;;) {
      const s = generateScenario({
        seed: seed++,
        cause: causes[i % causes.length] as ScenarioCause,
        name: `${w.namespace}-${w.workload}`,
        namespace: w.namespace,
        service: w.workload,
        workload: w.workload,
        workloadKind: 'Deployment',
        replicas: 2,
        intervalSeconds: 60,
        trafficFamily: 'http_requests_total',
        sidecar: false,
        gaps: false,
        windowHours: options.windowHours ?? 2,
        at: options.at,
        requestBy: 'workload',
        namespaceInRequest: true,
        recentRollout: false,
      });
      // a node name already used by another workload would merge two nodes' series: draw again
      if (nodeNames(s).some((n) => nodes.has(n))) continue;
      for (const n of nodeNames(s)) nodes.add(n);
      parts.push(s);
      break;
    }
  }
  const objects = new Map<string, KubeDocument>();
  for (const p of parts)
    for (const o of p.clusterObjects) if (!objects.has(objectKey(o))) objects.set(objectKey(o), o);
  const families = new Map<string, MetricFamily>();
  for (const p of parts) {
    for (const f of p.metrics) {
      const into = families.get(f.name);
      if (into) into.series.push(...f.series);
      else families.set(f.name, { ...f, series: [...f.series] });
    }
  }
  const first = parts[0] as GeneratedScenario;
  const containers = new Map(parts.map((p) => [`${p.spec.namespace}/${p.spec.workload}`, p.spec.container]));
  return {
    scenario: {
      ...first,
      name: 'alert-storm',
      dirName: 'alert-storm',
      scenarioYaml: { ...first.scenarioYaml, name: 'alert-storm', description: `${parts.length} workloads` },
      clusterObjects: [...objects.values()],
      metrics: [...families.values()],
    },
    containers,
  };
}
