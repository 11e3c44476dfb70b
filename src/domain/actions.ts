/** Ranked, typed actions with ready-to-run commands carrying the real names. Pure. */
import { hoursToLimit, measureLeak } from './causes/memory-leak.ts';
import type { Features } from './features.ts';
import { bytes, duration, rate } from './format.ts';
import { adviseHeapFlag, type Runtime } from './heap.ts';
import { roundUpToTidy, toQuantity } from './quantity.ts';
import type { Action, Cause, Evidence, Recommendation, Target } from './types.ts';

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function workloadArg(t: Target): string {
  return `${t.workload.kind.toLowerCase()}/${t.workload.name}`;
}

function selectorArg(t: Target): string {
  return Object.entries(t.selector)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The strategic-merge patch that sets memory on exactly one container. */
export function memoryPatch(container: string, limit: string, request: string): object {
  return {
    spec: {
      template: {
        spec: {
          containers: [
            { name: container, resources: { limits: { memory: limit }, requests: { memory: request } } },
          ],
        },
      },
    },
  };
}

export function patchCommand(t: Target, container: string, limit: string, request: string): string {
  const body = JSON.stringify(memoryPatch(container, limit, request));
  return `kubectl -n ${t.namespace} patch ${workloadArg(t)} --type=strategic -p ${shellQuote(body)}`;
}

function verifyCommands(t: Target): string {
  return [
    `kubectl -n ${t.namespace} rollout status ${workloadArg(t)} --timeout=5m`,
    `kubectl -n ${t.namespace} top pod -l ${selectorArg(t)} --containers`,
  ].join('\n');
}

function heapDumpCommand(runtime: Runtime | undefined, t: Target, pod: string, container: string): string {
  const ns = t.namespace;
  switch (runtime) {
    case 'jvm':
      return [
        `kubectl -n ${ns} exec ${pod} -c ${container} -- jcmd 1 GC.heap_dump /tmp/heap.hprof`,
        `kubectl -n ${ns} cp ${pod}:/tmp/heap.hprof ./heap.hprof -c ${container}`,
      ].join('\n');
    case 'node':
      return [
        `kubectl -n ${ns} exec ${pod} -c ${container} -- node -e "process.kill(1, 'SIGUSR2')"  # needs --heapsnapshot-signal=SIGUSR2`,
        `kubectl -n ${ns} debug -it ${pod} --image=node:24-slim --target=${container} -- sh`,
      ].join('\n');
    case 'go':
      return [
        `kubectl -n ${ns} port-forward ${pod} 6060:6060 &`,
        'go tool pprof -top http://127.0.0.1:6060/debug/pprof/heap',
      ].join('\n');
    default:
      return [
        `kubectl -n ${ns} debug -it ${pod} --image=busybox:1.37 --target=${container} -- sh`,
        '# inside: cat /sys/fs/cgroup/memory.stat; watch anon vs file growth',
      ].join('\n');
  }
}

function heapEnvCommand(t: Target, f: Features, runtime: Runtime, limit: number): string {
  const flag = adviseHeapFlag(runtime, limit);
  const setting = f.heap.at(-1);
  if (runtime === 'go')
    return `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${flag}`;
  if (setting && setting.source !== 'args') {
    const current = f.spec?.env[setting.source] ?? '';
    const replaced = current
      .split(/\s+/)
      .filter(Boolean)
      .map((tok) => (tok === setting.flag ? flag : tok));
    const value = replaced.includes(flag) ? replaced.join(' ') : [...replaced, flag].join(' ');
    return `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${setting.source}=${shellQuote(value)}`;
  }
  if (setting?.source === 'args')
    return `# edit the container args of ${workloadArg(t)}: replace ${setting.flag} with ${flag}`;
  const env = runtime === 'jvm' ? 'JAVA_TOOL_OPTIONS' : 'NODE_OPTIONS';
  return `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${env}=${shellQuote(flag)}`;
}

function vpaCommand(t: Target, container: string): string {
  const apiVersion =
    t.workload.kind === 'Deployment' || t.workload.kind === 'StatefulSet' ? 'apps/v1' : 'apps/v1';
  return [
    `kubectl -n ${t.namespace} apply -f - <<'EOF'`,
    'apiVersion: autoscaling.k8s.io/v1',
    'kind: VerticalPodAutoscaler',
    'metadata:',
    `  name: ${t.workload.name}`,
    'spec:',
    `  targetRef: {apiVersion: ${apiVersion}, kind: ${t.workload.kind}, name: ${t.workload.name}}`,
    '  updatePolicy: {updateMode: "Off"}',
    `  resourcePolicy: {containerPolicies: [{containerName: ${container}, controlledResources: [memory]}]}`,
    'EOF',
  ].join('\n');
}

function hpaReplicas(f: Features, e: Evidence): { min: number; max: number; why: string } | undefined {
  const t = f.traffic;
  const replicas = Math.max(1, e.workload?.replicas ?? f.podNames.length);
  if (!t || t.perPodBaselineRate === undefined || t.perPodBaselineRate <= 0 || t.perPodPeakRate === undefined)
    return undefined;
  const peakTotal = t.perPodPeakRate * replicas;
  const needed = Math.max(replicas, Math.ceil(peakTotal / t.perPodBaselineRate));
  return {
    min: needed,
    max: Math.max(needed + 1, needed * 2),
    why: `${rate(peakTotal)} peak / ${rate(t.perPodBaselineRate)} per pod before the jump = ${needed} replicas (now ${replicas})`,
  };
}

function killedPod(f: Features, e: Evidence): string {
  return (
    f.oomKills.at(-1)?.pod ?? f.currentLifetime?.pod ?? e.pods[0]?.name ?? `<${e.target.workload.name}-pod>`
  );
}

/** The ranked actions for a diagnosis. */
export function planActions(
  cause: Cause,
  f: Features,
  e: Evidence,
  rec: Recommendation | undefined,
): Action[] {
  const t = e.target;
  const pod = killedPod(f, e);
  const actions: Action[] = [];
  const rollback: Action | undefined =
    f.recentRolloutAt !== undefined && f.oomKills.length > 0 && (f.oomKills[0]?.t ?? 0) >= f.recentRolloutAt
      ? {
          kind: 'rollback_deploy',
          title: 'Roll back the last rollout if the kills began with it',
          command: `kubectl -n ${t.namespace} rollout undo ${workloadArg(t)}`,
        }
      : undefined;
  switch (cause) {
    case 'traffic_surge':
    case 'limit_too_low': {
      if (rec) {
        actions.push({
          kind: 'patch_memory_limit',
          title: `Raise ${f.container} to ${rec.memoryLimit} limit / ${rec.memoryRequest} request`,
          detail: rec.rationale,
          command: `${patchCommand(t, f.container, rec.memoryLimit, rec.memoryRequest)}\n${verifyCommands(t)}`,
        });
      }
      if (cause === 'traffic_surge') {
        const hpa = hpaReplicas(f, e);
        if (hpa) {
          actions.push({
            kind: 'scale_out',
            title: `Scale out to ${hpa.min} replicas, then keep an HPA`,
            detail: hpa.why,
            command: [
              `kubectl -n ${t.namespace} scale ${workloadArg(t)} --replicas=${hpa.min}`,
              `kubectl -n ${t.namespace} autoscale ${workloadArg(t)} --min=${hpa.min} --max=${hpa.max} --cpu-percent=70`,
            ].join('\n'),
          });
        }
      }
      actions.push({
        kind: 'create_vpa',
        title: 'Add a VPA in Off mode to keep the limit honest as load changes',
        command: vpaCommand(t, f.container),
      });
      if (rollback) actions.push(rollback);
      break;
    }
    case 'memory_leak': {
      actions.push({
        kind: 'investigate_leak',
        title: `Take a heap profile of ${pod} before it is killed again`,
        command: heapDumpCommand(f.runtime, t, pod, f.container),
      });
      if (rollback) actions.push(rollback);
      const leak = measureLeak(f);
      if (f.limitBytes && leak.slope > 0) {
        const bumped = roundUpToTidy(f.limitBytes * 1.5);
        const hours = (bumped - f.limitBytes) / leak.slope / 3600;
        const left = hoursToLimit(f, leak.slope);
        actions.push({
          kind: 'patch_memory_limit',
          title: `Temporary only: ${toQuantity(bumped)} buys about ${duration(hours * 3600)} per lifetime, not a fix`,
          detail:
            left === undefined ? undefined : `without it, the next kill is in about ${duration(left * 3600)}`,
          command: patchCommand(
            t,
            f.container,
            toQuantity(bumped),
            toQuantity(f.requestBytes ?? f.limitBytes),
          ),
        });
      }
      break;
    }
    case 'node_pressure': {
      const request = roundUpToTidy(Math.max(f.typicalBytes ?? f.peakBytes ?? 0, f.requestBytes ?? 0));
      const limit = f.limitBytes ?? request;
      actions.push({
        kind: 'adjust_requests',
        title: `Set the memory request to the real footprint (${toQuantity(request)}) so the scheduler stops overpacking the node`,
        detail: f.node.minAvailableNode
          ? `node ${f.node.minAvailableNode} fell to ${bytes(f.node.minAvailableBytes ?? 0)} available of ${bytes(f.node.nodeTotalBytes ?? 0)}`
          : undefined,
        command: patchCommand(t, f.container, toQuantity(limit), toQuantity(Math.min(request, limit))),
      });
      actions.push({
        kind: 'add_node_capacity',
        title: 'Find what filled the node, then add capacity or move the heavy pods',
        command: [
          `kubectl describe node ${f.node.minAvailableNode ?? f.node.pressureNodes[0] ?? e.pods[0]?.node ?? '<node>'}`,
          `kubectl top pod -A --sort-by=memory | head -20`,
        ].join('\n'),
      });
      break;
    }
    case 'heap_misconfigured': {
      const runtime = f.heap.at(-1)?.runtime ?? f.runtime ?? 'jvm';
      const limit = f.limitBytes ?? 0;
      actions.push({
        kind: 'fix_runtime_heap',
        title: `Set the ${runtime} heap to ${adviseHeapFlag(runtime, limit)} (about ${runtime === 'go' ? 90 : 75}% of the ${bytes(limit)} limit)`,
        detail: f.heap.at(-1) ? `now ${f.heap.at(-1)?.flag} in ${f.heap.at(-1)?.source}` : undefined,
        command: `${heapEnvCommand(t, f, runtime, limit)}\n${verifyCommands(t)}`,
      });
      if (rollback) actions.push(rollback);
      break;
    }
    case 'no_oom': {
      actions.push({
        kind: 'none',
        title: 'No memory change: find why the kubelet restarted it',
        command: [
          `kubectl -n ${t.namespace} describe pod ${pod}`,
          `kubectl -n ${t.namespace} logs ${pod} -c ${f.container} --previous --tail=100`,
        ].join('\n'),
      });
      break;
    }
    default:
      actions.push({
        kind: 'none',
        title: 'Not enough evidence to act: fill the gaps listed below and re-diagnose',
        command: `kubectl -n ${t.namespace} describe pod ${pod}`,
      });
  }
  return actions;
}

/** The one thing to check before acting. */
export function investigateFirst(cause: Cause, f: Features, e: Evidence): string {
  const t = e.target;
  const pod = killedPod(f, e);
  switch (cause) {
    case 'traffic_surge':
      return `Confirm memory tracks traffic rather than time: if ${f.container} climbs steadily inside each lifetime even when requests fall, it is a leak and a bigger limit only delays the kill.`;
    case 'limit_too_low':
      return `Confirm nothing grows: watch \`kubectl -n ${t.namespace} top pod -l ${selectorArg(t)} --containers\` for an hour after the change; a climb means a leak.`;
    case 'memory_leak':
      return `Capture a heap profile of ${pod} now, while it is large, and compare it with one from a fresh pod.`;
    case 'node_pressure':
      return 'Look at the node, not the pod: which pods without requests filled it.';
    case 'heap_misconfigured':
      return `Check the runtime flags the process really runs with: \`kubectl -n ${t.namespace} exec ${pod} -c ${f.container} -- env\`.`;
    case 'no_oom':
      return `Read the previous container's log and the probe events: \`kubectl -n ${t.namespace} describe pod ${pod}\`.`;
    default:
      return 'Restore the missing data sources first; the diagnosis lists them.';
  }
}
