/**
 * Ranked, typed actions for a diagnosis: each carries what it changes as typed fields, and the
 * ready-to-run command (with the real names) rendered from them. Pure.
 */

import type { Action, HpaSpec, MemoryPatchSpec, VpaSpec } from './action-types.ts';
import { hpaMemoryEffect, vpaPolicyAction, vpaRewritesRequests } from './autoscalers.ts';
import { isBatch } from './batch.ts';
import { planRegressionActions, toRollbackTarget } from './causes/deploy-regression.ts';
import { hoursToLimit, measureLeak } from './causes/memory-leak.ts';
import {
  renderHpaMemoryTarget,
  renderMemoryPatch,
  renderRollback,
  renderScaleOut,
  renderVerifyCommands,
  renderVpa,
  selectorArg,
  shellQuote,
  workloadArg,
} from './commands.ts';
import type { Features } from './feature-types.ts';
import { bytes, duration, rate } from './format.ts';
import { adviseHeapFlag, adviseNativeFlags, effectiveCeiling, type Runtime } from './heap.ts';
import { roundUpToTidy, toQuantity } from './quantity.ts';
import { analyseRollout } from './rollout.ts';
import type { Cause, Evidence, Recommendation, Target } from './types.ts';

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

const REDACTED = '…';

/**
 * An env value with its heap flag replaced (or appended) and every other token shown as `…`: env
 * values carry passwords (`-Dspring.datasource.password=…`), and only the heap flag is ours to show.
 */
function redactExceptHeapFlag(current: string, oldFlag: string, newFlag: string): string {
  const shown: string[] = [];
  for (const token of current.split(/\s+/).filter(Boolean)) {
    const next = token === oldFlag ? newFlag : REDACTED;
    if (next !== REDACTED || shown.at(-1) !== REDACTED) shown.push(next);
  }
  if (!shown.includes(newFlag)) shown.push(newFlag);
  return shown.join(' ');
}

function heapEnvCommand(t: Target, f: Features, runtime: Runtime, limit: number): string {
  const flag = adviseHeapFlag(runtime, limit);
  const setting = f.heap.at(-1);
  if (runtime === 'go')
    return `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${flag}`;
  if (setting && setting.source !== 'args') {
    const value = redactExceptHeapFlag(f.spec?.env[setting.source] ?? '', setting.flag, flag);
    const command = `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${setting.source}=${shellQuote(value)}`;
    if (!value.includes(REDACTED)) return command;
    return `# ${REDACTED} stands for the other settings in ${setting.source}, left out here: put them back before running\n${command}`;
  }
  if (setting?.source === 'args')
    return `# edit the container args of ${workloadArg(t)}: replace ${setting.flag} with ${flag}`;
  const env = runtime === 'jvm' ? 'JAVA_TOOL_OPTIONS' : 'NODE_OPTIONS';
  return `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container} ${env}=${shellQuote(flag)}`;
}

/** A VPA in Off mode: recommendations only, it never evicts a pod. */
function offModeVpa(container: string): VpaSpec {
  return {
    updateMode: 'Off',
    containerPolicies: [{ containerName: container, controlledResources: ['memory'] }],
  };
}

/** The scale-out action: its HPA and the command rendered from it. */
function scaleOutAction(t: Target, hpa: HpaSpec, why: string): Action {
  return {
    kind: 'scale_out',
    title: `Scale out to ${hpa.minReplicas} replicas, then keep an HPA`,
    detail: why,
    command: renderScaleOut(t, hpa),
    hpa,
  };
}

/** A memory patch action; `verify` appends the rollout and `top` commands. */
function patchAction(
  t: Target,
  kind: 'patch_memory_limit' | 'adjust_requests',
  text: { title: string; detail?: string },
  patch: MemoryPatchSpec,
  verify: boolean,
): Action {
  const command = renderMemoryPatch(t, patch);
  return {
    kind,
    title: text.title,
    ...(text.detail !== undefined ? { detail: text.detail } : {}),
    command: verify ? `${command}\n${renderVerifyCommands(t)}` : command,
    memoryPatch: patch,
  };
}

function hpaReplicas(f: Features, e: Evidence): { hpa: HpaSpec; why: string } | undefined {
  const t = f.traffic;
  const replicas = Math.max(1, e.workload?.replicas ?? f.podNames.length);
  if (!t || t.perPodBaselineRate === undefined || t.perPodBaselineRate <= 0 || t.perPodPeakRate === undefined)
    return undefined;
  const peakTotal = t.perPodPeakRate * replicas;
  const needed = Math.max(replicas, Math.ceil(peakTotal / t.perPodBaselineRate));
  return {
    hpa: { minReplicas: needed, maxReplicas: Math.max(needed + 1, needed * 2), cpuPercent: 70 },
    why: `${rate(peakTotal)} peak / ${rate(t.perPodBaselineRate)} per pod before the jump = ${needed} replicas (now ${replicas})`,
  };
}

