/**
 * The seed incident's manual runbook, as an SRE runs it: kubectl and curl, one command after
 * another, against the same kube-apiserver and Prometheus the bot reads. Machine time only (no
 * reading or typing): the six commands' wall time, each a fresh process as in a shell. kubectl
 * keeps its discovery cache between commands, as it does on a laptop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchWorkload } from './stack.ts';

export interface RunbookStep {
  what: string;
  ms: number;
}

function run(command: string, args: string[]): Promise<{ ms: number; out: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, out });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`));
    });
  });
}

export interface RunbookOptions {
  kubectl: string;
  kubeconfig: string;
  prometheusUrl: string;
  /** Epoch seconds: the end of the memory query's 24 h. */
  at: number;
  /** kubectl's discovery and HTTP cache, kept between commands and incidents. */
  cacheDir?: string;
}

export function runbookCacheDir(): string {
  return mkdtempSync(join(tmpdir(), 'oom-bench-kubectl-cache-'));
}

/** Runs the six steps for one workload; throws if a command fails or finds nothing. */
export async function runRunbook(w: BenchWorkload, o: RunbookOptions): Promise<RunbookStep[]> {
  const pod = w.pods[0];
  const node = w.nodes[0];
  if (!pod || !node) throw new Error(`${w.namespace}/${w.workload} has no pod or node`);
  const kubectl = (...args: string[]) =>
    run(o.kubectl, [
      `--kubeconfig=${o.kubeconfig}`,
      ...(o.cacheDir ? [`--cache-dir=${o.cacheDir}`] : []),
      ...args,
    ]);
  const steps: RunbookStep[] = [];
  const step = async (what: string, p: Promise<{ ms: number; out: string }>, expect: RegExp) => {
    const { ms, out } = await p;
    if (!expect.test(out)) throw new Error(`runbook step "${what}" found nothing: ${out.slice(0, 300)}`);
    steps.push({ what, ms });
  };
  await step('kubectl describe pod', kubectl('-n', w.namespace, 'describe', 'pod', pod), /Containers:/);
  await step(
    'kubectl get pods: terminated reasons',
    kubectl(
      '-n',
      w.namespace,
      'get',
      'pods',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{range .status.containerStatuses[*]}{.name}={.lastState.terminated.reason}({.lastState.terminated.exitCode}) {end}{"\\n"}{end}',
    ),
    new RegExp(pod),
  );
  await step(
    'kubectl get deployment: resources',
    kubectl(
      '-n',
      w.namespace,
      'get',
      'deployment',
      w.workload,
      '-o',
      'jsonpath={range .spec.template.spec.containers[*]}{.name}: {.resources}{"\\n"}{end}',
    ),
    /resources|limits|\{/,
  );
  const query = `max by (pod) (container_memory_working_set_bytes{namespace="${w.namespace}",pod=~"${w.workload}-.*",container="${w.container}"})`;
  await step(
    'curl Prometheus: 24 h of memory',
    run('curl', [
      '-sS',
      '--fail',
      '-G',
      `${o.prometheusUrl}/api/v1/query_range`,
      '--data-urlencode',
      `query=${query}`,
      '--data-urlencode',
      `start=${o.at - 24 * 3600}`,
      '--data-urlencode',
      `end=${o.at}`,
      '--data-urlencode',
      'step=60',
    ]),
    /"status":"success".*"values"/,
  );
  await step('kubectl describe node', kubectl('describe', 'node', node), /Conditions/);
  await step(
    'kubectl get node: conditions',
    kubectl('get', 'node', node, '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status} {end}'),
    /MemoryPressure=/,
  );
  return steps;
}