/**
 * A VPA that rewrites requests gets the change where it holds (its own bounds), said on the
 * patch too; an HPA on memory utilization is told what the new request does to it, its target
 * moved with it by the same Apply where that is right.
 */
function adviseAroundAutoscalers(
  actions: Action[],
  cause: Cause,
  f: Features,
  e: Evidence,
  rec: Recommendation,
) {
  const patch = actions.find((a) => a.kind === 'patch_memory_limit');
  const note = (text: string) => {
    if (patch) patch.detail = `${patch.detail ?? ''}${patch.detail ? '; ' : ''}${text}`;
  };
  const existing = vpaRewritesRequests(e);
  const vpaAction = vpaPolicyAction(e, f.container, rec);
  if (existing && vpaAction) {
    note(
      `VPA ${existing.name} (${existing.mode}) rewrites requests at pod creation and keeps the limit:request ratio: raise its minAllowed memory for ${f.container} to ${rec.memoryRequest} as well (Set VPA bounds), or the pods will not get this`,
    );
    actions.splice(patch ? actions.indexOf(patch) + 1 : 0, 0, vpaAction);
  }
  const effect = hpaMemoryEffect(e, cause, f.requestBytes, rec.memoryRequestBytes);
  if (!effect) return;
  note(effect.text);
  if (patch && effect.target) {
    patch.hpaMemoryTarget = effect.target;
    // the HPA's patch right after the memory patch, before the verification commands
    const [first = '', ...rest] = (patch.command ?? '').split('\n');
    patch.command = [first, renderHpaMemoryTarget(e.target, effect.target), ...rest].join('\n');
  }
}

/** Roll back the last rollout when the kills began with it. */
function rollbackAction(f: Features, t: Target, e: Evidence): Action | undefined {
  const rolloutAt = f.recentRolloutAt;
  if (rolloutAt === undefined || f.oomKills.length === 0 || (f.oomKills[0]?.t ?? 0) < rolloutAt)
    return undefined;
  const rollout = analyseRollout(f, e);
  const rollbackTarget = rollout ? toRollbackTarget(t, rollout) : { workload: t.workload, rolloutAt };
  return {
    kind: 'rollback_deploy',
    title: 'Roll back the last rollout if the kills began with it',
    command: renderRollback(t, rollbackTarget),
    rollbackTarget,
  };
}

function killedPod(f: Features, e: Evidence): string {
  return (
    f.oomKills.at(-1)?.pod ?? f.currentLifetime?.pod ?? e.pods[0]?.name ?? `<${e.target.workload.name}-pod>`
  );
}

/** The env command that bounds native memory: the direct-memory cap beside the heap flag, and the arena cap. */
function nativeEnvCommand(t: Target, f: Features, flag: string | undefined): string {
  const setting = effectiveCeiling(f.heap);
  const parts = [
    `kubectl -n ${t.namespace} set env ${workloadArg(t)} -c ${f.container}`,
    'MALLOC_ARENA_MAX=2',
  ];
  if (flag && setting && setting.source !== 'args') {
    const current = f.spec?.env[setting.source] ?? '';
    parts.push(`${setting.source}=${shellQuote(`${current} ${flag}`.trim())}`);
  }
  return parts.join(' ');
}

/** native_memory: bound what grows outside the heap; raise the limit only when that memory is steady. */
function nativeMemoryActions(f: Features, t: Target): Action[] {
  const setting = effectiveCeiling(f.heap);
  const limit = f.limitBytes ?? 0;
  const runtime = setting?.runtime ?? f.runtime ?? 'jvm';
  const heap = setting?.ceilingBytes ?? 0;
  const flags = adviseNativeFlags(runtime, limit, heap);
  const direct = runtime === 'jvm' ? /^(-XX:MaxDirectMemorySize=\d+m)/.exec(flags[0] ?? '')?.[1] : undefined;
  const actions: Action[] = [
    {
      kind: 'fix_runtime_heap',
      title: `Bound the ${runtime} memory outside its ${bytes(heap)} heap: ${direct ?? 'MALLOC_ARENA_MAX=2'}`,
      detail: flags.join('; '),
      command: `${nativeEnvCommand(t, f, direct)}\n${renderVerifyCommands(t)}`,
    },
  ];
  const growing = f.trends.some((tr) => tr.leaky);
  if (!growing && limit > 0) {
    const bumped = roundUpToTidy(limit * 1.25);
    const patch = { container: f.container, limitBytes: bumped, requestBytes: f.requestBytes ?? bumped };
    const title = `If the native footprint is legitimate: raise the limit to ${toQuantity(bumped)} (heap stays ${bytes(heap)})`;
    const detail = 'the memory outside the heap is steady, so the limit, not the runtime, is short';
    actions.push(patchAction(t, 'patch_memory_limit', { title, detail }, patch, true));
  }
  return actions;
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
  const rollback = rollbackAction(f, t, e);
  switch (cause) {
    case 'traffic_surge':
    case 'limit_too_low': {
      if (rec) {
        const patch = {
          container: f.container,
          limitBytes: rec.memoryLimitBytes,
          requestBytes: rec.memoryRequestBytes,
        };
        const title = `Raise ${f.container} to ${rec.memoryLimit} limit / ${rec.memoryRequest} request`;
        actions.push(patchAction(t, 'patch_memory_limit', { title, detail: rec.rationale }, patch, true));
      }
      const scale = cause === 'traffic_surge' ? hpaReplicas(f, e) : undefined;
      if (scale) actions.push(scaleOutAction(t, scale.hpa, scale.why));
      if (rec) adviseAroundAutoscalers(actions, cause, f, e, rec);
      // never a second VPA for a workload one already controls; none for batch runs, whose pods
      // live too short for its recommender to learn from
      if (!e.vpa && !isBatch(e)) {
        const vpa = offModeVpa(f.container);
        actions.push({
          kind: 'create_vpa',
          title: 'Add a VPA in Off mode to keep the limit honest as load changes',
          command: renderVpa(t, vpa),
          vpa,
        });
      }
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
        const title = `Temporary only: ${toQuantity(bumped)} buys about ${duration(hours * 3600)} per lifetime, not a fix`;
        const detail =
          left === undefined ? undefined : `without it, the next kill is in about ${duration(left * 3600)}`;
        const patch = {
          container: f.container,
          limitBytes: bumped,
          requestBytes: f.requestBytes ?? f.limitBytes,
        };
        actions.push(patchAction(t, 'patch_memory_limit', { title, detail }, patch, false));
      }
      break;
    }
    case 'node_pressure': {
      const request = roundUpToTidy(Math.max(f.typicalBytes ?? f.peakBytes ?? 0, f.requestBytes ?? 0));
      const limit = f.limitBytes ?? request;
      const title = `Set the memory request to the real footprint (${toQuantity(request)}) so the scheduler stops overpacking the node`;
      const detail = f.node.minAvailableNode
        ? `node ${f.node.minAvailableNode} fell to ${bytes(f.node.minAvailableBytes ?? 0)} available of ${bytes(f.node.nodeTotalBytes ?? 0)}`
        : undefined;
      const patch = { container: f.container, limitBytes: limit, requestBytes: Math.min(request, limit) };
      actions.push(patchAction(t, 'adjust_requests', { title, detail }, patch, false));
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
        command: `${heapEnvCommand(t, f, runtime, limit)}\n${renderVerifyCommands(t)}`,
      });
      if (rollback) actions.push(rollback);
      break;
    }
    case 'deploy_regression':
      actions.push(...planRegressionActions(f, e));
      break;
    case 'native_memory':
      actions.push(...nativeMemoryActions(f, t));
      if (rollback) actions.push(rollback);
      break;
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
    case 'deploy_regression':
      return `Diff the two revisions: \`kubectl -n ${t.namespace} rollout history ${t.workload.kind.toLowerCase()}/${t.workload.name}\` and the image's changelog; memory per request rose with the new build.`;
    case 'native_memory':
      return f.runtime === 'jvm' || effectiveCeiling(f.heap)?.runtime === 'jvm'
        ? `See which area grows outside the heap: start one pod with -XX:NativeMemoryTracking=summary and run \`kubectl -n ${t.namespace} exec ${pod} -c ${f.container} -- jcmd 1 VM.native_memory summary\` twice, an hour apart.`
        : `Compare anonymous memory with the runtime's heap: \`kubectl -n ${t.namespace} exec ${pod} -c ${f.container} -- cat /sys/fs/cgroup/memory.stat\`.`;
    case 'no_oom':
      return `Read the previous container's log and the probe events: \`kubectl -n ${t.namespace} describe pod ${pod}\`.`;
    default:
      return 'Restore the missing data sources first; the diagnosis lists them.';
  }
}
